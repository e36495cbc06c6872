"""One run of the article's four-submit sequence with the native tasks (or, with
``lazy``, the user's own polars LazyFrame tasks of examples/lazy), in its own process
so that its peak memory is its own. Prints one JSON line.

    python native_sequence.py CSV STORAGE_FOLDER [native|lazy]
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    csv, storage = sys.argv[1], sys.argv[2]
    import scenarium as sc
    from scenarium import Config

    Config.configure_core(storage_folder=storage, progress=False)
    which = sys.argv[3] if len(sys.argv) > 3 else "native"
    sys.path.insert(0, str(REPO / "examples" / which))
    import config

    scenario = sc.create_scenario(config.scenario_cfg)
    scenario.path_to_data.write(os.path.abspath(csv))
    steps = [
        (None, None),
        ("payment_threshold", 1600),
        ("metric", "median"),
        ("summary_statistic_type", "max"),
        (None, None),
    ]
    times, ran = [], []
    for node, value in steps:
        if node is not None:
            getattr(scenario, node).write(value)
        start = time.perf_counter()
        submission = scenario.submit()
        times.append(time.perf_counter() - start)
        ran.append([j.task_config_id for j in submission.jobs if j.status is sc.Status.COMPLETED])
    summary = scenario.high_value_summary_df.read()
    if not hasattr(summary, "to_dicts"):
        import polars as pl

        summary = pl.from_pandas(summary)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"times_s": times, "ran": ran, "peak_rss_mib": peak_kib / 1024, "summary": summary.to_dicts()[0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
