"""excel data nodes: a file at a path, versioned like csv (every version an object,
the path a copy of the latest, a hand edit taken in as a version), read and written
as Taipy does (sheet_name, has_header, a dict of sheets)."""

from __future__ import annotations

import os

import pytest

import scenarium as sc
from conftest import CallLog
from scenarium import Config

pd = pytest.importorskip("pandas")
pytest.importorskip("openpyxl")

runs: list[int] = CallLog()


def total(frame):
    runs.append(1)
    return int(frame["qty"].sum())


def budget(path: str, **options) -> sc.Scenario:
    sheet = Config.configure_excel_data_node("budget", default_path=path, **options)
    out = Config.configure_data_node("total")
    task = Config.configure_task("sum_up", total, input=sheet, output=out, skippable=True)
    return sc.create_scenario(Config.configure_scenario("s", task_configs=[task]))


def test_a_named_sheet_reads_as_a_frame_and_old_versions_stay(tmp_path) -> None:
    path = str(tmp_path / "budget.xlsx")
    pd.DataFrame({"item": ["a", "b"], "qty": [1, 2]}).to_excel(path, sheet_name="2026", index=False)
    scenario = budget(path, sheet_name="2026")
    assert scenario.budget.read()["qty"].tolist() == [1, 2]
    scenario.budget.write(pd.DataFrame({"item": ["c"], "qty": [7]}))
    assert pd.read_excel(path, sheet_name="2026")["qty"].tolist() == [7]  # the path holds the latest
    assert scenario.budget.read(version=1)["qty"].tolist() == [1, 2]


def test_without_a_sheet_name_every_sheet_reads_into_a_dict(tmp_path) -> None:
    path = str(tmp_path / "book.xlsx")
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"qty": [1]}).to_excel(writer, sheet_name="north", index=False)
        pd.DataFrame({"qty": [2]}).to_excel(writer, sheet_name="south", index=False)
    Config.configure_excel_data_node("book", default_path=path)
    scenario = sc.create_scenario(
        Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["book"]])
    )
    book = scenario.book.read()
    assert sorted(book) == ["north", "south"] and book["south"]["qty"].tolist() == [2]
    scenario.book.write({"east": pd.DataFrame({"qty": [3]})})
    assert list(scenario.book.read()) == ["east"]


def test_a_task_reruns_exactly_when_the_workbook_changed(tmp_path) -> None:
    path = str(tmp_path / "budget.xlsx")
    pd.DataFrame({"item": ["a"], "qty": [1]}).to_excel(path, index=False)
    scenario = budget(path, sheet_name="Sheet1")
    runs.clear()
    scenario.submit()
    assert [j.status for j in scenario.submit().jobs] == [sc.Status.SKIPPED]
    pd.DataFrame({"item": ["a"], "qty": [5]}).to_excel(path, index=False)  # edited by hand
    os.utime(path, (1, 1))  # even with an old mtime
    assert [j.status for j in scenario.submit().jobs] == [sc.Status.COMPLETED]
    assert scenario.total.read() == 5 and len(runs) == 2
    assert scenario.budget.history()[-1]["writer"] == "external"


def test_writing_the_same_frame_twice_is_the_same_value(tmp_path) -> None:
    """An xlsx file records when it was saved; the version is named by content, so a
    task downstream of an unchanged sheet is skipped."""
    scenario = budget(str(tmp_path / "b.xlsx"), sheet_name="Sheet1")
    frame = pd.DataFrame({"item": ["a"], "qty": [3]})
    scenario.budget.write(frame)
    first = scenario.budget.history()[-1]["fingerprint"]
    scenario.budget.write(frame.copy())
    assert scenario.budget.history()[-1]["fingerprint"] == first


def test_the_toml_round_trip_keeps_an_excel_node(tmp_path) -> None:
    Config.configure_excel_data_node("b", default_path="b.xlsx", sheet_name=["x", "y"], has_header=False)
    before = Config.data_nodes["b"]._spec()
    Config.export(tmp_path / "c.toml")
    Config._reset()
    Config.load(tmp_path / "c.toml")
    assert Config.data_nodes["b"]._spec() == before and not Config.check()
