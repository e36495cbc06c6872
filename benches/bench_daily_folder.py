"""A folder of daily Parquet files gains one day: the user's LazyFrame task, configured
``partitioned=True`` over the folder (a parquet node with ``partitioned=True``), runs on
the new day alone, and the reduction over the small per-day tables runs again. Each
submit in a process of its own, page cache warm:

1. a full run on the first ``--days`` - 2 days (fresh storage folder): every call runs;
2. the next day written, submit again in the same folder (the first process after the
   full run also checks the objects that run stored, once: they were too young to be
   remembered as checked);
3. the last day written, submit again: a day like any other;
4. a from-scratch run on all the days (fresh folder): its output must equal step 3's;
5. again, nothing changed: every job skipped.

    python bench_daily_folder.py [--days 100] [--rows-per-day 300000]

The days are the article's generated customers (seed 7, ``--days`` x
``--rows-per-day`` rows: the 30M-row CSV by default) cut into daily files, written
once under benches/data/. Writes
results/daily_folder.json and results/daily_folder.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import DATA, RESULTS, machine, require_release_build, run_step, submits_table, write_result
from _daily import daily_files

STEP = """
import json, sys, time
sys.path.insert(0, sys.argv[3])
from _daily import scenario  # the user's LazyFrame task per day, and the reduction
s = scenario(sys.argv[1], sys.argv[2])
start = time.perf_counter()
submission = s.submit()
seconds = time.perf_counter() - start
print("RESULT" + json.dumps({
    "seconds": seconds,
    "jobs": {j.task_config_id: [j.status.name, j.reason, j.duration or 0.0] for j in submission.jobs},
    "totals": s.totals.read().to_dicts(),
}, default=repr))
"""


def step(days: Path, storage: Path) -> dict:
    return run_step(STEP, str(days), str(storage))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--rows-per-day", type=int, default=300_000)
    args = parser.parse_args()
    require_release_build()
    source = daily_files(args.days, args.rows_per_day)
    with tempfile.TemporaryDirectory(dir=DATA) as work:
        work = Path(work)
        days = work / "days"
        days.mkdir()
        for day in range(args.days - 2):
            name = f"day-{day:04d}.parquet"
            (days / name).hardlink_to(source / name)
        time.sleep(2.5)  # files older than the racy window of stat, as yesterday's are
        full = step(days, work / "store")
        grown = {}
        for new_day in (f"day-{args.days - 2:04d}.parquet", f"day-{args.days - 1:04d}.parquet"):
            shutil.copyfile(source / new_day, days / new_day)  # the day's file, written now
            time.sleep(2.5)
            grown[new_day] = step(days, work / "store")
        first_day, grown = grown[f"day-{args.days - 2:04d}.parquet"], grown[f"day-{args.days - 1:04d}.parquet"]
        scratch = step(days, work / "fresh")
        again = step(days, work / "store")
    equal = grown["totals"] == scratch["totals"]
    skipped = {s for s, _, _ in again["jobs"].values()} == {"SKIPPED"}
    result = {
        "days": args.days,
        "rows_per_day": args.rows_per_day,
        "full_run": full,
        "after_first_new_day": first_day,
        "after_new_day": grown,
        "from_scratch_after_new_day": scratch,
        "unchanged_again": again,
        "ratio_new_day_to_full": grown["seconds"] / full["seconds"],
        "outputs_equal_from_scratch": equal,
    }
    write_result("daily_folder", result)
    md = [
        f"# A folder of {args.days - 2} daily Parquet files gains a day, then another "
        f"({args.rows_per_day:,} rows a day)",
        "",
        f"Machine: {machine()['cpus']} CPUs; commit {machine()['commit']}; each submit in a process of its own, "
        f"page cache warm. Command: `cd benches && python bench_daily_folder.py --days {args.days} "
        f"--rows-per-day {args.rows_per_day}`.",
        "",
    ]
    md += submits_table(
        [
            (f"full run, {args.days - 2} days (fresh folder)", full),
            ("after a new day, the first process after the full run", first_day),
            ("after the next new day", grown),
            (f"from scratch on {args.days} days", scratch),
            ("again, nothing changed", again),
        ]
    )
    md += [
        "",
        f"New day over full: **{result['ratio_new_day_to_full']:.3f}** "
        f"({grown['seconds']:.2f} s / {full['seconds']:.2f} s); the first new day after the full run "
        f"{first_day['seconds'] / full['seconds']:.3f} (it also checks the objects the full run stored). "
        f"Totals after the new day equal the from-scratch run's: **{equal}**. Unchanged again, all skipped: "
        f"**{skipped}**.",
        "",
        "What the map job said after the new day: " + str(grown["jobs"]["by_country"][1]),
        "",
        "`daily` is a parquet node with `partitioned=True` reading the folder (one partition per file); "
        "`by_country` is the user's LazyFrame task with `partitioned=True`; `combine` reads its per-day tables.",
        "",
    ]
    (RESULTS / "daily_folder.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0 if equal and skipped else 1


if __name__ == "__main__":
    sys.exit(main())
