#!/usr/bin/env python3
"""bench/storm_report.py — turns a bench/storm.sh result directory into report.md and backlog.png.

    storm_report.py OUT_DIR HEADER_FILE

Reads storm.tsv, capacity.tsv, replay.tsv, proxy.tsv and samples.csv from OUT_DIR (written by
storm.sh); HEADER_FILE holds the Markdown lines that describe the run (machine, binary, link,
notes). Writes OUT_DIR/report.md and OUT_DIR/backlog.png (when matplotlib is importable), and
prints the report. Ratios are from this one run: segments archived during the load against `cp`
and against pgBackRest async (process-max 4) on the same kind of store, drain MiB/s against our
one-at-a-time and against pgBackRest at the same concurrency, replay time against `cp` and
pgBackRest async archive-get.
"""
import csv
import os
import sys


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def ratio(a, b, fmt="{:.2f}x"):
    a, b = num(a), num(b)
    if a is None or b is None or b == 0:
        return "–"
    return fmt.format(a / b)


def peer_store(store):
    return "posix" if store in ("file", "posix") else store


def storm_table(storm):
    out = ["| configuration | store | WAL MiB (MiB/s) | archived during load | of WAL written | backlog at end "
           "| drain s | failed | in store (missing, dups) | × cp | × pgBackRest async4 |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    by = {r["config"]: r for r in storm}
    cp = by.get("cp", {}).get("archived_load")
    for r in storm:
        if r.get("wal_mib") in (None, "", "setup failed") or r.get("load_s") in (None, ""):
            out.append(f"| {r['config']} | {r['store']} | setup failed | | | | | | | | |")
            continue
        wal, load = num(r["wal_mib"]), num(r["load_s"])
        gen = wal / 16 if wal else 0
        share = f"{100 * num(r['archived_load']) / gen:.0f}%" if gen else "–"
        drain = f"{num(r['drain_s']):.1f}" if r["drained"] == "1" else f">{num(r['drain_s']):.0f} ({r['ready_left']} left)"
        pgbr = by.get(f"pgbr-async4-{peer_store(r['store'])}", {}).get("archived_load")
        out.append(f"| {r['config']} | {r['store']} | {wal:.0f} ({wal / load:.0f}) | {r['archived_load']} | {share} "
                   f"| {r['ready_end']} | {drain} | {r['failed']} | {r['stored']} ({r['missing']}, {r['dups']}) "
                   f"| {ratio(r['archived_load'], cp)} | {ratio(r['archived_load'], pgbr)} |")
    return out


def capacity_table(cap):
    out = ["| configuration | store | connections | segments | drain s | MiB/s | link limit MiB/s | of link "
           "| × ours one-at-a-time | × pgBackRest same N | failed | missing |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    by = {r["config"]: r for r in cap}
    for r in cap:
        store = r["store"]
        direct = "-direct-" in r["config"]
        one = by.get(("ours-1-direct-" if direct else "ours-1-") + store, {}).get("mib_s")
        pgbr = by.get(f"pgbr-async{r['conns']}-{store}", {}).get("mib_s")
        link = r["link_mib_s"]
        of_link = ratio(r["mib_s"], link, "{:.0%}") if link not in ("-", "") else "–"
        drain = f"{num(r['drain_s']):.1f}" + ("" if r["drained"] == "1" else " (not drained)")
        out.append(f"| {r['config']} | {store}{' (no proxy)' if direct else ''} | {r['conns']} | {r['segs']} | {drain} "
                   f"| {r['mib_s']} | {link} | {of_link} | {ratio(r['mib_s'], one)} | {ratio(r['mib_s'], pgbr)} "
                   f"| {r['failed']} | {r['missing']} |")
    return out


def replay_table(rep):
    out = ["| tool | store | segments | seconds | × cp | × pgBackRest async | rows as on the primary |",
           "|---|---|---:|---:|---:|---:|---|"]
    by = {r["config"]: r for r in rep}
    cp = by.get("cp", {}).get("seconds")
    for r in rep:
        pgbr = by.get(f"pgbr-async4-{peer_store(r['store'])}", {}).get("seconds")
        secs = num(r["seconds"])
        out.append(f"| {r['config']} | {r['store']} | {r['segs']} | {f'{secs:.1f}' if secs is not None else r['seconds']} "
                   f"| {ratio(r['seconds'], cp)} | {ratio(r['seconds'], pgbr)} | {'yes' if r['rows_ok'] == '1' else 'NO'} |")
    return out


def proxy_table(px):
    out = ["| server | path | op | median s | MiB/s |", "|---|---|---|---:|---:|"]
    for r in px:
        out.append(f"| {r['backend']} | {r['path']} | {r['op']} | {r['median_s']} | {r['mib_s']} |")
    return out


def goals(storm, cap, rep):
    """The issue's goals, as far as this run's rows allow."""
    g = []
    s = {r["config"]: r for r in storm}
    c = {r["config"]: r for r in cap}
    p = {r["config"]: r for r in rep}

    def val(d, k, f):
        return num(d.get(k, {}).get(f))

    cp = val(s, "cp", "archived_load")
    la = val(s, "ours-la4-file", "archived_load")
    if la is not None and cp:
        g.append(f"- Storm, file://, look-ahead: {la / cp:.2f} x cp (goal ≥ 0.95), backlog at end "
                 f"{s['ours-la4-file']['ready_end']} (goal ≤ 8).")
    else:
        g.append("- Storm, file://, look-ahead: " + ("no `cp` row to compare with." if la is not None else
                 "no look-ahead row (the binary lacks it, or it was not run)."))
    for k in sorted(s):
        if k.startswith("ours-la4-s3-") and not k.endswith("-zstd"):
            b = k[len("ours-la4-"):]
            one = s.get(f"ours-1-{b}")
            g.append(f"- Storm, {b} through the link: backlog at end look-ahead {s[k]['ready_end']}, "
                     f"one-at-a-time {one['ready_end'] if one else '–'}.")
        if k.startswith("ours-la4-") and k.endswith("-zstd"):
            plain = val(s, k[:-5], "archived_load")
            z = val(s, k, "archived_load")
            if plain and z is not None:
                g.append(f"- Storm, {k[9:-5]}, --zstd look-ahead: {z / plain:.2f} x uncompressed look-ahead (goal ≥ 0.9).")
    for k in sorted(c):
        if k.startswith("ours-la") and "-direct-" not in k:
            n = c[k]["conns"]
            store = c[k]["store"]
            one = val(c, f"ours-1-{store}", "mib_s")
            pg = val(c, f"pgbr-async{n}-{store}", "mib_s")
            mine = num(c[k]["mib_s"])
            link = num(c[k]["link_mib_s"])
            machine = max([num(r["mib_s"]) or 0 for r in cap if "-direct-" in r["config"] and r["store"] == store] or [0])
            bound, which = (link, "link") if not machine or link <= machine else (machine, "machine")
            parts = [f"{mine / one:.1f} x one-at-a-time (goal ≥ 4)" if one else None,
                     f"{mine / pg:.2f} x pgBackRest process-max {n} (goal ≥ 1)" if pg else None,
                     f"{mine / bound:.0%} of the {which}'s {bound:.0f} MiB/s (goal ≥ 80%)" if bound else None]
            g.append(f"- Capacity, {store}, look-ahead {n}: " + ", ".join(x for x in parts if x) + ".")
    cpr = val(p, "cp", "seconds")
    for k in sorted(p):
        if k.startswith("ours-p8-") or k.startswith("ours-sidecar-"):
            st = p[k]["store"]
            mine = num(p[k]["seconds"])
            pg = val(p, f"pgbr-async4-{peer_store(st)}", "seconds")
            how = "ours -p 8" if k.startswith("ours-p8-") else "ours via the sidecar (fetch-ahead 8)"
            if mine:
                g.append(f"- Replay, {st}, {how}: {mine:.1f} s; " +
                         (f"{mine / pg:.2f} x pgBackRest async (goal ≤ 1)" if pg else "no pgBackRest row") +
                         (f", {mine / cpr:.2f} x cp (goal ≤ 1.1)." if cpr else "."))
    return g


def plot(out_dir, samples):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib not importable: no plot"
    series = {}
    for r in samples:
        key = (r["phase"], r["config"])
        series.setdefault(key, []).append((float(r["t"]), int(r["ready"] or 0)))
    panels = {}
    for (phase, cfg) in series:
        if phase == "storm":
            store = "file / posix" if "-s3-" not in cfg else "S3 " + cfg.split("-s3-")[1].split("-")[0]
            panels.setdefault(f"storm: {store}", []).append((phase, cfg))
        else:
            store = "S3 " + cfg.split("-s3-")[1].split("-")[0] if "-s3-" in cfg else "file"
            panels.setdefault(f"capacity: {store}", []).append((phase, cfg))
    if not panels:
        return "no samples: no plot"
    names = sorted(panels, key=lambda n: (not n.startswith("storm"), n))
    fig, axes = plt.subplots(len(names), 1, figsize=(11, 4.2 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        for i, key in enumerate(sorted(panels[name], key=lambda k: k[1])):
            pts = series[key]
            style = "-" if i < 10 else "--"
            ax.plot([t for t, _ in pts], [r for _, r in pts], style, label=key[1], linewidth=1.4)
        ax.set_title(name + (" (t from the start of the load)" if name.startswith("storm") else " (t from the release)"))
        ax.set_xlabel("seconds")
        ax.set_ylabel(".ready segments (backlog)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2, loc="upper left")
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "backlog.png"), dpi=90)
    return None


def main() -> None:
    out_dir, header = sys.argv[1], sys.argv[2]
    storm = rows(os.path.join(out_dir, "storm.tsv"))
    cap = rows(os.path.join(out_dir, "capacity.tsv"))
    rep = rows(os.path.join(out_dir, "replay.tsv"))
    px = rows(os.path.join(out_dir, "proxy.tsv"))
    with open(os.path.join(out_dir, "samples.csv")) as f:
        samples = list(csv.DictReader(f))
    lines = open(header).read().rstrip("\n").split("\n")
    if px:
        lines += ["", "## The link (bench/shaper.py)", "",
                  "16 MiB objects with curl (signed PUT/GET; median of CHECK_N), direct and through the proxy with no "
                  "delay and no cap (pass-through), then shaped; `sink` rows: 8 raw TCP streams into a byte sink "
                  "(sender and sink are Python threads competing with the proxy for the same cores, so a lower bound).", ""]
        lines += proxy_table(px)
    if storm:
        lines += ["", "## Storm", "",
                  "Segments PostgreSQL's archiver had archived while the load ran, the `.ready` backlog when it stopped, "
                  "and the time from then until the backlog was gone. `in store`: segments found from the first to "
                  "`last_archived_wal`; `missing` must be 0.", ""]
        lines += storm_table(storm)
    if cap:
        lines += ["", "## Capacity", "",
                  "A backlog held back (no `archive_command`) and then released: drain time and MiB/s. The link's "
                  "limit is connections x the per-connection cap; `no proxy` rows show the machine's own bound.", ""]
        lines += capacity_table(cap)
    if rep:
        lines += ["", "## Replay", "",
                  "A recovery from a `pg_basebackup` through `restore_command` only, timed from `pg_ctl start` until "
                  "PostgreSQL leaves recovery; rows checked against the primary.", ""]
        lines += replay_table(rep)
    lines += ["", "## Against the goals of issue 11 (this run)", ""] + goals(storm, cap, rep)
    msg = plot(out_dir, samples)
    lines += ["", msg if msg else "Backlog over time: `backlog.png`; every sample: `samples.csv`."]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
