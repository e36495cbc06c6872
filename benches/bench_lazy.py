"""The user's own lazy polars tasks (examples/lazy) against the native tasks and plain
polars, on generated CSVs of several sizes: the five-submit sequence's times and each
process's peak memory (anonymous RSS sampled from /proc, and the kernel's high-water
mark, which also counts memory-mapped file pages). Results: benches/results/lazy.json, .md.

    python bench_lazy.py [--rows 10000000,30000000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from _common import customers_csv, require_release_build, run_measured, write_result

HERE = Path(__file__).resolve().parent


def run(cmd: list[str]) -> dict:
    out, anon_mib = run_measured([sys.executable, *cmd], cwd=str(HERE))
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_anon_mib"] = anon_mib
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="10000000,30000000,100000000")
    args = parser.parse_args()
    require_release_build()
    sizes = [int(r) for r in args.rows.split(",")]
    results: dict[str, dict] = {}
    for rows in sizes:
        csv = str(customers_csv(rows))
        row: dict[str, dict] = {}
        for which in ("lazy", "native"):
            storage = tempfile.mkdtemp(prefix=f"scenarium-bench-{which}-")
            try:
                row[f"scenarium {which}"] = run(["native_sequence.py", csv, storage, which])
            finally:
                shutil.rmtree(storage, ignore_errors=True)
        for mode in ("lazy", "eager"):
            row[f"plain polars {mode}"] = run(["plain_polars_sequence.py", csv, mode])
        results[str(rows)] = row
        print(rows, {k: (round(sum(v["times_s"]), 1), round(v["peak_anon_mib"])) for k, v in row.items()}, flush=True)
    lines = [
        "# The user's lazy polars tasks vs native tasks vs plain polars",
        "",
        "Five submits (first run, payment_threshold, metric, summary type, nothing changed).",
        "Times in seconds; peak anonymous RSS and kernel peak RSS in MiB.",
        "",
        "| rows | system | first submit | all five | peak anon MiB | peak RSS MiB |",
        "|---|---|---|---|---|---|",
    ]
    for rows, row in results.items():
        for name, r in row.items():
            lines.append(
                f"| {int(rows):,} | {name} | {r['times_s'][0]:.1f} | {sum(r['times_s']):.1f} | "
                f"{r['peak_anon_mib']:.0f} | {r['peak_rss_mib']:.0f} |"
            )
    write_result("lazy", {"results": results})
    (HERE / "results" / "lazy.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
