"""Per-job orchestration cost: a chain of N trivial Python tasks (each adds one),
submitted with 1 and 2 workers, and the same chain with independent tasks (a
fan-out) on 2 workers. The task itself costs microseconds, so the time per job
is what scenarium adds: recording the job, fingerprinting code and inputs,
deciding, storing the output. Taipy reports 127-250 ms per job in standalone
mode on this kind of machine.

Run with `make bench` (release build). Results: benches/results/overhead.json.
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import statistics
import sys
import tempfile
import time

from _common import require_release_build, write_result


def plus_one(x: int) -> int:
    return x + 1


def per_job_ms(n: int, workers: int, fan_out: bool, repeats: int) -> dict:
    import scenarium as sc
    from scenarium import Config

    times = []
    for r in range(repeats):
        Config._reset()
        folder = tempfile.mkdtemp(prefix="scenarium-bench-overhead-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        Config.configure_core(storage_folder=folder)
        Config.configure_job_executions(max_nb_of_workers=workers)
        previous = Config.configure_data_node("n0", default_data=r)
        tasks = []
        for i in range(1, n + 1):
            node = Config.configure_data_node(f"n{i}")
            # Independent tasks each read their own number, so that none is a copy of another (which would skip).
            source = Config.configure_data_node(f"s{i}", default_data=i * 10 + r) if fan_out else previous
            tasks.append(Config.configure_task(f"t{i}", plus_one, input=[source], output=[node], skippable=True))
            previous = node
        scenario = sc.create_scenario(Config.configure_scenario("chain", task_configs=tasks))
        start = time.perf_counter()
        submission = scenario.submit()
        elapsed = time.perf_counter() - start
        bad = [(j.task_config_id, j.status.name, j.reason) for j in submission.jobs if not j.is_completed()]
        assert not bad, bad[:3]
        times.append(elapsed * 1000 / n)
    return {"tasks": n, "workers": workers, "fan_out": fan_out, "per_job_ms": times, "median": statistics.median(times)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    require_release_build()
    runs = [
        per_job_ms(args.tasks, 1, False, args.repeats),
        per_job_ms(args.tasks, 2, False, args.repeats),
        per_job_ms(args.tasks, 2, True, args.repeats),
    ]
    for run in runs:
        shape = "independent tasks" if run["fan_out"] else "chain"
        print(f"{run['tasks']} {shape}, {run['workers']} worker(s): {run['median']:.3f} ms per job (median)")
    path = write_result("overhead", {"runs": runs})
    print(f"written to {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
