"""A task asks for a stored table as a Dask DataFrame by annotating its parameter
(issue 23): it gets partitions read from the stored file on demand, whatever wrote
the table (a Dask task, pandas, a polars LazyFrame, a native task)."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pytest

import scenarium as sc
from conftest import CallLog
from scenarium import Config
from scenarium.storage import dask_frames as _dask_frames

dd = pytest.importorskip("dask.dataframe")

seen: list[tuple[str, int]] = CallLog()


def make_dask(n: int) -> dd.DataFrame:
    return dd.from_pandas(pd.DataFrame({"k": range(n), "v": [i * 0.5 for i in range(n)]}), npartitions=8)


def make_pandas(n: int) -> pd.DataFrame:
    return pd.DataFrame({"k": range(n), "v": [i * 0.5 for i in range(n)]})


def make_lazy(n: int) -> pl.LazyFrame:
    return pl.LazyFrame({"k": range(n)}).with_columns(v=pl.col("k") * 0.5)


def total(frame: dd.DataFrame) -> float:
    seen.append((type(frame).__module__.split(".")[0], frame.npartitions))
    return float(frame["v"].sum().compute())


def total_by_name(frame: dask.dataframe.DataFrame) -> float:  # noqa: F821 (read as text)
    return total(frame)


def scenario_of(maker, reader=total) -> sc.Scenario:
    n = Config.configure_data_node("n", default_data=1000)
    table = Config.configure_data_node("table")
    out = Config.configure_data_node("out")
    tasks = [
        Config.configure_task("make", maker, input=n, output=table, skippable=True),
        Config.configure_task("total", reader, input=table, output=out, skippable=True),
    ]
    return sc.create_scenario(Config.configure_scenario("s", task_configs=tasks))


EXPECTED = sum(i * 0.5 for i in range(1000))


def test_a_dask_output_comes_back_as_its_partitions() -> None:
    seen.clear()
    scenario = scenario_of(make_dask)
    scenario.submit()
    assert scenario.out.read() == EXPECTED
    assert seen == [("dask", 8)]
    assert [j.status for j in scenario.submit().jobs] == [sc.Status.SKIPPED] * 2


def test_a_pandas_table_is_split_into_row_ranges_of_its_memory_mapped_file(monkeypatch) -> None:
    monkeypatch.setattr(_dask_frames, "ROWS_PER_PARTITION", 300)
    seen.clear()
    scenario = scenario_of(make_pandas, total_by_name)
    scenario.submit()
    assert scenario.out.read() == EXPECTED
    assert seen == [("dask", 4)]  # 1000 rows in one record batch, 300 at a time


def test_a_lazyframe_output_is_read_by_dask_from_its_parquet() -> None:
    seen.clear()
    scenario = scenario_of(make_lazy)
    scenario.submit()
    assert scenario.out.read() == EXPECTED
    assert seen[0][0] == "dask"


def test_a_native_tasks_table_feeds_a_dask_task(tmp_path) -> None:
    """The article's native task 1 writes its scored table batch by batch (Arrow IPC):
    a Dask task reads those batches as partitions."""
    from scenarium import datagen
    from scenarium.tasks import customer_analysis as tasks

    csv = tmp_path / "customers.csv"
    datagen.write_csv(str(csv), rows=5000, seed=1)
    path = Config.configure_data_node("path", default_data=str(csv))
    scored = Config.configure_data_node("scored")
    out = Config.configure_data_node("out")

    def score_total(frame: dd.DataFrame) -> float:
        seen.append(("dask", frame.npartitions))
        return float(frame["CUSTOMER_SCORE"].sum().compute())

    task_list = [
        Config.configure_task("score", tasks.preprocess_and_score, input=path, output=scored),
        Config.configure_task("total", score_total, input=scored, output=out),
    ]
    scenario = sc.create_scenario(Config.configure_scenario("native", task_configs=task_list))
    seen.clear()
    scenario.submit()
    expected = pd.read_csv(csv)
    expected_total = (
        0.5 * expected.TotalPurchaseAmount / 1000
        + 0.3 * expected.NumberOfPurchases / 10
        + 0.2 * expected.AverageReviewScore
    ).sum()
    assert scenario.out.read() == pytest.approx(expected_total, rel=1e-12)
    assert seen and seen[0][0] == "dask"
