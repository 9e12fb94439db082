#!/usr/bin/env python3
"""Turns bench/backup.sh samples into a Markdown table.

Arguments: the TSV file (`tool compression op seconds rss_kib status`, op = backup|restore),
PGDATA's size in KiB, then the compressions in display order.
"""
import sys

TOOLS = ["cloud-wal", "cloud-wal-file", "barman-cloud", "pgbackrest"]


def main() -> None:
    path, pgdata_kib, comps = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    cells: dict = {}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) != 6:
            continue
        tool, comp, op, secs, rss, status = f
        cell = cells.setdefault((tool, comp), {})
        if status != "0":
            cell[op] = ("FAILED", status)
        elif op not in cell:
            cell[op] = (float(secs), int(rss))
    mib = pgdata_kib / 1024
    print("| tool | compression | backup s | backup MiB/s | backup peak RSS MiB | restore s | restore MiB/s "
          "| restore peak RSS MiB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for tool in TOOLS:
        for comp in comps:
            cell = cells.get((tool, comp))
            if cell is None:
                continue
            out = [tool, comp]
            for op in ("backup", "restore"):
                value = cell.get(op)
                if value is None:
                    out += ["—", "—", "—"]
                elif value[0] == "FAILED":
                    out += [f"FAILED (exit {value[1]})", "", ""]
                else:
                    secs, rss = value
                    out += [f"{secs:.1f}", f"{mib / max(secs, 0.01):.0f}", f"{rss / 1024:.0f}"]
            print("| " + " | ".join(out) + " |")


if __name__ == "__main__":
    main()
