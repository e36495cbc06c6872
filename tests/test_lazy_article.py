"""The article's four tasks written by a user as polars LazyFrame functions
(examples/lazy): the four-submit sequence gives the native tasks' numbers (within
1e-9) and the same skip decisions."""

from __future__ import annotations

import importlib.util
import sys

import polars as pl
import pytest

import scenarium as sc
from conftest import REPO, SAMPLE_CSV


def load(name: str, path) -> object:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def both(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers_data.csv").write_bytes(SAMPLE_CSV.read_bytes())
    for name in [m for m in sys.modules if m in ("algos", "lazy_algos", "config") or m.startswith("algos.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(REPO / "examples" / "lazy"))
    lazy = load("lazy_article_config", REPO / "examples" / "lazy" / "config.py")
    native = load("native_article_config", REPO / "examples" / "native" / "config.py")
    yield sc.create_scenario(lazy.scenario_cfg), sc.create_scenario(native.scenario_cfg)
    sys.modules.pop("lazy_algos", None)


def frame(value) -> pl.DataFrame:
    return value if isinstance(value, pl.DataFrame) else pl.from_pandas(value)


def same(a, b) -> None:
    a, b = frame(a), frame(b)
    assert a.columns == b.columns, (a.columns, b.columns)
    for column in a.columns:
        x, y = a[column], b[column]
        if x.dtype.is_numeric():
            assert ((x.cast(pl.Float64) - y.cast(pl.Float64)).abs() <= 1e-9 * (1 + y.cast(pl.Float64).abs())).all()
        else:
            assert x.to_list() == y.to_list(), column


def statuses(submission) -> dict[str, str]:
    return {j.task_config_id: j.status.name for j in submission.jobs}


def test_the_four_submits_match_the_native_tasks(both) -> None:
    lazy, native = both
    steps = [
        lambda s: None,
        lambda s: None,
        lambda s: s.payment_threshold.write(1600),
        lambda s: s.metric.write("median"),
    ]
    for step in steps:
        step(lazy)
        step(native)
        assert statuses(lazy.submit()) == statuses(native.submit())
        same(lazy.segment_result.read().sort("ValueSegment"), frame(native.segment_result.read()).sort("ValueSegment"))
        same(lazy.high_value_summary_df.read(), native.high_value_summary_df.read())
    assert isinstance(lazy.segmented_customer_df.read(lazy=True), pl.LazyFrame)


def test_a_csv_replaced_in_place_reruns_the_lazy_article(both, tmp_path) -> None:
    lazy, _ = both
    lazy.submit()
    before = lazy.high_value_summary_df.read()
    csv = tmp_path / "data" / "customers_data.csv"
    lines = csv.read_text().splitlines(keepends=True)
    csv.write_text("".join(lines[: len(lines) // 2]))  # the same path, other content
    assert set(statuses(lazy.submit()).values()) == {"COMPLETED"}
    assert not frame(lazy.high_value_summary_df.read()).equals(frame(before))
    same(lazy.high_value_summary_df.read(version=1), before)
