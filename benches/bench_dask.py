"""The article's sequence with the native tasks, in local mode and on a 2-worker
Dask LocalCluster (processes, loopback), on the same CSV: the cost of sending
jobs to a cluster, measured in one run. Results: benches/results/dask.json.

    python bench_dask.py [--rows 30M]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import customers_csv, require_release_build, write_result
from _sequence import STEPS

REPO = Path(__file__).resolve().parent.parent


def sequence(csv: Path, client=None) -> dict:
    import scenarium as sc
    from scenarium import Config

    Config._reset()
    Config.configure_core(storage_folder=tempfile.mkdtemp(prefix="scenarium-bench-dask-"), progress=False)
    if client is not None:
        Config.configure_job_executions(mode="dask", client=client)
    sys.path.insert(0, str(REPO / "examples" / "native"))
    sys.modules.pop("config", None)
    import config

    scenario = sc.create_scenario(config.scenario_cfg)
    scenario.path_to_data.write(os.path.abspath(csv))
    times, jobs = [], []
    for node, value in STEPS[:4]:
        if node is not None:
            getattr(scenario, node).write(value)
        start = time.perf_counter()
        submission = scenario.submit()
        times.append(time.perf_counter() - start)
        jobs.append(sum(j.duration or 0.0 for j in submission.jobs))
    return {"times_s": times, "in_jobs_s": jobs, "summary": scenario.high_value_summary_df.read().to_dicts()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(float(s.upper().rstrip("M")) * 1e6), default=30_000_000)
    args = parser.parse_args()
    require_release_build()
    import distributed

    csv = customers_csv(args.rows)
    local = sequence(csv)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = sequence(csv, client)
    assert on_dask["summary"] == local["summary"], (on_dask["summary"], local["summary"])
    ratio = sum(on_dask["times_s"]) / sum(local["times_s"])
    for name, run in (("local", local), ("dask, 2 workers", on_dask)):
        times = ", ".join(f"{t:.2f}" for t in run["times_s"])
        print(f"{name:16s} {sum(run['times_s']):7.2f} s ({times}); inside jobs {sum(run['in_jobs_s']):.2f} s")
    print(f"dask / local: {ratio:.2f}")
    path = write_result("dask", {"rows": args.rows, "local": local, "dask_2_workers": on_dask, "ratio": ratio})
    print(f"written to {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
