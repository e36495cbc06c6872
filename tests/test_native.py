"""The native customer-analysis tasks give the article's pandas numbers."""

from __future__ import annotations

import contextlib
import io
import sys

import numpy as np
import pandas as pd
import polars as pl
import pytest

import scenarium as sc
from conftest import ARTICLE, SAMPLE_CSV, ids
from scenarium import datagen
from scenarium.tasks import customer_analysis as ca

pytest.importorskip("dask.dataframe")
METRICS = ["mean", "median", "min", "max", "sum", "std", "count"]
STATISTICS = ["mean", "median", "max", "min"]


@pytest.fixture(scope="module")
def algo():
    sys.path.insert(0, str(ARTICLE))
    try:
        from algos import algo as module
    finally:
        sys.path.remove(str(ARTICLE))
    return module


def quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def pandas_preprocess_and_score(path: str) -> pd.DataFrame:
    """The article's task 1 with pandas reading the file: Dask's dtype inference
    (from the first rows) fails on files whose integer columns have holes later on."""
    df = pd.read_csv(path)
    df["CUSTOMER_SCORE"] = (
        0.5 * df["TotalPurchaseAmount"] / 1000 + 0.3 * df["NumberOfPurchases"] / 10 + 0.2 * df["AverageReviewScore"]
    )
    return df[["CUSTOMER_SCORE", "TotalPurchaseAmount", "NumberOfPurchases", "TotalPurchaseTime"]]


def assert_same(native: pl.DataFrame, expected: pd.DataFrame) -> None:
    got = native.to_pandas()
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for name in expected.columns:
        e, g = expected[name].to_numpy(), got[name].to_numpy()
        if e.dtype.kind in "fiub" and g.dtype.kind in "fiub":
            np.testing.assert_allclose(
                g.astype(float), e.astype(float), rtol=1e-9, atol=0, equal_nan=True, err_msg=name
            )
        else:
            assert [str(v) for v in g] == [str(v) for v in e], name


def make_csv(path, rows: int, seed: int, *, holes: bool = False, zero_purchases: bool = False) -> str:
    datagen.write_csv(str(path), rows, seed)
    if holes or zero_purchases:
        lines = path.read_text().splitlines()
        for i in range(1, len(lines)):
            cells = lines[i].split(",")
            if holes and i % 7 == 0:
                cells[3 + i % 4] = ""  # an empty amount, count, review score or time
            if zero_purchases and i % 11 == 0:
                cells[4] = "0"
                cells[6] = "0" if i % 22 == 0 else cells[6]  # 0/0 and x/0
            lines[i] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n")
    return str(path)


CASES = [
    pytest.param(2000, 1, {}, id="2000-rows"),
    pytest.param(500, 2, {"holes": True}, id="empty-cells"),
    pytest.param(500, 3, {"zero_purchases": True}, id="zero-purchases"),
    pytest.param(3, 4, {"holes": True, "zero_purchases": True}, id="tiny"),
]


@pytest.mark.parametrize(("rows", "seed", "edits"), CASES)
def test_native_equals_the_article_on_every_metric_and_statistic(tmp_path, algo, rows, seed, edits) -> None:
    path = make_csv(tmp_path / "c.csv", rows, seed, **edits)
    expected_scored = pandas_preprocess_and_score(path)
    if not edits:
        dask_scored = quiet(algo.preprocess_and_score, path).reset_index(drop=True)
        pd.testing.assert_frame_equal(dask_scored, expected_scored)
    scored = ca.preprocess_and_score(path)
    assert_same(scored, expected_scored.reset_index(drop=True))
    for payment, score in [(1000, 1.5), (1600, 1.5), (1000.5, 0.0)]:
        expected_seg = quiet(algo.featurization_and_segmentation, expected_scored.copy(), payment, score)
        segmented = ca.featurization_and_segmentation(scored, payment, score)
        assert_same(segmented, expected_seg.reset_index(drop=True))
        for metric in METRICS:
            expected_result = quiet(algo.segment_analysis, expected_seg, metric)
            result = ca.segment_analysis(segmented, metric)
            assert_same(result, expected_result)
            high = (expected_seg["ValueSegment"] == "High Value").any()
            for statistic in STATISTICS:
                if not high:
                    with pytest.raises(sc.exceptions.TaskError, match='no customer is in the "High Value"'):
                        ca.high_value_cust_summary_statistics(segmented, result, statistic)
                    continue
                expected_summary = quiet(
                    algo.high_value_cust_summary_statistics, expected_seg, expected_result, statistic
                )
                summary = ca.high_value_cust_summary_statistics(segmented, result, statistic)
                assert_same(summary, expected_summary)


@pytest.mark.parametrize(("rows", "seed", "edits"), CASES)
def test_in_a_scenario_native_tasks_equal_the_article_on_every_metric(
    tmp_path, algo, monkeypatch, rows, seed, edits
) -> None:
    """In a scenario, tasks 3 and 4 read task 1's stored table and compute task
    2's columns in their own pass (src/tasks/customer_analysis/segments.rs): the same numbers."""
    path = make_csv(tmp_path / "c.csv", rows, seed, **edits)
    expected_scored = pandas_preprocess_and_score(path)
    scenario = native_scenario(tmp_path, monkeypatch)
    scenario.path_to_data.write(path)
    for payment, score in [(1000, 1.5), (1600, 1.5), (1000.5, 0.0), (1000, 99.0)]:
        scenario.payment_threshold.write(payment)
        scenario.score_threshold.write(score)
        expected_seg = quiet(algo.featurization_and_segmentation, expected_scored.copy(), payment, score)
        high = (expected_seg["ValueSegment"] == "High Value").any()
        for metric in METRICS:
            scenario.metric.write(metric)
            expected_result = quiet(algo.segment_analysis, expected_seg, metric)
            for statistic in STATISTICS:
                scenario.summary_statistic_type.write(statistic)
                if not high:
                    with pytest.raises(sc.JobFailed, match='no customer is in the "High Value"'):
                        scenario.submit(progress=False)
                    assert_same(scenario.segment_result.read(), expected_result)
                    continue
                scenario.submit(progress=False)
                assert_same(scenario.segment_result.read(), expected_result)
                expected_summary = quiet(
                    algo.high_value_cust_summary_statistics, expected_seg, expected_result, statistic
                )
                assert_same(scenario.high_value_summary_df.read(), expected_summary)
    assert scenario.segmented_customer_df._engine.latest_version(scenario.segmented_customer_df.id).value.kind == (
        "recipe"
    )
    sys.modules.pop("config", None)


def test_a_count_that_turns_fractional_past_the_inferred_rows_is_stored_as_float(tmp_path, monkeypatch) -> None:
    """polars infers NumberOfPurchases as integers from the first 10,000 rows; a fraction
    further down makes task 1 read the file again with it as float, and what is stored is
    that second reading alone, equal to pandas'."""
    path = tmp_path / "c.csv"
    datagen.write_csv(str(path), 30_000, 5)
    lines = path.read_text().splitlines()
    cells = lines[25_000].split(",")
    cells[4] = "2.5"
    lines[25_000] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    scenario = native_scenario(tmp_path, monkeypatch)
    scenario.path_to_data.write(str(path))
    scenario.submit(progress=False)
    scored = scenario.scored_df.read()
    assert scored["NumberOfPurchases"].dtype == pl.Float64
    assert_same(scored, pandas_preprocess_and_score(str(path)).reset_index(drop=True))
    sys.modules.pop("config", None)


def test_no_high_value_customer_is_a_clear_error(tmp_path) -> None:
    scored = ca.preprocess_and_score(make_csv(tmp_path / "c.csv", 100, 5))
    segmented = ca.featurization_and_segmentation(scored, 1000, 1e9)
    result = ca.segment_analysis(segmented, "mean")
    assert result["ValueSegment"].to_list() == ["Low Value"]
    with pytest.raises(sc.exceptions.TaskError, match="high_value_cust_summary_statistics: no customer"):
        ca.high_value_cust_summary_statistics(segmented, result, "mean")


def test_pandas_frames_are_accepted() -> None:
    frame = pd.read_csv(SAMPLE_CSV)
    assert ca.preprocess_and_score(frame).equals(ca.preprocess_and_score(pl.from_pandas(frame)))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty: it has no header row"),
        ("CustomerID,TotalPurchaseAmount\n1,2.0\n", 'column "NumberOfPurchases" is missing'),
        (
            "totalpurchaseamount,NumberOfPurchases,AverageReviewScore,TotalPurchaseTime\n1,2,3,4\n",
            'column "TotalPurchaseAmount" is missing \\(did you mean "totalpurchaseamount"\\?\\)',
        ),
        (
            "TotalPurchaseAmount,NumberOfPurchases,AverageReviewScore,TotalPurchaseTime\nabc,2,3,4\n",
            'bad.csv, line 2: column "TotalPurchaseAmount" holds "abc", which is not a number',
        ),
    ],
)
def test_bad_files_name_task_and_column(tmp_path, content, message) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(sc.exceptions.TaskError, match=f"preprocess_and_score: .*{message}"):
        ca.preprocess_and_score(str(path))


def test_missing_file_and_bad_parameters(tmp_path) -> None:
    with pytest.raises(sc.exceptions.TaskError, match="cannot read .*nope.csv"):
        ca.preprocess_and_score(str(tmp_path / "nope.csv"))
    scored = ca.preprocess_and_score(str(SAMPLE_CSV))
    with pytest.raises(sc.exceptions.TaskError, match='parameter "payment_threshold" is "high"; expected a number'):
        ca.featurization_and_segmentation(scored, "high", 1.5)
    segmented = ca.featurization_and_segmentation(scored, 1000, 1.5)
    with pytest.raises(sc.exceptions.TaskError, match='parameter "metric" is "average"; expected one of mean, median'):
        ca.segment_analysis(segmented, "average")


def native_scenario(article_dir, monkeypatch):
    from conftest import REPO

    monkeypatch.syspath_prepend(str(REPO / "examples" / "native"))
    sys.modules.pop("config", None)
    import config

    return sc.create_scenario(config.scenario_cfg)


def test_native_scenario_runs_the_article_sequence(article_dir, monkeypatch) -> None:
    s = native_scenario(article_dir, monkeypatch)
    all_tasks = [
        "preprocess_and_score",
        "featurization_and_segmentation",
        "segment_analysis",
        "high_value_cust_summary_statistics",
    ]
    assert ids(s.submit(), sc.Status.COMPLETED) == all_tasks
    s.payment_threshold.write(1600)
    assert ids(s.submit(), sc.Status.COMPLETED) == all_tasks[1:]
    s.metric.write("median")
    assert ids(s.submit(), sc.Status.COMPLETED) == all_tasks[2:]
    s.summary_statistic_type.write("max")
    assert ids(s.submit(), sc.Status.COMPLETED) == all_tasks[3:]
    assert ids(s.submit(), sc.Status.SKIPPED) == all_tasks
    summary = s.high_value_summary_df.read()
    assert isinstance(summary, pl.DataFrame)
    scored = ca.preprocess_and_score("data/customers_data.csv")
    segmented = ca.featurization_and_segmentation(scored, 1600, 1.5)
    expected = ca.high_value_cust_summary_statistics(segmented, ca.segment_analysis(segmented, "median"), "max")
    assert summary.equals(expected)
    sys.modules.pop("config", None)


def test_a_failing_native_task_fails_its_job(article_dir, monkeypatch) -> None:
    s = native_scenario(article_dir, monkeypatch)
    s.metric.write("average")
    with pytest.raises(sc.JobFailed, match='segment_analysis: parameter "metric" is "average"'):
        s.submit()
    assert s.scored_df.is_ready_for_reading
    sys.modules.pop("config", None)


def test_the_wide_table_is_kept_as_a_recipe_and_reads_as_computed(article_dir, monkeypatch) -> None:
    s = native_scenario(article_dir, monkeypatch)
    s.submit()
    stored = s.segmented_customer_df._engine.latest_version(s.segmented_customer_df.id).value
    assert stored.kind == "recipe", "task 2's output should not be written: it is cheaper to recompute"
    expected = ca.featurization_and_segmentation(ca.preprocess_and_score("data/customers_data.csv"), 1000, 1.5)
    assert s.segmented_customer_df.read().equals(expected)
    # The objects a recipe reads are still referenced: gc must keep them.
    sc.gc(grace_period=0)
    assert s.segmented_customer_df.read().equals(expected)
    s.payment_threshold.write(1600)
    assert ids(s.submit(), sc.Status.COMPLETED) == [
        "featurization_and_segmentation",
        "segment_analysis",
        "high_value_cust_summary_statistics",
    ]
    sys.modules.pop("config", None)


def test_pandas_frames_are_stored_as_arrow_and_feed_native_tasks() -> None:
    from scenarium import Config

    def load() -> pd.DataFrame:
        frame = pd.read_csv(SAMPLE_CSV)
        frame.index = [i % 7 for i in range(len(frame))]  # as Dask's compute() leaves it: not a RangeIndex
        return frame

    raw = Config.configure_data_node("raw")
    scored = Config.configure_data_node("scored")
    tasks = [
        Config.configure_task("load", load, [], [raw]),
        Config.configure_task("score", ca.preprocess_and_score, [raw], [scored]),
    ]
    scenario = sc.create_scenario(Config.configure_scenario("mixed", task_configs=tasks))
    scenario.submit()
    assert scenario.raw._latest().value.format == "arrow/pandas"
    back = scenario.raw.read()
    pd.testing.assert_frame_equal(back, load())  # values, dtypes and the index
    assert scenario.scored._latest().value.format == "arrow/polars"
    assert_same(scenario.scored.read(), pandas_preprocess_and_score(str(SAMPLE_CSV)))
