"""sql_table and sql data nodes on real databases: SQLite always, PostgreSQL when
`.ci/run` (or the developer) started one (SCENARIUM_TEST_POSTGRES="host:port:user:
password:database"). Every version is kept; a task re-runs exactly when the table it
reads changed; writes are all or nothing; failures name the data node and record
nothing."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

import scenarium as sc
from conftest import CallLog
from projects import Project, statuses
from scenarium import Config
from scenarium.storage import sql as _external

pd = pytest.importorskip("pandas")
sa = pytest.importorskip("sqlalchemy")


def _postgres() -> dict[str, Any] | None:
    spec = os.environ.get("SCENARIUM_TEST_POSTGRES")
    if not spec:
        return None
    host, port, user, password, database = spec.split(":")
    return {
        "db_engine": "postgresql", "db_host": host, "db_port": int(port), "db_username": user,
        "db_password": password, "db_name": database,
    }  # fmt: skip


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            _postgres() is None,
            reason="no PostgreSQL server: .ci/run starts one and sets SCENARIUM_TEST_POSTGRES",
        ),
    ),
]


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path) -> dict[str, Any]:
    """The connection properties of a database for this test."""
    if request.param == "sqlite":
        (tmp_path / "db").mkdir()
        return {"db_engine": "sqlite", "db_name": "shop", "sqlite_folder_path": str(tmp_path / "db")}
    found = _postgres()
    assert found is not None
    return found


def sql(db: dict[str, Any], *statements: str, params: list[dict[str, Any]] | None = None) -> list[tuple]:
    """Runs statements on the database behind scenarium's back; the rows of the last."""
    engine = sa.create_engine(_external.connection_url(db))
    try:
        with engine.begin() as connection:
            result = None
            for statement in statements:
                result = (
                    connection.execute(sa.text(statement), params) if params else connection.execute(sa.text(statement))
                )
            return list(result) if result is not None and result.returns_rows else []
    finally:
        engine.dispose()


def table(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def sales_table(db: dict[str, Any]) -> str:
    name = table("sales")
    sql(db, f"CREATE TABLE {name} (item VARCHAR(20), qty INTEGER)")
    sql(db, f"INSERT INTO {name} VALUES (:item, :qty)", params=[{"item": "a", "qty": 1}, {"item": "b", "qty": 2}])
    return name


calls: list[str] = CallLog()


def total(frame):
    calls.append("total")
    return pd.DataFrame({"total": [int(frame["qty"].sum())]})


def shop(db: dict[str, Any], sales: str, totals: str) -> sc.Scenario:
    sales_cfg = Config.configure_sql_table_data_node("sales", table_name=sales, **db)
    totals_cfg = Config.configure_sql_table_data_node("totals", table_name=totals, **db)
    task = Config.configure_task("total", total, input=sales_cfg, output=totals_cfg, skippable=True)
    return sc.create_scenario(Config.configure_scenario("shop", task_configs=[task]))


def test_a_table_is_read_written_and_versioned(db) -> None:
    sales, totals = sales_table(db), table("totals")
    scenario = shop(db, sales, totals)
    assert scenario.sales.read().to_dict("list") == {"item": ["a", "b"], "qty": [1, 2]}
    scenario.sales.write(pd.DataFrame({"item": ["z"], "qty": [9]}), editor_id="ana", comment="one row")
    assert sql(db, f"SELECT item, qty FROM {sales}") == [("z", 9)]
    assert scenario.sales.read(version=1)["item"].tolist() == ["a", "b"]
    last = scenario.sales.history()[-1]
    assert (last["writer"], last["comment"]) == ("ana", "one row")


def test_a_task_reruns_exactly_when_its_table_changed(db) -> None:
    sales, totals = sales_table(db), table("totals")
    scenario = shop(db, sales, totals)
    calls.clear()
    scenario.submit()
    assert sql(db, f"SELECT total FROM {totals}") == [(3,)]
    second = scenario.submit()
    assert [j.status for j in second.jobs] == [sc.Status.SKIPPED] and calls == ["total"]
    sql(db, f"INSERT INTO {sales} VALUES ('c', 5)")  # someone else's change
    third = scenario.submit()
    assert [j.status for j in third.jobs] == [sc.Status.COMPLETED] and calls == ["total", "total"]
    assert sql(db, f"SELECT total FROM {totals}") == [(8,)]
    assert scenario.sales.history()[-1]["writer"] == "external"
    assert scenario.totals.read(version=1)["total"].tolist() == [3]  # the old result is kept


def test_a_skipped_job_puts_its_version_back_in_a_table_edited_by_hand(db) -> None:
    sales, totals = sales_table(db), table("totals")
    scenario = shop(db, sales, totals)
    scenario.submit()
    sql(db, f"UPDATE {totals} SET total = 999")
    assert [j.status for j in scenario.submit().jobs] == [sc.Status.SKIPPED]
    assert sql(db, f"SELECT total FROM {totals}") == [(3,)]


def test_append_adds_rows_in_the_database_and_records_the_result(db) -> None:
    sales = sales_table(db)
    scenario = shop(db, sales, table("totals"))
    scenario.sales.append([{"item": "c", "qty": 3}], comment="late order")
    assert sql(db, f"SELECT item FROM {sales} ORDER BY item") == [("a",), ("b",), ("c",)]
    assert scenario.sales.read()["qty"].tolist() == [1, 2, 3]
    assert scenario.sales.history()[-1]["comment"] == "late order"


def test_a_failed_write_records_nothing_and_changes_nothing(db) -> None:
    sales = sales_table(db)
    scenario = shop(db, sales, table("totals"))
    before = scenario.sales.version
    with pytest.raises(
        sc.exceptions.ExternalDataError, match=r"data node 'sales' .*writing its sql_table source failed"
    ):
        scenario.sales.write(pd.DataFrame({"item": ["x"], "no_such_column": [1]}))
    assert scenario.sales.version == before
    assert sql(db, f"SELECT item FROM {sales} ORDER BY item") == [("a",), ("b",)]  # the DELETE was rolled back


def test_a_task_whose_output_cannot_be_written_fails_and_records_nothing(db) -> None:
    sales = sales_table(db)
    totals = table("totals")
    sql(db, f"CREATE TABLE {totals} (other INTEGER)")
    scenario = shop(db, sales, totals)
    with pytest.raises(sc.JobFailed, match="totals"):
        scenario.submit()
    assert not scenario.totals.is_ready_for_reading


def test_a_missing_table_is_a_clear_error_naming_the_node(db) -> None:
    Config.configure_sql_table_data_node("orders", table_name=table("missing"), **db)
    cfg = Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["orders"]])
    scenario = sc.create_scenario(cfg)
    with pytest.raises(sc.exceptions.ExternalDataError, match=r"data node 'orders' .*reading its sql_table source"):
        scenario.orders.read()
    assert scenario.orders.history() == []


def inserts(frame):
    return [("INSERT INTO {table} (item, qty) VALUES (:item, :qty)", frame.to_dict("records"))]


def test_a_sql_node_reads_its_query_and_writes_its_builders_queries(db) -> None:
    sales = sales_table(db)

    def replace(frame):
        return [f"DELETE FROM {sales}", *[(q.format(table=sales), p) for q, p in inserts(frame)]]

    def append(frame):
        return [(q.format(table=sales), p) for q, p in inserts(frame)]

    Config.configure_sql_data_node(
        "big_sales", read_query=f"SELECT item, qty FROM {sales} WHERE qty >= 2 ORDER BY item",
        write_query_builder=replace, append_query_builder=append, **db,
    )  # fmt: skip
    scenario = sc.create_scenario(
        Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["big_sales"]])
    )
    assert scenario.big_sales.read()["item"].tolist() == ["b"]
    scenario.big_sales.write(pd.DataFrame({"item": ["x", "y"], "qty": [5, 1]}))
    assert sql(db, f"SELECT item FROM {sales} ORDER BY item") == [("x",), ("y",)]
    assert scenario.big_sales.read()["item"].tolist() == ["x"]
    scenario.big_sales.append(pd.DataFrame({"item": ["z"], "qty": [7]}))
    assert scenario.big_sales.read()["item"].tolist() == ["x", "z"]


def test_without_sqlalchemy_the_error_says_what_to_install(db, monkeypatch) -> None:
    sales = sales_table(db)
    scenario = shop(db, sales, table("totals"))
    monkeypatch.setitem(__import__("sys").modules, "sqlalchemy", None)
    monkeypatch.setattr(_external, "_engines", {})
    with pytest.raises(sc.exceptions.MissingOptionalDependency, match=r"pip install 'scenarium\[sql\]'"):
        scenario.sales.read()


def test_check_names_what_a_database_node_lacks() -> None:
    Config.configure_sql_table_data_node("t", db_name="shop", db_engine="postgresql", table_name="t")
    found = [str(i) for i in Config.check() if i.level == "error"]
    assert any("on postgresql needs db_username" in m for m in found), found


def test_the_toml_round_trip_keeps_a_sql_node(tmp_path) -> None:
    Config.configure_sql_data_node(
        "q", db_name="shop", db_engine="sqlite", read_query="SELECT 1", write_query_builder=inserts
    )
    before = Config.data_nodes["q"]._spec()
    Config.export(tmp_path / "c.toml")
    assert 'write_query_builder = "test_sql_data_nodes.inserts:function"' in (tmp_path / "c.toml").read_text()
    Config._reset()
    Config.load(tmp_path / "c.toml")
    assert Config.data_nodes["q"]._spec() == before
    assert Config.data_nodes["q"].properties["write_query_builder"] is inserts


def test_each_process_sees_the_table_as_it_is_now(tmp_path) -> None:
    """Steps in fresh processes (random hash seeds): the first computes, the second
    skips, a change to the table made between them re-runs exactly the reader."""
    project = Project(
        tmp_path / "app",
        {
            "shop/__init__.py": "",
            "shop/summaries.py": """
                import pandas as pd
                def total(frame):
                    return int(frame["qty"].sum())
            """,
            "pipeline.py": """
                from scenarium import Config
                from shop.summaries import total
                sales = Config.configure_sql_table_data_node(
                    "sales", db_name="shop", db_engine="sqlite", table_name="sales", sqlite_folder_path="db")
                out = Config.configure_data_node("sum")
                t = Config.configure_task("total", total, input=sales, output=out, skippable=True)
                scenario_cfg = Config.configure_scenario("shop", task_configs=[t])
            """,
        },
    )
    db = {"db_engine": "sqlite", "db_name": "shop", "sqlite_folder_path": str(project.root / "db")}
    (project.root / "db").mkdir()
    sql(db, "CREATE TABLE sales (item TEXT, qty INTEGER)", "INSERT INTO sales VALUES ('a', 1), ('b', 2)")
    first = project.step()
    assert statuses(first) == {"total": "COMPLETED"} and first["values"]["sum"] == 3
    assert statuses(project.step()) == {"total": "SKIPPED"}
    sql(db, "UPDATE sales SET qty = 10 WHERE item = 'a'")
    third = project.step()
    assert statuses(third) == {"total": "COMPLETED"} and third["values"]["sum"] == 12


def test_an_unreachable_server_is_a_clear_error_naming_the_node() -> None:
    Config.configure_sql_table_data_node(
        "remote", db_engine="postgresql", db_name="shop", db_username="u", db_password="p",
        db_host="127.0.0.1", db_port=1, table_name="t",
    )  # fmt: skip
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["remote"]]))
    with pytest.raises(
        sc.exceptions.ExternalDataError, match=r"data node 'remote' .*reading its sql_table source failed"
    ):
        s.remote.read()
    assert s.remote.history() == []


def read_text(path):
    with open(path) as f:
        return f.read()


def write_text(data, path):
    with open(path, "w") as f:
        f.write(data)


def test_every_new_storage_type_round_trips_through_toml(tmp_path) -> None:
    Config.configure_sql_table_data_node(
        "t", db_name="shop", db_engine="sqlite", table_name="t", sqlite_folder_path="db"
    )
    Config.configure_generic_data_node(
        "g", read_fct=read_text, write_fct=write_text, read_fct_args=["a.txt"], write_fct_args=["a.txt"]
    )
    Config.configure_s3_object_data_node("s3", aws_s3_bucket_name="b", aws_s3_object_key="k", aws_region="eu-west-1")
    Config.configure_mongo_collection_data_node("m", db_name="shop", collection_name="orders", db_port=27018)
    Config.configure_excel_data_node("x", default_path="x.xlsx", sheet_name="s1")
    before = {k: v._spec() for k, v in Config.data_nodes.items()}
    assert not [i for i in Config.check() if i.level == "error"]
    Config.export(tmp_path / "c.toml")
    Config._reset()
    Config.load(tmp_path / "c.toml")
    assert {k: v._spec() for k, v in Config.data_nodes.items()} == before
    assert Config.data_nodes["g"].properties["read_fct"] is read_text
