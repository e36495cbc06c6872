"""Nothing altered: a DataFrame in a pickle data node reads back exactly as written.
Arrow IPC where the round trip is exact (decided on dtypes, labels and index),
a pickle otherwise; the format is recorded per version."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scenarium as sc
from scenarium import Config


def node():
    dn = Config.configure_data_node("v", storage_type="pickle")
    return sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn])).v


def assert_same(written: pd.DataFrame, read: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        written,
        read,
        check_exact=True,
        check_freq=True,
        check_flags=True,
        check_index_type=True,
        check_column_type=True,
    )
    assert written.attrs == read.attrs
    for column in range(written.shape[1]):
        for a, b in zip(written.iloc[:, column], read.iloc[:, column]):
            assert type(a) is type(b), (a, b)


CASES = {
    "mixed object column": (pd.DataFrame({"a": [1, "x", 2.5]}), "pickle"),
    "duplicate column names": (pd.DataFrame([[1, 2]], columns=["a", "a"]), "pickle"),
    "complex column": (pd.DataFrame({"z": [1 + 2j, 3j]}), "pickle"),
    "list cells": (pd.DataFrame({"l": [[1, 2], [3]]}), "pickle"),
    "dict cells": (pd.DataFrame({"d": [{"a": 1}, {"b": 2}]}), "pickle"),
    "index with freq": (pd.DataFrame({"a": [1, 2]}, index=pd.date_range("2024-01-01", periods=2, freq="D")), "pickle"),
    "plain numbers and text": (pd.DataFrame({"a": [1, 2], "b": [0.5, np.nan], "c": ["x", "y"]}), "arrow/pandas"),
    "nullable and categorical": (
        pd.DataFrame({"n": pd.array([1, None], dtype="Int64"), "k": pd.Categorical(["p", "q"])}),
        "arrow/pandas",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_pandas_frames_come_back_exactly(case) -> None:
    frame, expected_format = CASES[case]
    dn = node()
    dn.write(frame)
    assert dn._latest().value.format == expected_format
    assert_same(frame, dn.read())
    assert_same(frame, dn.read(version=1))


def test_a_polars_frame_with_object_cells_is_pickled() -> None:
    frame = pl.DataFrame({"o": pl.Series([{1}, (2,)], dtype=pl.Object), "i": [1, 2]})
    dn = node()
    dn.write(frame)
    assert dn._latest().value.format == "pickle/polars"
    back = dn.read()
    assert back["o"].to_list() == [{1}, (2,)] and back["i"].to_list() == [1, 2]


COLUMNS = {
    "int": st.lists(st.integers(-(2**63), 2**63 - 1), min_size=3, max_size=3).map(
        lambda v: pd.Series(v, dtype="int64")
    ),
    "float": st.lists(st.floats(allow_nan=True), min_size=3, max_size=3).map(lambda v: pd.Series(v, dtype="float64")),
    "bool": st.lists(st.booleans(), min_size=3, max_size=3).map(pd.Series),
    "text": st.lists(st.text(max_size=5), min_size=3, max_size=3).map(pd.Series),
    "nullable": st.lists(st.none() | st.integers(-5, 5), min_size=3, max_size=3).map(
        lambda v: pd.Series(v, dtype="Int64")
    ),
    "category": st.lists(st.sampled_from(["a", "b"]), min_size=3, max_size=3).map(
        lambda v: pd.Series(pd.Categorical(v))
    ),
    "utc time": st.lists(st.integers(0, 2**40), min_size=3, max_size=3).map(
        lambda v: pd.Series(pd.to_datetime(v, unit="s", utc=True))
    ),
    "duration": st.lists(st.integers(0, 10**6), min_size=3, max_size=3).map(
        lambda v: pd.Series(pd.to_timedelta(v, unit="ms"))
    ),
    "mixed": st.lists(st.integers(0, 3) | st.text(max_size=2) | st.none(), min_size=3, max_size=3).map(
        lambda v: pd.Series(v, dtype=object)
    ),
    "lists": st.lists(st.lists(st.integers(0, 3), max_size=2), min_size=3, max_size=3).map(
        lambda v: pd.Series(v, dtype=object)
    ),
    "complex": st.lists(st.complex_numbers(allow_nan=False, max_magnitude=1e6), min_size=3, max_size=3).map(
        lambda v: pd.Series(v, dtype="complex128")
    ),
    "uint8": st.lists(st.integers(0, 255), min_size=3, max_size=3).map(lambda v: pd.Series(v, dtype="uint8")),
}
INDEXES = [
    lambda: pd.RangeIndex(3),
    lambda: pd.RangeIndex(3, name="row"),
    lambda: pd.Index(["p", "q", "r"], name="key"),
    lambda: pd.Index([10, 20, 10]),
    lambda: pd.date_range("2024-01-01", periods=3, freq="h"),
    lambda: pd.DatetimeIndex(["2024-01-03", "2024-01-01", "2024-01-02"]),
    lambda: pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)]),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.sampled_from(sorted(COLUMNS)), min_size=1, max_size=4),
    data=st.data(),
    index=st.sampled_from(range(len(INDEXES))),
    int_labels=st.booleans(),
)
def test_any_frame_reads_back_exactly_whichever_format_is_chosen(kinds, data, index, int_labels) -> None:
    columns = {
        (i if int_labels else f"{kind}_{i}"): data.draw(COLUMNS[kind]).to_numpy() for i, kind in enumerate(kinds)
    }
    frame = pd.DataFrame({k: pd.Series(v) for k, v in columns.items()})
    for label, kind in zip(frame.columns, kinds):
        frame[label] = data.draw(COLUMNS[kind])
    frame.index = INDEXES[index]()
    Config._reset()
    dn = node()
    dn.write(frame)
    assert_same(frame, dn.read())
