"""Inputs of the scaling model for partitions (issue 38), measured on this machine:

- task 1 partitioned, from scratch, with 1 and with 2 threads: seconds per partition;
- tasks 3 and 4 from scratch, and with every partial remembered (a forced re-run: only
  merging is left): seconds per partition;
- Dask's cost per task on a LocalCluster of 1 and 2 worker processes (a trivial task);
- the store's write rate: new 64 MiB objects through ObjectWriter, 1 and 2 writers;
- a partitioned Python task on that cluster, per partition: a trivial one (scenarium's own
  cost: decode, store, memo, Dask) and the user's LazyFrame task of bench_daily_folder.py
  over 100 daily Parquet files of 300,000 rows.

    python bench_partition_scaling.py [--rows 30000000]

Writes results/partition_scaling.json; the model built from it is results/partition_scaling.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import DATA, customers_csv, require_release_build, write_result

BENCHES = Path(__file__).resolve().parent

STEP = """
import json, sys
sys.path.insert(0, sys.argv[3])
from _growing import growing_scenario
scenario = growing_scenario(sys.argv[1], sys.argv[2])
submission = scenario.submit(force=sys.argv[4] == "force")
value = scenario.scored_df._engine.latest_version(scenario.scored_df.id).value
parts = len(json.loads(value.json)["parts"]) if value.kind == "parts" else 1
print("RESULT" + json.dumps({"parts": parts, "jobs": {j.task_config_id: j.duration for j in submission.jobs}}))
"""


def step(csv: Path, store: Path, threads: int, force: bool) -> dict:
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads), POLARS_MAX_THREADS=str(threads))
    cmd = [sys.executable, "-c", STEP, str(csv), str(store), str(BENCHES), "force" if force else "-"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(next(x for x in out.splitlines() if x.startswith("RESULT"))[6:])


def dask_cost_per_task(workers: int, tasks: int = 400) -> float:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
        client.gather(client.map(abs, range(50)))  # warm
        start = time.perf_counter()
        client.gather(client.map(abs, range(-tasks, 0)))
        return (time.perf_counter() - start) / tasks


class _OnPath:
    """Puts this folder on a Dask worker's path (the benchmark's functions live here)."""

    def setup(self, worker: Any) -> None:
        if str(BENCHES) not in sys.path:
            sys.path.insert(0, str(BENCHES))


def dask_partition_jobs(workers: int, days: Path, function: Any) -> dict:
    """One partitioned Python task over the files of ``days`` on a LocalCluster of
    ``workers`` worker processes: seconds for the submit (all partitions new), per partition."""
    import distributed

    import scenarium as sc
    from scenarium import Config

    with (
        tempfile.TemporaryDirectory(dir=DATA) as work,
        distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.register_plugin(_plugin())
        Config._reset()
        Config.configure_core(storage_folder=str(Path(work) / "store"), progress=False)
        Config.configure_job_executions(mode="dask", client=client)
        daily = Config.configure_parquet_data_node(
            "daily", default_path=str(days), partitioned=True, exposed_type="polars"
        )
        out = Config.configure_parquet_data_node("out")
        task = Config.configure_task("per_day", function, daily, out, partitioned=True)
        scenario = sc.create_scenario(Config.configure_scenario("s", [task]))
        scenario.daily.read(lazy=True)  # the folder taken in before the clock starts
        start = time.perf_counter()
        scenario.submit()
        seconds = time.perf_counter() - start
    count = len([p for p in days.iterdir() if p.suffix == ".parquet"])
    return {"partitions": count, "seconds": seconds, "seconds_per_partition": seconds / count}


def _plugin() -> Any:
    import distributed

    return type("OnPath", (_OnPath, distributed.WorkerPlugin), {})()


def partition_jobs() -> dict:
    """Python partition jobs on Dask, 1 and 2 workers: scenarium's own cost per partition
    (tiny partitions), and the user's LazyFrame task of bench_daily_folder.py per day."""
    from _daily import by_country, daily_files, trivial_partition

    tiny = tiny_days(200)
    days = daily_files(100, 1_000_000)
    return {
        w: {
            "trivial": dask_partition_jobs(w, tiny, trivial_partition),
            "by_country": dask_partition_jobs(w, days, by_country),
        }
        for w in (1, 2)
    }


def store_write_rate(writers: int, objects: int = 16, size: int = 64 << 20) -> dict:
    """MB/s of new objects written into a store through ``ObjectWriter`` (hashed as
    written, written back every 32 MiB, fsync and rename: what a partition's output
    costs), by ``writers`` threads at once; every object's bytes differ."""
    import threading

    from scenarium._core import ObjectStore

    block = os.urandom(1 << 20)
    with tempfile.TemporaryDirectory(dir=DATA) as work:
        store = ObjectStore(Path(work) / "store")
        todo = list(range(objects))
        lock = threading.Lock()

        def write() -> None:
            while True:
                with lock:
                    if not todo:
                        return
                    k = todo.pop()
                writer = store.object_writer(".part")
                for i in range(size >> 20):
                    writer.write(k.to_bytes(8, "little") + i.to_bytes(8, "little") + block[16:])
                writer.store("bytes")

        start = time.perf_counter()
        threads = [threading.Thread(target=write) for _ in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - start
    return {"objects": objects, "bytes": objects * size, "seconds": seconds, "mb_per_s": objects * size / seconds / 1e6}


def tiny_days(count: int) -> Path:
    """``count`` Parquet files of 10 rows, made once."""
    import polars as pl

    folder = DATA / f"tiny_days_{count}"
    if not (folder / "done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for day in range(count):
            pl.DataFrame({"day": [day] * 10, "x": list(range(10))}).write_parquet(folder / f"day-{day:04d}.parquet")
        (folder / "done").write_text("")
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=30_000_000)
    parser.add_argument(
        "--partition-jobs-only",
        action="store_true",
        help="measure only the partition jobs on Dask, kept with the earlier figures of partition_scaling.json",
    )
    args = parser.parse_args()
    require_release_build()
    if args.partition_jobs_only:
        earlier = json.loads((BENCHES / "results" / "partition_scaling.json").read_text())
        earlier.pop("machine", None)
        earlier["dask_partition_jobs"] = partition_jobs()
        earlier["store_write_rate"] = {w: store_write_rate(w) for w in (1, 2)}
        write_result("partition_scaling", earlier)
        print(json.dumps(earlier["dask_partition_jobs"], indent=1))
        return 0
    csv = customers_csv(args.rows)
    result: dict = {"rows": args.rows, "csv_bytes": csv.stat().st_size, "threads": {}}
    for threads in (1, 2):
        with tempfile.TemporaryDirectory(dir=DATA) as work:
            store = Path(work) / "store"
            scratch = step(csv, store, threads, force=False)
            merged = step(csv, store, threads, force=True)
            result["threads"][threads] = {"from_scratch": scratch, "all_remembered": merged}
    result["dask_seconds_per_task"] = {w: dask_cost_per_task(w) for w in (1, 2)}
    result["dask_partition_jobs"] = partition_jobs()
    result["store_write_rate"] = {w: store_write_rate(w) for w in (1, 2)}
    write_result("partition_scaling", result)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
