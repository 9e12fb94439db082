#!/usr/bin/env python3
"""Turns bench/run.sh samples into a Markdown table.

Input: TSV lines `tool compression op seconds rss_kib status` (op = archive|restore; a non-zero
status marks the tool/compression as failed). Arguments: the TSV file, then the compressions in
display order.
"""
import statistics
import sys

TOOLS = ["cloud-wal", "cloud-wal-sidecar", "barman-cloud", "cloud-wal-file", "cloud-wal-sidecar-file", "pgbackrest",
         "curl"]


def main() -> None:
    path, comps = sys.argv[1], sys.argv[2:]
    rows: dict = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) != 6:
            continue
        tool, comp, op, secs, rss, status = f
        cell = rows.setdefault((tool, comp), {"archive": [], "restore": [], "fail": {}, "server_rss": [], "burst4": []})
        if status != "0":
            cell["fail"][op] = status
        else:
            cell[op].append((float(secs), int(rss)))

    def stats(samples):
        if not samples:
            return None
        t = [s for s, _ in samples]
        return statistics.mean(t), statistics.median(t), max(r for _, r in samples) / 1024

    print("| tool | compression | archive mean s | archive median s | archive seg/s | restore mean s "
          "| restore median s | peak RSS archive MiB | peak RSS restore MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    means = {}
    for tool in TOOLS:
        for comp in comps if tool != "curl" else ["none"]:
            cell = rows.get((tool, comp))
            if cell is None:
                continue
            a, r = stats(cell["archive"]), stats(cell["restore"])
            out = [tool, comp]
            for op, s in (("archive", a), ("restore", r)):
                if op in cell["fail"]:
                    out += [f"FAILED (exit {cell['fail'][op]})", ""]
                elif s is None:
                    out += ["—", "—"]
                else:
                    out += [f"{s[0]:.3f}", f"{s[1]:.3f}"]
                    means[(tool, comp, op)] = s[0]
                if op == "archive":
                    # One at a time, as PostgreSQL's archiver calls archive_command: 1 / mean.
                    out.append(f"{1 / s[0]:.1f}" if s and op not in cell["fail"] and s[0] > 0 else "—")
            for op, s in (("archive", a), ("restore", r)):
                out.append(f"{s[2]:.0f}" if s and op not in cell["fail"] else "—")
            print("| " + " | ".join(out) + " |")

    print()
    print("Sidecar rows: the client is `wget` (its start-up is in the time; RSS columns are wget's). "
          "Peak RSS of the `cloud-wal serve` process itself, per compression run: " + ", ".join(
              f"{tool} {comp} {max(r for _, r in rows[(tool, comp)]['server_rss']) / 1024:.0f} MiB"
              for tool in ("cloud-wal-sidecar", "cloud-wal-sidecar-file") for comp in comps
              if rows.get((tool, comp), {}).get("server_rss")) + ".")
    bursts = []
    for tool in ("cloud-wal-sidecar", "cloud-wal-sidecar-cli", "cloud-wal-sidecar-file", "cloud-wal-sidecar-file-cli"):
        cell = rows.get((tool, "none"))
        if cell and cell["burst4"] and cell["burst4"][0][0] > 0:
            label = tool.replace("cloud-wal-sidecar-file", "file://").replace("cloud-wal-sidecar", "S3")
            label = label.replace("-cli", " per-process CLI") if label.endswith("-cli") else label + " sidecar"
            bursts.append((label, cell["burst4"][0][0]))
    if bursts:
        n = count_segments(rows)
        print("Sustained, 4 pushes at a time, uncompressed (segments/s over all segments): " + "; ".join(
            f"{label} {n / secs:.1f}" for label, secs in bursts) + ".")

    print()
    floor_a, floor_r = means.get(("curl", "none", "archive")), means.get(("curl", "none", "restore"))
    if floor_a is None or floor_r is None:
        print("Overhead above the curl floor: curl floor missing.")
        return
    parts = []
    for tool in ("cloud-wal", "barman-cloud"):
        a, r = means.get((tool, "none", "archive")), means.get((tool, "none", "restore"))
        if a is None or r is None:
            parts.append(f"{tool}: n/a (failed)")
        else:
            parts.append(f"{tool} +{(a - floor_a) * 1000:.0f} ms archive / +{(r - floor_r) * 1000:.0f} ms restore")
    print(f"Overhead above the curl floor (uncompressed, mean; curl PUT {floor_a:.3f} s, GET {floor_r:.3f} s): "
          + "; ".join(parts) + ".")
    oa, ba = means.get(("cloud-wal", "none", "archive")), means.get(("barman-cloud", "none", "archive"))
    orr, br = means.get(("cloud-wal", "none", "restore")), means.get(("barman-cloud", "none", "restore"))
    if None not in (oa, ba, orr, br) and ba - floor_a > 0 and br - floor_r > 0:
        print(f"cloud-wal's overhead is {100 * (oa - floor_a) / (ba - floor_a):.0f}% of barman-cloud's on archive "
              f"and {100 * (orr - floor_r) / (br - floor_r):.0f}% on restore.")


def count_segments(rows) -> int:
    """Segments per run: the archive samples of any one tool/compression."""
    return max((len(cell["archive"]) for cell in rows.values()), default=0)


if __name__ == "__main__":
    main()
