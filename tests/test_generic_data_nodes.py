"""generic data nodes: the user's read_fct and write_fct (with their args), as Taipy
has them; what read_fct returns is kept as versions, so skipping stays exact."""

from __future__ import annotations

import json

import pytest

import scenarium as sc
from conftest import CallLog
from scenarium import Config


def read_settings(path):
    with open(path) as f:
        return json.load(f)


def write_settings(data, path):
    with open(path, "w") as f:
        json.dump(data, f)


seen: list[int] = CallLog()


def threshold_of(settings):
    seen.append(settings["threshold"])
    return settings["threshold"] * 2


def scenario_reading(path: str) -> sc.Scenario:
    settings = Config.configure_generic_data_node(
        "settings", read_fct=read_settings, write_fct=write_settings, read_fct_args=[path], write_fct_args=[path]
    )
    doubled = Config.configure_data_node("doubled")
    task = Config.configure_task("double", threshold_of, input=settings, output=doubled, skippable=True)
    return sc.create_scenario(Config.configure_scenario("s", task_configs=[task]))


def test_read_and_write_go_through_the_users_functions(tmp_path) -> None:
    path = str(tmp_path / "settings.json")
    write_settings({"threshold": 1}, path)
    scenario = scenario_reading(path)
    assert scenario.settings.read() == {"threshold": 1}
    scenario.settings.write({"threshold": 4}, comment="raised")
    assert read_settings(path) == {"threshold": 4}
    assert scenario.settings.read(version=1) == {"threshold": 1}


def test_a_task_reruns_exactly_when_what_read_fct_returns_changed(tmp_path) -> None:
    path = str(tmp_path / "settings.json")
    write_settings({"threshold": 1}, path)
    scenario = scenario_reading(path)
    seen.clear()
    scenario.submit()
    assert [j.status for j in scenario.submit().jobs] == [sc.Status.SKIPPED]
    write_settings({"threshold": 3}, path)
    assert [j.status for j in scenario.submit().jobs] == [sc.Status.COMPLETED]
    assert seen == [1, 3] and scenario.doubled.read() == 6


def test_a_failing_read_fct_names_the_node_and_records_nothing(tmp_path) -> None:
    scenario = scenario_reading(str(tmp_path / "missing.json"))
    with pytest.raises(sc.exceptions.ExternalDataError, match=r"data node 'settings' .*FileNotFoundError"):
        scenario.settings.read()
    with pytest.raises(sc.exceptions.ExternalDataError, match="settings"):
        scenario.submit()
    assert scenario.settings.history() == [] and not scenario.doubled.is_ready_for_reading


def test_check_wants_a_function() -> None:
    Config.configure_data_node("g", storage_type="generic")
    assert any("needs a read_fct or a write_fct" in str(i) for i in Config.check())
