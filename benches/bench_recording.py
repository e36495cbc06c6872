"""The cost of recording what a task touches as it runs (scenarium.identity.recording):

- a Python task calling 1,000,000 small user functions, with recording on and off
  (the cost per call);
- the article's pandas tasks (examples/article/algos/algo.py) on a CSV of N rows
  (default 1M), run directly with recording on and off, in turns.

Each pair runs in one process, alternating, best of --repeat. Results:
benches/results/recording.json.

    python bench_recording.py [--rows 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from _common import customers_csv, write_result

REPO = Path(__file__).resolve().parent.parent
CALLS = 1_000_000


def _small(x: int) -> int:
    return x + 1


def many_calls() -> int:
    total = 0
    for i in range(CALLS):
        total = _small(total) + (i & 1)
    return total


def timed(fn: Callable[[], Any], recorded: bool) -> float:
    from scenarium.identity import recording as _recording

    start = time.perf_counter()
    if recorded:
        with _recording.recording():
            fn()
    else:
        fn()
    return time.perf_counter() - start


def pair(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """(best off, best on), alternating so that drift hits both alike."""
    off, on = [], []
    for _ in range(repeat):
        off.append(timed(fn, False))
        on.append(timed(fn, True))
    return min(off), min(on)


def article_tasks(csv: str) -> Callable[[], Any]:
    sys.path.insert(0, str(REPO / "examples" / "article"))
    algo = importlib.import_module("algos.algo")

    def run() -> None:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):  # the article's tasks print
            scored = algo.preprocess_and_score(csv)
            segmented = algo.featurization_and_segmentation(scored, 1000, 1.5)
            analysis = algo.segment_analysis(segmented, "mean")
            algo.high_value_cust_summary_statistics(segmented, analysis, "mean")

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parent)  # the bench folder is the "project": its functions are user code

    off, on = pair(many_calls, args.repeat)
    per_call_ns = (on - off) / CALLS * 1e9
    print(f"1M small calls: off {off:.3f} s, on {on:.3f} s, +{per_call_ns:.0f} ns a call ({on / off:.2f}x)")

    a_off, a_on = pair(article_tasks(str(customers_csv(args.rows))), args.repeat)
    overhead = (a_on / a_off - 1) * 100
    print(f"article pandas tasks, {args.rows:,} rows: off {a_off:.3f} s, on {a_on:.3f} s ({overhead:+.1f}%)")
    write_result(
        "recording",
        {
            "calls": CALLS,
            "calls_off_s": off,
            "calls_on_s": on,
            "per_call_ns": per_call_ns,
            "article_rows": args.rows,
            "article_off_s": a_off,
            "article_on_s": a_on,
            "article_overhead_percent": overhead,
            "repeat": args.repeat,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
