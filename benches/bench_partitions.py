"""Data that grows: the article's CSV gains 1% more rows, and the next submit of its
four native tasks re-parses only the new partitions, and the user's own LazyFrame task
(partitioned, over task 1's partitions) runs only on them. Measured here, each submit
in a process of its own, page cache warm:

1. a full run on the original file (fresh storage folder): every task runs;
2. 1% rows appended (other customers: seed 8), submit again in the same folder;
3. a from-scratch run on the grown file (fresh folder): its outputs must equal step 2's.

    python bench_partitions.py [--rows 100000000] [--csv PATH]

Writes results/partitions.json and results/partitions.md. The CSV is copied next to
the generated data before it grows; the original is left as it was.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import DATA, RESULTS, customers_csv, machine, require_release_build, run_step, submits_table, write_result

STEP = """
import json, sys, time
sys.path.insert(0, sys.argv[3])
from _growing import growing_scenario  # the article's native configuration, task 1 partitioned
scenario = growing_scenario(sys.argv[1], sys.argv[2], user_tasks=True)
start = time.perf_counter()
submission = scenario.submit()
seconds = time.perf_counter() - start
jobs = {
    j.task_config_id: [j.status.name, j.reason, j.duration or 0.0]
    for j in submission.jobs
}
print("RESULT" + json.dumps({
    "seconds": seconds,
    "jobs": jobs,
    "summary": scenario.high_value_summary_df.read().to_dicts(),
    "segments": scenario.segment_result.read().to_dicts(),
    "purchases": scenario.purchases.read().to_dicts(),
    "scored_rows": scenario.scored_df.read(lazy=True).select(__import__("polars").len()).collect().item(),
}, default=repr))
"""


def step(csv: Path, storage: Path) -> dict:
    return run_step(STEP, str(csv), str(storage))


def append_rows(csv: Path, rows: int) -> int:
    """Appends ``rows`` other customers (seed 8) to ``csv``; the bytes added."""
    from scenarium import datagen

    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        more = Path(tmp) / "more.csv"
        datagen.write_csv(str(more), rows, 8)
        with more.open("rb") as src, csv.open("ab") as dst:
            src.readline()  # the header
            before = dst.tell()
            shutil.copyfileobj(src, dst, 16 << 20)
            return dst.tell() - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--csv", type=Path, help="the original CSV (default: generated, seed 7)")
    args = parser.parse_args()
    require_release_build()
    original = args.csv or customers_csv(args.rows)
    DATA.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=DATA) as work:
        work = Path(work)
        grown = work / "customers.csv"
        shutil.copyfile(original, grown)
        full = step(grown, work / "store")
        added = append_rows(grown, args.rows // 100)
        time.sleep(2.5)  # a day's append is not seconds old: past the racy window of stat
        appended = step(grown, work / "store")
        scratch = step(grown, work / "fresh")
        again = step(grown, work / "store")
        size = grown.stat().st_size
    equal = all(appended[k] == scratch[k] for k in ("summary", "segments", "scored_rows", "purchases"))
    result = {
        "rows": args.rows,
        "appended_rows": args.rows // 100,
        "csv_bytes_after": size,
        "appended_bytes": added,
        "full_run": full,
        "after_append": appended,
        "from_scratch_after_append": scratch,
        "unchanged_again": again,
        "ratio_append_to_full": appended["seconds"] / full["seconds"],
        "outputs_equal_from_scratch": equal,
    }
    write_result("partitions", result)
    md = [
        f"# Data that grows: {args.rows:,} rows, then 1% more",
        "",
        f"Machine: {machine()['cpus']} CPUs; commit {machine()['commit']}; each submit in a process of its own, "
        "page cache warm. Command: `cd benches && python bench_partitions.py"
        + (f" --rows {args.rows}" if args.rows != 100_000_000 else "")
        + "`.",
        "",
    ]
    md += submits_table(
        [
            ("full run (fresh folder)", full),
            (f"after appending {args.rows // 100:,} rows ({added / 1e6:,.0f} MB)", appended),
            ("from scratch on the grown file", scratch),
            ("again, nothing changed", again),
        ]
    )
    md += [
        "",
        f"Append over full: **{result['ratio_append_to_full']:.3f}** "
        f"({appended['seconds']:.2f} s / {full['seconds']:.2f} s). "
        f"Outputs after the append equal the from-scratch run's: **{equal}**.",
        "",
        "What the score job said after the append: " + str(appended["jobs"]["preprocess_and_score"][1]),
        "",
        "Task 1 is configured `partitioned=True` (64 MiB partitions); tasks 3 and 4 reduce partition by "
        "partition; the user's LazyFrame task `purchases_by_count` (benches/_growing.py) is `partitioned=True` "
        "over task 1's output, and `combine_purchases` reduces its small per-partition tables. What the "
        "submit after the append spends outside its jobs is mostly one read of the whole "
        "file: exact skipping cannot trust the file's first bytes without reading them.",
        "",
    ]
    (RESULTS / "partitions.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
