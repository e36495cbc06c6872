"""The forms of data Taipy's user manual writes and appends to each kind of data node
(lists, lists of lists, arrays, "list" and "records" dicts, frames, enums, dataclasses),
as its data-node-usage page shows them, each read back as Taipy reads it."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

import scenarium as sc
from scenarium import Config, Scope

ROWS = pd.DataFrame({"date": ["12/24/2018", "12/25/2018", "12/26/2018"], "nb_sales": [1550, 2315, 1832]})


class SaleRank(enum.Enum):
    A = 2000
    C = 1500


@dataclasses.dataclass
class SaleRow:
    date: str
    nb_sales: int


def table_node(kind: str, tmp_path, **options) -> sc.DataNode:
    path = tmp_path / f"sales.{ {'csv': 'csv', 'excel': 'xlsx', 'parquet': 'parquet'}.get(kind, 'db') }"
    if kind == "sql_table":
        with sqlite3.connect(tmp_path / "sales.db") as connection:
            connection.execute("CREATE TABLE sales (date TEXT, nb_sales INTEGER)")
        cfg = Config.configure_sql_table_data_node(
            "sales", db_name="sales", db_engine="sqlite", table_name="sales", sqlite_folder_path=str(tmp_path),
            sqlite_file_extension=".db", scope=Scope.GLOBAL, **options,
        )  # fmt: skip
    else:
        configure = getattr(Config, f"configure_{kind}_data_node")
        cfg = configure("sales", default_path=str(path), scope=Scope.GLOBAL, **options)
    node = sc.create_global_data_node(cfg)
    node.write(ROWS)
    return node


APPENDED = [
    ("list of lists", [["12/27/2018", 1700]]),
    ("tuples", [("12/27/2018", 1700)]),
    ("numpy array", np.array([["12/27/2018", 1700]], dtype=object)),
    ('"list" dict', {"date": ["12/27/2018"], "nb_sales": [1700]}),
    ("records", [{"date": "12/27/2018", "nb_sales": 1700}]),
    ("one record", {"date": "12/27/2018", "nb_sales": 1700}),
    ("frame", pd.DataFrame({"date": ["12/27/2018"], "nb_sales": [1700]})),
]


@pytest.mark.parametrize("kind", ["csv", "excel", "parquet", "sql_table"])
@pytest.mark.parametrize("label,data", APPENDED, ids=[a for a, _ in APPENDED])
def test_append_adds_the_row_whatever_its_form(kind, label, data, tmp_path) -> None:
    node = table_node(kind, tmp_path)
    node.append(data)
    table, first = first_sheet(node.read()), first_sheet(node.read(version=1))
    assert len(table) == 4, label
    assert list(table.iloc[-1]) == ["12/27/2018", 1700], label
    assert first.shape == (3, 2), "the version before the append is kept"


def first_sheet(value):
    """An Excel node without sheet_name reads every sheet, as Taipy's."""
    return next(iter(value.values())) if isinstance(value, dict) else value


def test_append_to_an_array_and_a_plain_list(tmp_path) -> None:
    numbers = table_node("csv", tmp_path, exposed_type="numpy")
    numbers.append([["12/27/2018", 1700]])
    assert numbers.read().shape == (4, 2)
    items = sc.create_global_data_node(Config.configure_pickle_data_node("items", scope=Scope.GLOBAL))
    items.write(["a"])
    items.append(["b", "c"])
    assert items.read() == ["a", "b", "c"]


def test_write_with_columns_names_the_columns_as_the_docs_show(tmp_path) -> None:
    node = table_node("csv", tmp_path)
    node.write([["12/24/2018", 1550], ["12/25/2018", 2315]], columns=["date", "nb_sales"])
    assert list(node.read().columns) == ["date", "nb_sales"]
    assert (tmp_path / "sales.csv").read_text().splitlines()[0] == "date,nb_sales"


def test_json_keeps_enums_dates_and_dataclasses_in_taipys_format(tmp_path) -> None:
    path = tmp_path / "sales.json"
    node = sc.create_global_data_node(
        Config.configure_json_data_node("sales", default_path=str(path), scope=Scope.GLOBAL)
    )
    data = [
        {"when": datetime.datetime(2018, 12, 24, 9, 30), "rank": SaleRank.C},
        SaleRow("12/25/2018", 2315),
    ]
    node.write(data)
    assert node.read() == data
    on_disk = json.loads(path.read_text())
    # The format Taipy's default encoder writes, so that each reads the other's files.
    assert on_disk[0]["when"] == {"__type__": "Datetime", "__value__": "2018-12-24T09:30:00"}
    assert on_disk[0]["rank"] == {"__type__": f"Enum-{__name__}-SaleRank-C", "__value__": 1500}
    assert on_disk[1] == {
        "__type__": f"dataclass-{__name__}-SaleRow",
        "__value__": {"date": "12/25/2018", "nb_sales": 2315},
    }


def test_parquet_read_and_write_kwargs(tmp_path) -> None:
    node = table_node("parquet", tmp_path, read_kwargs={"columns": ["nb_sales"]})
    assert list(node.read().columns) == ["nb_sales"], "the configured read_kwargs apply to every read"
    assert list(node.read_with_kwargs(columns=["date"]).columns) == ["date"], "given ones win"
    node.write_with_kwargs(ROWS.head(1), compression="gzip")
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "sales.parquet").metadata.row_group(0).column(0).compression == "GZIP"
    plain = Config.configure_csv_data_node("plain", default_path=str(tmp_path / "plain.csv"), scope=Scope.GLOBAL)
    with pytest.raises(sc.InvalidArgument, match="for parquet data nodes"):
        sc.create_global_data_node(plain).read_with_kwargs()


def test_a_pickle_nodes_second_parameter_is_its_path(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = Config.configure_pickle_data_node("model", "model.p", default_data={"alpha": 0.5})
    scenario = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[cfg]))
    assert scenario.model.read() == {"alpha": 0.5}
    assert (tmp_path / "model.p").exists()
