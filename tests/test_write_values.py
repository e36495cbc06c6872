"""Every kind of value a user may hand a data node, written to every storage type,
is either stored and read back, or refused with scenarium's error naming the node
while the node keeps the value it had (issue 35: bad input gets a clear error and
loses no data). Found with it: an empty frame written to a csv node was stored and
could not be read back."""

from __future__ import annotations

import collections
import datetime as dt
import decimal
import enum
import fractions
import io
import uuid
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import scenarium as sc
from scenarium import Config


class Color(enum.Enum):
    RED = 1


VALUES: dict[str, Any] = {
    "dict of scalars": {"a": 1, "b": 2}, "dict of lists": {"a": [1, 2], "b": [3]}, "set": {1, 2},
    "bytes": b"\x00\xff", "datetime": dt.datetime(2024, 1, 1), "date": dt.date(2024, 1, 1), "complex": 1 + 2j,
    "ragged rows": [[1], [1, 2, 3]], "3-d array": np.zeros((2, 2, 2)),
    "mixed column": pd.DataFrame({"a": [1, "x", None]}),
    "Series": pd.Series([1, 2], name="s"), "None": None, "nan": float("nan"), "inf": float("inf"),
    "lambda": lambda x: x, "generator": (i for i in range(3)), "open file": io.StringIO("x"),
    "Decimal": decimal.Decimal("1.1"), "Fraction": fractions.Fraction(1, 3), "UUID": uuid.UUID(int=1),
    "Enum": Color.RED, "str": "text", "empty list": [], "empty pandas frame": pd.DataFrame(),
    "empty polars frame": pl.DataFrame(), "duplicate columns": pd.DataFrame([[1, 2]], columns=["a", "a"]),
    "int column names": pd.DataFrame([[1, 2]]),
    "MultiIndex": pd.DataFrame({"a": [1, 2]}, index=pd.MultiIndex.from_tuples([(1, 2), (3, 4)])),
    "bytes column": pd.DataFrame({"a": [b"x", b"y"]}),
    "polars Object column": pl.DataFrame({"a": [object(), object()]}, schema={"a": pl.Object}),
    "polars struct": pl.DataFrame({"a": [{"x": 1}, {"x": 2}]}), "polars list": pl.DataFrame({"a": [[1], [2, 3]]}),
    "80-bit int": 2**80, "nested dict": {"a": {"b": {"c": [1, {"d": 2}]}}}, "tuple keys": {(1, 2): 3},
    "int keys": {1: "a"}, "namedtuple": collections.namedtuple("P", "x y")(1, 2), "numpy float32": np.float32(1.5),
    "numpy datetime64": np.datetime64("2024-01-01"), "aware Timestamp": pd.Timestamp("2024-01-01", tz="UTC"),
    "list of dicts": [{"a": 1}, {"b": 2}], "list of tuples": [(1, 2), (3,)], "text with NUL": "a\x00b",
    "lone surrogate": "\udcff", "column name with NUL": pd.DataFrame({"a\x00": [1]}),
}  # fmt: skip


def _deep(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


VALUES["100,000-deep list"] = _deep(100_000)  # json's encoder recursed past the limit (a bare RecursionError)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a.equals(b)) if hasattr(a, "equals") else bool(a == b)


@pytest.mark.parametrize("storage", ["pickle", "csv", "parquet", "json", "excel", "in_memory"])
def test_every_kind_of_value_is_stored_or_refused_naming_the_node(storage, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    nodes = [Config.configure_data_node(f"n{i}", storage_type=storage) for i in range(len(VALUES))]
    scenario = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=nodes))
    first = pd.DataFrame({"kept": [1]}) if storage in ("csv", "parquet", "excel") else [1]
    wrong = []
    for cfg, (name, value) in zip(nodes, VALUES.items()):
        node = getattr(scenario, cfg.id)
        node.write(first)
        before = node.read()
        try:
            node.write(value)
        except sc.exceptions.ScenariumError as e:
            if node.id not in str(e) and cfg.id not in str(e):
                wrong.append(f"{name}: {type(e).__name__} does not name the node: {e}")
            if not _same(node.read(), before):
                wrong.append(f"{name}: the refused write changed the node's value")
            continue
        except BaseException as e:  # noqa: BLE001  (whatever it is, it is the finding)
            wrong.append(f"{name}: write raised {type(e).__module__}.{type(e).__name__}: {e}")
            continue
        try:
            node.read()
        except BaseException as e:  # noqa: BLE001
            wrong.append(f"{name}: written, then read raised {type(e).__name__}: {e}")
    assert not wrong, "\n".join(wrong)
