"""Partitioned tasks on a Dask LocalCluster of 2 worker processes: each partition is a
Dask task of its own, the outputs are byte-equal to a local run's (the same objects),
and a worker killed in the middle of a partition is survived (Dask runs the partition
again elsewhere). The native task 1's partitions are made on every worker, a stride each,
and the job that follows takes them all: the same value as here."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

import scenarium as sc
from conftest import SAMPLE_CSV
from scenarium import Config

distributed = pytest.importorskip("distributed")

PACKAGE = "dask_days"  # the workers import it from the folder the plugin puts on their path
STATS = """
import os
from pathlib import Path

import polars as pl

LOG = Path(os.environ["SCENARIUM_TEST_CALLS"])

def day_sums(day: pl.LazyFrame) -> pl.LazyFrame:
    first = day.select(pl.col("day").first()).collect().item()
    died = LOG.parent / f"died-{first}"
    if first == 2 and os.environ.get("SCENARIUM_TEST_KILL") and not died.exists():
        died.write_text("once")
        os._exit(1)  # the worker process dies in the middle of the partition
    with LOG.open("a") as log:
        log.write(f"{first}\\n")
    return day.group_by("store").agg(pl.col("amount").sum(), pl.len().alias("n")).sort("store")

def combine(per_day: pl.DataFrame) -> dict:
    out = per_day.group_by("store").agg(pl.col("amount").sum(), pl.col("n").sum()).sort("store")
    return {str(r["store"]): [r["amount"], r["n"]] for r in out.to_dicts()}
"""


class OnPath(distributed.WorkerPlugin):
    def __init__(self, folder: str) -> None:
        self.folder = folder

    def setup(self, worker) -> None:
        if self.folder not in sys.path:
            sys.path.insert(0, self.folder)


@pytest.fixture(scope="module")
def code(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("code")
    (root / PACKAGE).mkdir()
    (root / PACKAGE / "__init__.py").write_text("")
    (root / PACKAGE / "stats.py").write_text(textwrap.dedent(STATS))
    return root


@pytest.fixture(scope="module")
def cluster(code, tmp_path_factory):
    calls = tmp_path_factory.mktemp("calls") / "calls.log"
    saved = {k: os.environ.get(k) for k in ("SCENARIUM_TEST_CALLS", "SCENARIUM_TEST_KILL", "SCENARIUM_PART_BYTES")}
    # The workers start with this environment (they are spawned here).
    os.environ.update(SCENARIUM_TEST_CALLS=str(calls), SCENARIUM_TEST_KILL="1", SCENARIUM_PART_BYTES="4096")
    sys.path.insert(0, str(code))
    try:
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            ) as local,
            distributed.Client(local, set_as_default=False) as client,
        ):
            client.register_plugin(OnPath(str(code)))
            yield client, calls
    finally:
        sys.path.remove(str(code))
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def write_days(folder: Path, days: range) -> None:
    (folder / "daily").mkdir(parents=True, exist_ok=True)
    for day in days:
        rows = "".join(f"{day},{i % 3},{day * i + i % 7}\n" for i in range(300))
        (folder / "daily" / f"2026-01-{day:02d}.csv").write_text("day,store,amount\n" + rows)


def run_days(folder: Path, client=None) -> tuple[list[str], list[str], dict]:
    """(job statuses, the objects of per_day's partitions, the totals) of one submit."""
    from dask_days import stats

    Config._reset()
    Config.configure_core(storage_folder=str(folder / ".scenarium"), progress=False)
    if client is not None:
        Config.configure_job_executions(mode="dask", client=client)
    daily = Config.configure_csv_data_node(
        "daily", default_path=str(folder / "daily"), partitioned=True, exposed_type="polars"
    )
    per_day = Config.configure_parquet_data_node("per_day")
    totals = Config.configure_pickle_data_node("totals")
    sums = Config.configure_task("sums", stats.day_sums, daily, per_day, partitioned=True, skippable=True)
    combine = Config.configure_task("combine", stats.combine, per_day, totals, skippable=True)
    found = sc.get_scenarios()
    scenario = found[0] if found else sc.create_scenario(Config.configure_scenario("days", [sums, combine]))
    submission = scenario.submit()
    stored = scenario.per_day._engine.latest_version(scenario.per_day.id).value
    hashes = [p["hash"] for p in json.loads(stored.json)["parts"]]
    return [j.status.name for j in submission.jobs], hashes, scenario.totals.read()


def test_partitions_spread_over_the_workers_byte_equal_to_local_and_a_killed_worker_is_survived(
    tmp_path, cluster
) -> None:
    client, calls = cluster
    write_days(tmp_path / "local", range(1, 6))
    write_days(tmp_path / "dask", range(1, 6))
    os.environ["SCENARIUM_TEST_KILL"] = ""  # not here: only the workers were started with it
    local = run_days(tmp_path / "local")
    calls.unlink()

    on_dask = run_days(tmp_path / "dask", client)
    assert on_dask == local, "the same partition objects and totals"
    assert (calls.parent / "died-2").exists(), "day 2's worker died once"
    assert sorted(calls.read_text().split()) == ["1", "2", "3", "4", "5"], "day 2 ran again, on a worker"
    ran_on = client.run(lambda: sorted(__import__("scenarium.run.dask", fromlist=["_stores"])._stores))
    assert sum(str(tmp_path / "dask" / ".scenarium") in folders for folders in ran_on.values()) >= 1

    # A new day: one partition on the cluster, the others taken as they were.
    calls.unlink()
    write_days(tmp_path / "dask", range(6, 7))
    write_days(tmp_path / "local", range(6, 7))
    grown = run_days(tmp_path / "dask", client)
    assert calls.read_text().split() == ["6"]
    assert grown == run_days(tmp_path / "local")


def test_the_native_partitioned_task_makes_its_partitions_on_every_worker(tmp_path, cluster) -> None:
    from scenarium.tasks import customer_analysis as ca

    client, _ = cluster
    client.wait_for_workers(2, timeout=60)  # the one killed in the test before is back
    results = {}
    for mode in ("local", "dask"):
        Config._reset()
        Config.configure_core(storage_folder=str(tmp_path / mode / ".scenarium"), progress=False)
        if mode == "dask":
            Config.configure_job_executions(mode="dask", client=client)
        path = Config.configure_data_node("path", default_data=str(SAMPLE_CSV))
        scored = Config.configure_data_node("scored")
        task = Config.configure_task("score", ca.preprocess_and_score, path, scored, partitioned=True)
        scenario = sc.create_scenario(Config.configure_scenario("s", [task]))
        os.environ["SCENARIUM_PART_BYTES"] = "4096"
        scenario.submit()
        stored = scenario.scored._engine.latest_version(scenario.scored.id).value
        results[mode] = (stored.kind, stored.fingerprint)
    assert results["dask"] == results["local"]
    assert results["local"][0] == "parts"
    # The partitions were made side by side, a stride on each worker, then taken whole.
    opened = client.run(lambda: sorted(__import__("scenarium.run.dask", fromlist=["_stores"])._stores))
    assert sum(str(tmp_path / "dask" / ".scenarium") in folders for folders in opened.values()) == 2, opened
