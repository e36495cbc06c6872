"""Taipy's typed data node configurators and the storage options they name, used
the way Taipy's documentation uses them (issue 21, first part)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

import scenarium as sc
from scenarium import Config, Scope


class DateEncoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, date):
            return {"__date__": o.isoformat()}
        return super().default(o)


class DateDecoder(json.JSONDecoder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, object_hook=self.hook, **kwargs)

    @staticmethod
    def hook(d):
        return date.fromisoformat(d["__date__"]) if "__date__" in d else d


def scenario_with(*nodes):
    return sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=list(nodes)))


def test_the_configurators_set_taipys_properties_and_leave_unset_ones_out() -> None:
    csv = Config.configure_csv_data_node("sales", default_path="sales.csv", has_header=False, scope=Scope.GLOBAL)
    assert (csv.storage_type, csv.scope) == ("csv", Scope.GLOBAL)
    assert csv.properties == {"default_path": "sales.csv", "has_header": False}
    parquet = Config.configure_parquet_data_node("p", compression="gzip", validity_period=timedelta(days=1))
    assert parquet.properties == {"compression": "gzip"} and parquet.validity_period == timedelta(days=1)
    assert Config.configure_in_memory_data_node("m", default_data=3).default_data == 3
    assert Config.configure_pickle_data_node("k").storage_type == "pickle"
    assert Config.configure_json_data_node("j", encoder=DateEncoder).properties["encoder"] is DateEncoder
    assert Config.check() == []


def test_a_csv_without_header_in_another_encoding_reads_as_configured(tmp_path) -> None:
    Path("latin.csv").write_bytes("Café;1\nNaïve;2\n".replace(";", ",").encode("latin-1"))
    dn = Config.configure_csv_data_node("words", default_path="latin.csv", encoding="latin-1", has_header=False)
    s = scenario_with(dn)
    frame = s.words.read()
    assert list(frame.columns) == [0, 1] and list(frame[0]) == ["Café", "Naïve"]
    s.words.write(pd.DataFrame({0: ["Été"], 1: [3]}))
    assert Path("latin.csv").read_bytes() == "Été,3\n".encode("latin-1"), "written as configured"
    assert list(s.words.read(version=1)[0]) == ["Café", "Naïve"]


def test_numpy_and_polars_exposed_types(tmp_path) -> None:
    Path("t.csv").write_text("a,b\n1,2\n3,4\n")
    as_numpy = Config.configure_csv_data_node("n", default_path="t.csv", exposed_type="numpy")
    as_polars = Config.configure_csv_data_node("p", default_path="t.csv", exposed_type="polars")
    s = scenario_with(as_numpy, as_polars)
    assert isinstance(s.n.read(), np.ndarray) and s.n.read().tolist() == [[1, 2], [3, 4]]
    assert isinstance(s.p.read(), pl.DataFrame) and s.p.read()["b"].to_list() == [2, 4]


def test_a_json_node_uses_its_encoder_and_decoder_also_in_a_fresh_process(tmp_path) -> None:
    dn = Config.configure_json_data_node("days", default_path="days.json", encoder=DateEncoder, decoder=DateDecoder)
    s = scenario_with(dn)
    s.days.write({"start": date(2024, 1, 2)})
    assert json.loads(Path("days.json").read_text()) == {"start": {"__date__": "2024-01-02"}}
    assert s.days.read() == {"start": date(2024, 1, 2)}


def shout(words):
    return words.assign(word=words["word"].str.upper())


def test_a_parquet_node_is_written_with_its_compression_and_feeds_a_task(tmp_path) -> None:
    import pyarrow.parquet as pq

    src = Config.configure_csv_data_node("words", default_path="words.csv")
    out = Config.configure_parquet_data_node("loud", default_path="loud.parquet", compression="gzip")
    t = Config.configure_task("shout", shout, input=[src], output=[out], skippable=True)
    Path("words.csv").write_text("word\nhi\nyo\n")
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    s.submit()
    assert pq.ParquetFile("loud.parquet").metadata.row_group(0).column(0).compression == "GZIP"
    assert list(s.loud.read()["word"]) == ["HI", "YO"]
    assert s.submit().jobs[0].status is sc.Status.SKIPPED


def test_typed_configurators_round_trip_through_toml(tmp_path) -> None:
    Config.configure_csv_data_node("sales", default_path="sales.csv", has_header=False, encoding="latin-1")
    Config.configure_json_data_node("days", default_path="days.json", encoder=DateEncoder)
    Config.export("c.toml")
    Config._reset()
    Config.load("c.toml")
    sales, days = Config.data_nodes["sales"], Config.data_nodes["days"]
    assert sales.storage_type == "csv" and sales.properties["has_header"] is False
    assert sales.properties["encoding"] == "latin-1"
    assert days.properties["encoder"] is DateEncoder
    assert [str(i) for i in Config.check() if i.level == "error"] == []


@pytest.mark.parametrize("storage", ["csv", "parquet"])
def test_a_custom_exposed_class_that_cannot_be_found_by_name_is_an_error(storage) -> None:
    # Rows become instances of the class in any process that reads them: it must be importable.
    class Row:
        pass

    cfg = Config.configure_data_node("rows", storage_type=storage, default_path=f"rows.{storage}", exposed_type=Row)
    issues = [str(i) for i in Config.check() if i.level == "error"]
    assert any("exposed_type" in i and "module level" in i for i in issues), issues
    assert cfg.storage_type == storage


@pytest.mark.parametrize("frame", [pd.DataFrame({"a": [1, 2]}), pl.DataFrame({"a": [1, 2]})])
def test_parquet_compression_none_writes_uncompressed(tmp_path, frame) -> None:
    import pyarrow.parquet as pq

    s = scenario_with(Config.configure_parquet_data_node("p", default_path="p.parquet", compression="none"))
    s.p.write(frame)
    assert pq.ParquetFile("p.parquet").metadata.row_group(0).column(0).compression == "UNCOMPRESSED"


def test_default_data_node_configuration_as_taipys_docs_use_it(tmp_path) -> None:
    """The docs' example: a default sql_table section, then nodes that give only what differs."""
    Config.configure_default_data_node(
        storage_type="sql_table", db_name="sale_db", db_engine="sqlite", table_name="products",
        sqlite_folder_path="db", scope=Scope.GLOBAL,
    )  # fmt: skip
    products = Config.configure_data_node(id="products_data")
    users = Config.configure_data_node(id="users_data", table_name="users")
    wholesale = Config.configure_sql_table_data_node(id="wholesale_data", table_name="wholesale_data")
    plain = Config.configure_data_node(id="plain", storage_type="pickle")
    assert (products.storage_type, products.scope, products.table_name) == ("sql_table", Scope.GLOBAL, "products")
    assert (users.table_name, users.db_name) == ("users", "sale_db")
    assert (wholesale.table_name, wholesale.db_engine) == ("wholesale_data", "sqlite")
    assert plain.storage_type == "pickle" and "db_name" not in plain.properties
    assert not [i for i in Config.check() if i.level == "error"]
    Config.export(tmp_path / "c.toml")
    assert "[DATA_NODE.default]" in (tmp_path / "c.toml").read_text()
    specs = {k: v._spec() for k, v in Config.data_nodes.items()}
    Config._reset()
    Config.load(tmp_path / "c.toml")
    assert {k: v._spec() for k, v in Config.data_nodes.items()} == specs
    assert Config.configure_data_node("later").table_name == "products"


def test_configure_data_node_from_copies_and_overrides() -> None:
    products = Config.configure_sql_table_data_node(
        id="products_data", db_name="db", db_engine="sqlite", table_name="products"
    )
    users = Config.configure_data_node_from(
        source_configuration=products, id="users_data", scope=Scope.GLOBAL, table_name="users"
    )
    assert (users.storage_type, users.scope, users.table_name, users.db_name) == (
        "sql_table",
        Scope.GLOBAL,
        "users",
        "db",
    )
    assert products.table_name == "products"


class SaleRow:
    def __init__(self, date, nb_sales):
        self.date, self.nb_sales = date, nb_sales

    def __eq__(self, other):
        return vars(self) == vars(other)


def test_a_custom_class_as_exposed_type_reads_rows_as_instances(tmp_path) -> None:
    path = tmp_path / "sales.csv"
    path.write_text("date,nb_sales\n12/24/2018,1550\n12/25/2018,2315\n")
    Config.configure_csv_data_node("sales", default_path=str(path), exposed_type=SaleRow)
    assert not [i for i in Config.check() if i.level == "error"]
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["sales"]]))
    assert s.sales.read() == [SaleRow("12/24/2018", 1550), SaleRow("12/25/2018", 2315)]
    s.sales.write([SaleRow("01/01/2019", 7)])
    assert path.read_text().splitlines() == ["date,nb_sales", "01/01/2019,7"]
    assert s.sales.filter(("nb_sales", 5, sc.Operator.GREATER_THAN)) == [SaleRow("01/01/2019", 7)]
    Config.export(tmp_path / "c.toml")
    assert "test_typed_data_nodes.SaleRow:class" in (tmp_path / "c.toml").read_text()
    Config._reset()
    Config.load(tmp_path / "c.toml")
    assert Config.data_nodes["sales"].properties["exposed_type"] is SaleRow


def test_a_folder_as_a_file_nodes_path_is_a_clear_configuration_error(tmp_path, monkeypatch) -> None:
    """A folder as a csv node's path is refused by name before anything is created,
    instead of reading as "no data" and failing on write (a parquet node takes one:
    test_parquet_folders.py)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sales" / "year=2020").mkdir(parents=True)
    cfg = Config.configure_csv_data_node("sales", default_path="sales", scope=Scope.GLOBAL)
    scenario_cfg = Config.configure_scenario("s", additional_data_node_configs=[cfg])
    assert any(i.level == "error" and "is a folder" in i.message for i in Config.check())
    with pytest.raises(sc.InvalidConfig, match="'sales' is a folder"):
        sc.create_scenario(scenario_cfg)
    assert not sc.get_scenarios()
