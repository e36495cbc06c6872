"""Native out-of-core tasks: memory and speed of the article's sequence at 10M and 30M rows,
against plain eager Python polars on the same data (benches/baseline_polars.py).

Run with `make bench` (release build). Results: benches/results/native.json.
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


def child(script: str, *args: str) -> dict:
    stdout, peak_anon_mib = run_measured([sys.executable, str(HERE / script), *args])
    return {**json.loads(stdout.strip().splitlines()[-1]), "peak_anon_mib": peak_anon_mib}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), nargs="+", default=[10_000_000, 30_000_000])
    args = parser.parse_args()
    require_release_build()
    runs = {}
    for rows in args.rows:
        csv = customers_csv(rows)
        storage = Path(tempfile.mkdtemp(prefix="scenarium-bench-native-"))
        try:
            native = child("native_sequence.py", str(csv), str(storage))
        finally:
            shutil.rmtree(storage, ignore_errors=True)
        baseline = child("baseline_polars.py", str(csv))
        native_total = sum(native["times_s"][:4])
        baseline_total = sum(baseline["times_s"])
        runs[str(rows)] = {
            "csv_bytes": csv.stat().st_size,
            "native": native,
            "baseline_polars": baseline,
            "native_total_s": native_total,
            "baseline_total_s": baseline_total,
            "speedup_vs_plain_polars": baseline_total / native_total,
            "first_submit_vs_csv_scan_floor": native["times_s"][0] / baseline["csv_scan_floor_s"],
        }
        print(
            f"{rows:>11,} rows: native {native_total:6.2f} s (peak RSS {native['peak_rss_mib']:5.0f} MiB, "
            f"anonymous {native['peak_anon_mib']:5.0f} MiB), plain polars {baseline_total:6.2f} s "
            f"(peak RSS {baseline['peak_rss_mib']:5.0f} MiB, anonymous {baseline['peak_anon_mib']:5.0f} MiB), "
            f"ratio {baseline_total / native_total:4.2f}x; first submit {native['times_s'][0]:.2f} s vs "
            f"CSV-scan floor {baseline['csv_scan_floor_s']:.2f} s"
        )
    if len(args.rows) >= 2:
        small, large = runs[str(min(args.rows))], runs[str(max(args.rows))]
        for kind in ("peak_rss_mib", "peak_anon_mib"):
            growth = large["native"][kind] / small["native"][kind] - 1
            runs[f"growth_small_to_large_{kind}"] = growth
            print(f"native {kind} growth from {min(args.rows):,} to {max(args.rows):,} rows: {growth:+.0%}")
    path = write_result(
        "native",
        {
            "runs": runs,
            "targets": {
                "peak_rss_mib_at_30M": 1024,
                "growth_10M_to_30M": 0.2,
                "speedup_vs_plain_polars": 2.0,
                "first_submit_vs_floor": 1.3,
            },
        },
    )
    print(f"written to {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
