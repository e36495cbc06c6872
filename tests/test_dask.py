"""mode="dask": jobs run on a Dask LocalCluster (worker processes, loopback only),
reading and writing the shared object store, while the registry stays here."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

import scenarium as sc
from conftest import ARTICLE, SAMPLE_CSV
from scenarium import Config

distributed = pytest.importorskip("distributed")

STEPS = [(None, None), ("payment_threshold", 1600), ("metric", "median"), ("summary_statistic_type", "max")]


class ArticleOnPath(distributed.WorkerPlugin):
    """Workers import the article's `algos` package (real clusters ship code their own way)."""

    def setup(self, worker) -> None:
        if str(ARTICLE) not in sys.path:
            sys.path.insert(0, str(ARTICLE))


@pytest.fixture(scope="module")
def cluster():
    import dask

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),  # a dead worker fails its job at once
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as local,
        distributed.Client(local, set_as_default=False) as client,
    ):
        client.register_plugin(ArticleOnPath())
        yield client


def run_article_sequence(folder: Path, mode: str, client=None) -> list[tuple[list[str], object]]:
    """The article's four submits on the article's own functions; per submit: what ran, and the summary."""
    Config._reset()
    Config.configure_core(storage_folder=str(folder / ".scenarium"), progress=False)
    if mode == "dask":
        Config.configure_job_executions(mode="dask", client=client)
    sys.path.insert(0, str(ARTICLE))
    try:
        sys.modules.pop("config", None)
        import config  # the article's config.py, with scenarium's Config
    finally:
        sys.path.remove(str(ARTICLE))
    scenario = sc.create_scenario(config.scenario_cfg)
    scenario.path_to_data.write(str(folder / "customers.csv"))
    seen = []
    for node, value in STEPS:
        if node is not None:
            getattr(scenario, node).write(value)
        submission = scenario.submit()
        ran = [j.task_config_id for j in submission.jobs if j.status is sc.Status.COMPLETED]
        seen.append((ran, scenario.high_value_summary_df.read().to_dict("records")))
    sys.modules.pop("config", None)
    return seen


def test_the_article_sequence_gives_the_same_outputs_and_skips_as_local_mode(tmp_path, cluster, capsys) -> None:
    for mode in ("local", "dask"):
        (tmp_path / mode).mkdir()
        shutil.copy(SAMPLE_CSV, tmp_path / mode / "customers.csv")
    local = run_article_sequence(tmp_path / "local", "local")
    assert "TASK 1" in capsys.readouterr().out  # local mode: the tasks print here
    on_dask = run_article_sequence(tmp_path / "dask", "dask", cluster)
    assert "TASK 1" not in capsys.readouterr().out  # dask mode: they printed on the workers
    assert on_dask == local
    assert [ran for ran, _ in on_dask] == [
        [
            "preprocess_and_score",
            "featurization_and_segmentation",
            "segment_analysis",
            "high_value_cust_summary_statistics",
        ],
        ["featurization_and_segmentation", "segment_analysis", "high_value_cust_summary_statistics"],
        ["segment_analysis", "high_value_cust_summary_statistics"],
        ["high_value_cust_summary_statistics"],
    ]


def crash_or_double(x: int) -> int:
    if x < 0:
        os._exit(9)  # the worker process dies mid-job
    return 2 * x


def test_a_worker_killed_mid_job_fails_the_job_and_a_resubmit_completes(tmp_path, cluster) -> None:
    Config._reset()
    Config.configure_core(storage_folder=str(tmp_path / ".scenarium"), progress=False)
    Config.configure_job_executions(mode="dask", client=cluster)
    x = Config.configure_data_node("x", default_data=-1)
    y = Config.configure_data_node("y")
    task = Config.configure_task("crash_or_double", crash_or_double, [x], [y], skippable=True)
    scenario = sc.create_scenario(Config.configure_scenario("fragile", task_configs=[task]))
    with pytest.raises(sc.JobFailed, match=r"task 'crash_or_double': the Dask worker running it died"):
        scenario.submit()
    assert scenario.submissions[-1].jobs[0].status is sc.Status.FAILED
    cluster.wait_for_workers(2, timeout=60)
    scenario.x.write(21)
    scenario.submit()
    assert scenario.y.read() == 42


def test_without_distributed_the_mode_says_what_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    Config.configure_job_executions(mode="dask", address="tcp://127.0.0.1:1")
    x = Config.configure_data_node("x", default_data=1)
    task = Config.configure_task("double", crash_or_double, [x], [Config.configure_data_node("y")])
    scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[task]))
    with pytest.raises(sc.MissingOptionalDependency, match=r"pip install 'scenarium\[dask\]'"):
        scenario.submit()


def test_native_tasks_run_on_the_workers_with_the_same_results(tmp_path, cluster) -> None:
    sys.path.insert(0, str(ARTICLE.parent / "native"))
    results = {}
    try:
        for mode in ("local", "dask"):
            Config._reset()
            Config.configure_core(storage_folder=str(tmp_path / mode / ".scenarium"), progress=False)
            if mode == "dask":
                Config.configure_job_executions(mode="dask", client=cluster)
            sys.modules.pop("config", None)
            import config  # examples/native/config.py

            scenario = sc.create_scenario(config.scenario_cfg)
            scenario.path_to_data.write(str(SAMPLE_CSV))
            scenario.submit()
            scenario.metric.write("median")
            ran = [j.task_config_id for j in scenario.submit().jobs if j.status is sc.Status.COMPLETED]
            results[mode] = (ran, scenario.segment_result.read().to_dicts(), scenario.high_value_summary_df.read())
    finally:
        sys.path.remove(str(ARTICLE.parent / "native"))
        sys.modules.pop("config", None)
    assert results["dask"][:2] == results["local"][:2]
    assert results["dask"][2].equals(results["local"][2])
    assert results["dask"][0] == ["segment_analysis", "high_value_cust_summary_statistics"]
    # The jobs opened the object store on the workers: they ran there.
    opened = cluster.run(lambda: sorted(__import__("scenarium.run.dask", fromlist=["_stores"])._stores))
    assert any(str(tmp_path / "dask" / ".scenarium") in folders for folders in opened.values())


def slow_increment(x: int) -> int:
    import time

    time.sleep(1.5)
    return x + 1


def test_cancelling_a_submission_on_the_cluster(tmp_path, cluster) -> None:
    Config._reset()
    Config.configure_core(storage_folder=str(tmp_path / ".scenarium"), progress=False)
    Config.configure_job_executions(mode="dask", client=cluster)
    a = Config.configure_data_node("a", default_data=1)
    b, c = Config.configure_data_node("b"), Config.configure_data_node("c")
    tasks = [
        Config.configure_task("first", slow_increment, [a], [b]),
        Config.configure_task("second", slow_increment, [b], [c]),
    ]
    scenario = sc.create_scenario(Config.configure_scenario("slow", task_configs=tasks))
    submission = scenario.submit(wait=False)
    for job in submission.events():
        if job.status is sc.Status.RUNNING:
            submission.cancel()
            break
    submission.wait(60)
    statuses = {j.task_config_id: j.status for j in submission.jobs}
    assert statuses == {"first": sc.Status.COMPLETED, "second": sc.Status.CANCELED}
    assert scenario.b.read() == 2
