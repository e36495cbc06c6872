"""A data node's operations as Taipy has them: filter with Operator/JoinOperator,
dn[...], append, write with editor_id/comment, get_parents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import scenarium as sc
from scenarium import Config, JoinOperator, Operator


def inc(x):
    return x


def node(value) -> sc.DataNode:
    cfg = Config.configure_data_node("rows")
    scenario = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[cfg]))
    scenario.rows.write(value)
    return scenario.rows


CITIES = {"city": ["Paris", "Lyon", "Nice"], "pop": [2100, 520, 340]}


@pytest.mark.parametrize("make", [pd.DataFrame, pl.DataFrame], ids=["pandas", "polars"])
def test_filter_frames_with_and_and_or(make) -> None:
    dn = node(make(CITIES))
    big = dn.filter([("pop", 500, Operator.GREATER_THAN)])
    assert list(big["city"]) == ["Paris", "Lyon"]
    either = dn.filter([("city", "Nice", Operator.EQUAL), ("pop", 2000, Operator.GREATER_OR_EQUAL)], JoinOperator.OR)
    assert list(either["city"]) == ["Paris", "Nice"]
    both = dn.filter([("pop", 300, Operator.GREATER_THAN), ("pop", 600, Operator.LESS_THAN)])
    assert list(both["city"]) == ["Lyon", "Nice"]
    assert list(dn["city"]) == CITIES["city"]


def test_filter_lists_of_dicts_and_arrays() -> None:
    rows = [{"k": 1}, {"k": 2}, {"k": 3}]
    assert node(rows).filter(("k", 2, Operator.NOT_EQUAL)) == [{"k": 1}, {"k": 3}]
    Config._reset()
    array = np.array([[1, 10], [2, 20], [3, 30]])
    assert node(array).filter((1, 20, Operator.LESS_OR_EQUAL)).tolist() == [[1, 10], [2, 20]]


def test_a_bad_condition_is_a_clear_error() -> None:
    with pytest.raises(sc.InvalidArgument, match=r"\(key, value, Operator\)"):
        node([{"k": 1}]).filter([("k", 1, "==")])


def test_append_frames_and_lists_keep_every_version() -> None:
    dn = node(pd.DataFrame({"k": [1]}))
    dn.append(pd.DataFrame({"k": [2]}), editor_id="ana", comment="one more")
    dn.append({"k": 3})
    assert dn.read()["k"].tolist() == [1, 2, 3]
    assert dn.read(version=1)["k"].tolist() == [1]
    assert [h["writer"] for h in dn.history()] == ["user", "ana", "user"]
    with pytest.raises(sc.InvalidArgument, match="append adds rows"):
        Config._reset()
        node(5).append(6)


def test_get_parents_names_the_scenario_and_the_tasks() -> None:
    a, b = Config.configure_data_node("a", default_data=1), Config.configure_data_node("b")
    t = Config.configure_task("t", inc, input=a, output=b)
    scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    parents = sc.get_parents(scenario.b)
    assert parents["scenario"] == {scenario} and [x.config_id for x in parents["task"]] == ["t"]
    assert sc.get_parents(scenario.tasks["t"].id) == {"scenario": {scenario}}
    assert sc.get_parents(scenario) == {}  # no cycle: its config has no frequency
    with pytest.raises(TypeError, match="data node, task, sequence or scenario"):
        sc.get_parents(sc.get_jobs()[0] if sc.get_jobs() else 42)


def test_extra_edit_keys_are_kept_in_a_fresh_process_too(tmp_path) -> None:
    dn = node(1)
    dn.write(2, editor_id="ana", comment="why", ticket=42, source={"from": "sheet"})
    edit = dn.edits[-1]
    assert (edit["editor_id"], edit["comment"], edit["ticket"], edit["source"]) == ("ana", "why", 42, {"from": "sheet"})
    import subprocess
    import sys

    code = (
        "import scenarium as sc; sc.Config.configure_core(storage_folder='.scenarium');"
        f"print(sc.get({dn.id!r}).edits[-1]['ticket'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "42"


ROWS = [["12/24/2018", 1550], ["12/25/2018", 2315], ["12/26/2018", 1832]]


@pytest.mark.parametrize(
    "value",
    [
        ROWS,
        np.array(ROWS, dtype=object),
        {"date": [r[0] for r in ROWS], "nb_sales": [r[1] for r in ROWS]},
        [{"date": r[0], "nb_sales": r[1]} for r in ROWS],
    ],
    ids=["list of lists", "array", "dict of columns", "records"],
)
def test_csv_nodes_take_the_forms_taipys_docs_write(tmp_path, value) -> None:
    Config.configure_csv_data_node("sales", default_path=str(tmp_path / "sales.csv"))
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["sales"]]))
    s.sales.write(value)
    assert s.sales.read().shape == (3, 2)
    assert (tmp_path / "sales.csv").read_text().count("\n") == 4  # a header and three rows


def test_write_with_column_names_track_edit_and_validity(tmp_path) -> None:
    from datetime import timedelta

    Config.configure_csv_data_node("sales", default_path=str(tmp_path / "sales.csv"), validity_period=timedelta(days=1))
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["sales"]]))
    assert not s.sales.is_valid and s.sales.expiration_date is None
    s.sales.write_with_column_names(ROWS, columns=["date", "nb_sales"])
    assert list(s.sales.read().columns) == ["date", "nb_sales"]
    assert s.sales.is_valid and s.sales.expiration_date == s.sales.last_edit_date + timedelta(days=1)
    s.sales.track_edit(comment="From external system", source="cron")
    assert {k: s.sales.edits[-1][k] for k in ("comment", "source")} == {
        "comment": "From external system",
        "source": "cron",
    }
    assert s.sales.read().equals(s.sales.read(version=1))
    with pytest.raises(sc.exceptions.NotSerializable, match="takes a DataFrame, rows"):
        s.sales.write(42)


def test_an_edit_lock_holds_across_processes_and_refuses_other_editors() -> None:
    import subprocess
    import sys

    a = Config.configure_data_node("a", default_data=1)
    t = Config.configure_task("t", inc, input=a, output=Config.configure_data_node("b"))
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    s.a.lock_edit("ana")
    assert s.a.edit_in_progress and s.a.editor_id == "ana" and s.a.editor_expiration_date is not None
    assert not sc.is_submittable(s)
    s.a.write(2, editor_id="ana")  # the holder writes
    code = (
        "import scenarium as sc; sc.Config.configure_core(storage_folder='.scenarium');"
        f"dn = sc.get({s.a.id!r});"
        "\ntry:\n    dn.write(3, editor_id='bob')\nexcept sc.DataNodeIsBeingEdited as e:\n    print('refused', e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("refused") and "'ana'" in out.stdout
    with pytest.raises(sc.DataNodeIsBeingEdited, match="being edited by"):
        s.a.lock_edit("bob")
    s.a.unlock_edit("ana")
    assert not s.a.edit_in_progress and sc.is_submittable(s)
    s.a.write(4, editor_id="bob")
    assert s.a.read() == 4
