"""The article's four-submit sequence, timed: `make demo` runs it on the sample data.

It uses the article's own `config.py` and `algos/algo.py` (in examples/article/),
with only `from taipy import Config` changed to `from scenarium import Config`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="customers CSV (the article's columns)")
    parser.add_argument("--verbose", action="store_true", help="show the tasks' own prints")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="scenarium-demo-")
    os.makedirs(os.path.join(workdir, "data"))
    shutil.copy(args.data, os.path.join(workdir, "data", "customers_data.csv"))
    os.chdir(workdir)
    sys.path.insert(0, os.path.join(HERE, "article"))

    import scenarium as sc  # noqa: E402
    from scenarium import Config  # noqa: E402

    Config.configure_core(storage_folder=os.path.join(workdir, ".scenarium"))
    from config import scenario_cfg  # the article's config.py  # noqa: E402

    sc.Orchestrator().run()
    scenario = sc.create_scenario(scenario_cfg)
    steps = [
        ("first submit", None, None),
        ("payment_threshold -> 1600", "payment_threshold", 1600),
        ("metric -> median", "metric", "median"),
        ("summary_statistic_type -> max", "summary_statistic_type", "max"),
    ]
    print(f"scenarium {sc.__version__} ({sc.build_profile} build), data: {args.data}")
    for label, node, value in steps:
        if node is not None:
            getattr(scenario, node).write(value)
        quiet = contextlib.nullcontext() if args.verbose else contextlib.redirect_stdout(io.StringIO())
        start = time.perf_counter()
        with quiet:
            submission = scenario.submit()
        elapsed = time.perf_counter() - start
        ran = [j.task_config_id for j in submission.jobs if j.status is sc.Status.COMPLETED]
        skipped = [j.task_config_id for j in submission.jobs if j.status is sc.Status.SKIPPED]
        print(f"{label:32s} {elapsed:8.3f} s   ran: {', '.join(ran) or '-'}; skipped: {', '.join(skipped) or '-'}")
    print("\nhigh_value_summary_df:")
    print(scenario.high_value_summary_df.read().to_string(index=False))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
