"""One configuration model, one validator (ARCHITECTURE.md, "Configuration"): the
Python API and TOML files build the same model, the same rules check it whichever
way it came in, and the names the configuration accepts are defined once."""

from __future__ import annotations

import textwrap

import pytest

import scenarium as sc
from scenarium import Config, Frequency, Scope, _core
from scenarium.config.model import SCENARIO_ATTRIBUTES, STORAGE_TYPES, ConfigState
from scenarium.entities import Scenario


def double(x):
    return 2 * x


def test_enums_are_the_cores() -> None:
    assert list(STORAGE_TYPES) == _core.STORAGE_TYPES
    assert [s.value for s in Scope] == _core.SCOPES
    assert [f.value for f in Frequency] == _core.FREQUENCIES
    assert {s.value for s in sc.Status} == set(_core.JOB_STATUSES)
    assert {s.value for s in sc.SubmissionStatus} == set(_core.SUBMISSION_STATUSES)


def test_the_shadowed_names_are_scenarios_attributes() -> None:
    # The config layer cannot import entities (a layer up); this keeps its copy true.
    assert SCENARIO_ATTRIBUTES == {n for n in dir(Scenario) if not n.startswith("_")}


def test_the_configuration_is_one_object() -> None:
    a = Config.configure_data_node("a", default_data=1)
    Config.configure_task("t", double, input=a, output=Config.configure_data_node("b"))
    state = Config._state
    assert isinstance(state, ConfigState)
    assert set(state.data_nodes) == {"a", "b"} and set(state.tasks) == {"t"}
    assert not state.checked
    Config._reset()
    assert Config._state is state and not state.data_nodes and not state.tasks and state.checked


def toml(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def messages(issues) -> list[str]:
    return [f"[{i.section}] {i.key or ''}: {i.message}" for i in issues if i.level == "error"]


def test_check_reports_what_only_create_scenario_used_to(tmp_path) -> None:
    """Ids, tasks without inputs or outputs, parameters bound twice: once found only
    when a scenario was created (and then one at a time), now every one by check()."""
    Config.load(
        toml(
            tmp_path,
            """
            [DATA_NODE.1st]
            [DATA_NODE.a]
            [DATA_NODE.b]
            [TASK.idle]
            function = "builtins.print:function"
            [TASK.twice]
            function = "builtins.max:function"
            inputs = ["a:SECTION", "b:SECTION"]
            input_params = ["x", "x"]
            outputs = []
            """,
        )
    )
    found = messages(Config.check())
    assert any('data node id "1st" is not a valid identifier' in m for m in found), found
    warned = [f"[{i.section}] {i.message}" for i in Config.check() if i.level == "warning"]
    assert any(m.startswith("[TASK.idle]") and "neither inputs nor outputs" in m for m in warned), (
        warned
    )  # runs, as Taipy
    assert any(m.startswith("[TASK.twice] input_params") and 'binds parameter "x" twice' in m for m in found), found


def test_an_id_naming_a_task_and_a_data_node_is_found_by_check() -> None:
    a = Config.configure_data_node("a", default_data=1)
    out = Config.configure_data_node("fit")
    fit = Config.configure_task("fit", double, input=a, output=out)
    Config.configure_scenario("s", task_configs=[fit])
    found = messages(Config.check())
    assert any("`scenario.fit` would be ambiguous" in m for m in found), found
    with pytest.raises(sc.InvalidConfig, match="ambiguous"):
        sc.create_scenario(Config.scenarios["s"])


def test_the_same_rule_answers_for_python_and_toml(tmp_path) -> None:
    """A cycle configured in Python and the same cycle in a file get one message."""
    x, y = Config.configure_data_node("x", default_data=1), Config.configure_data_node("y")
    Config.configure_task("forward", double, input=x, output=y)
    Config.configure_task("backward", double, input=y, output=x)
    from_python = [m.split(": ", 1)[1] for m in messages(Config.check())]
    exported = tmp_path / "exported.toml"
    Config.export(exported)
    Config._reset()
    Config.load(exported)
    from_file = [m.split(": ", 1)[1] for m in messages(Config.check())]
    assert from_python == from_file
    assert any('cycle through tasks "backward", "forward" and data nodes "x", "y"' in m for m in from_file)


def test_the_core_refuses_a_spec_the_validator_refuses(tmp_path) -> None:
    """The engine's own check (what another client of _core would meet) is the same
    validator: a spec that skips Config still cannot store a cycle or a bad id."""

    engine = _core.Engine(str(tmp_path / "store"))
    spec = {
        "id": "s",
        "tasks": [
            {"id": "t", "function": {"kind": "python", "module": "m", "qualname": "f"},
             "inputs": [{"param": None, "data_node": "a"}], "outputs": ["a-b"], "skippable": False, "properties": {}}
        ],
        "data_nodes": [
            {"id": "a", "storage_type": "pickle", "scope": "SCENARIO", "properties": {}},
            {"id": "a-b", "storage_type": "pickle", "scope": "SCENARIO", "properties": {}},
        ],
    }  # fmt: skip
    with pytest.raises(sc.ConfigError, match='data node id "a-b" is not a valid identifier'):
        engine.create_scenario(spec, {}, None, None)
