"""Nothing altered, nothing outside: values a task receives are its own, loading a
configuration leaves the process as it was, maintenance stays in the storage folder,
and bad arguments get clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pandas as pd
import pytest

import scenarium as sc
from scenarium import Config


def append_one(values):
    values.append(1)
    return len(values)


def add_column(frame):
    frame["b"] = frame["a"] * 2
    return list(frame.columns)


def columns(frame):
    return list(frame.columns)


def test_a_task_mutating_its_in_memory_input_changes_no_stored_version() -> None:
    default = [0]
    x = Config.configure_data_node("x", storage_type="in_memory", default_data=default)
    n = Config.configure_data_node("n")
    t = Config.configure_task("t", append_one, input=[x], output=[n])
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    s.submit()
    s.submit()
    assert s.n.read() == 2, "the second run saw the first run's append"
    assert s.x.read() == [0] and s.x.read(version=1) == [0]
    assert default == [0] and Config.data_nodes["x"].default_data == [0]
    got = s.x.read()
    got.append(5)
    assert s.x.read() == [0], "a caller's copy is its own too"


def test_sibling_tasks_do_not_see_each_others_mutations() -> None:
    frame = Config.configure_data_node("frame", storage_type="in_memory", default_data=pd.DataFrame({"a": [1, 2]}))
    first, second = Config.configure_data_node("first"), Config.configure_data_node("second")
    tasks = [
        Config.configure_task("mutate", add_column, input=[frame], output=[first]),
        Config.configure_task("look", columns, input=[frame], output=[second]),
    ]
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=tasks))
    s.submit()
    assert s.first.read() == ["a", "b"]
    assert s.second.read() == ["a"], "the sibling saw a column another task added"
    assert list(s.frame.read().columns) == ["a"]


def test_loading_a_configuration_restores_sys_path(tmp_path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "fractions.py").write_text("raise RuntimeError('the standard library was shadowed')\n")
    (folder / "steps.py").write_text("def double(x):\n    return 2 * x\n")
    (folder / "c.toml").write_text(
        textwrap.dedent("""
        [DATA_NODE.x]
        default_data = "3:int"
        [DATA_NODE.y]
        [TASK.t]
        function = "steps.double:function"
        inputs = ["x:SECTION"]
        outputs = ["y:SECTION"]
        [SCENARIO.s]
        tasks = ["t:SECTION"]
        """)
    )
    before = list(sys.path)
    try:
        Config.load(folder / "c.toml")
        assert sys.path == before
        sys.modules.pop("fractions", None)
        import fractions

        assert fractions.Fraction(1, 2) == 0.5
        s = sc.create_scenario(Config.scenarios["s"])
        s.submit()
        assert s.y.read() == 6
    finally:
        sys.modules.pop("steps", None)


def test_check_warns_about_system_functions_and_paths_outside(tmp_path) -> None:
    x = Config.configure_data_node("x", storage_type="csv", default_path="../../../etc/hostname")
    y = Config.configure_data_node("y", storage_type="csv", default_path="/tmp/elsewhere.csv")
    z = Config.configure_data_node("z", storage_type="csv", default_path="data/inside.csv")
    Config.configure_task("t", os.system, input=[x], output=[y, z])
    Config.configure_task("u", eval, input=[x], output=[])
    warnings = [str(i) for i in Config.check() if i.level == "warning"]
    assert any("TASK.u" in w and "builtins.eval" in w for w in warnings), warnings
    assert any("TASK.t" in w and ".system, which can act on the system" in w for w in warnings), warnings
    assert any("DATA_NODE.x" in w and "outside the working directory" in w for w in warnings), warnings
    assert any("DATA_NODE.y" in w for w in warnings), warnings
    assert not any("DATA_NODE.z" in w for w in warnings), warnings


def test_ids_longer_than_a_file_name_can_hold_are_refused_at_configure_time() -> None:
    with pytest.raises(sc.ConfigError, match="at most 128 characters"):
        Config.configure_data_node("d" * 220)
    Config.configure_data_node("d" * 128)


def test_wrong_arguments_get_clear_errors(storage) -> None:
    with pytest.raises(TypeError, match="entity id"):
        sc.get(123)
    with pytest.raises(sc.InvalidArgument, match="grace_period"):
        sc.gc(-5)
    with pytest.raises(sc.InvalidArgument, match="grace_period"):
        sc.gc(float("nan"))
    with pytest.raises(TypeError, match="grace_period"):
        sc.gc("1h")
    x = Config.configure_data_node("x", default_data=1)
    y = Config.configure_data_node("y")
    t = Config.configure_task("t", lambda v: v + 1, input=[x], output=[y])
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    sc.submit(s.id)
    assert s.y.read() == 2
    with pytest.raises(TypeError, match="Scenario, a Task or their id"):
        sc.submit(42)


def test_gc_removes_temporary_files_a_killed_writer_left(storage) -> None:
    x = Config.configure_data_node("x", default_data=[1])
    sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[x]))
    tmp = storage / "objects" / "tmp"
    old, fresh = tmp / "killed.part", tmp / "in-flight.part"
    old.write_bytes(b"half a value")
    fresh.write_bytes(b"being written")
    an_hour_ago = time.time() - 7200
    os.utime(old, (an_hour_ago, an_hour_ago))
    report = sc.gc(timedelta(hours=1))
    assert report.temporary_files_deleted == 1
    assert not old.exists() and fresh.exists()


def test_the_readmes_own_settings_are_known_keys() -> None:
    Config.configure_core(storage_folder=".scenarium", progress=False)
    x = Config.configure_data_node("x", default_data=[1])
    n = Config.configure_data_node("n")
    Config.configure_task("t", len, input=[x], output=[n], depends_on=["$HOME"])
    assert [str(i) for i in Config.check()] == []


UNTRUSTED_TOML = """
[DATA_NODE.x]
default_data = "1:int"

[DATA_NODE.y]

[TASK.t]
function = "{function}:function"
inputs = [ "x:SECTION",]
outputs = [ "y:SECTION",]

[SCENARIO.s]
tasks = [ "t:SECTION",]
"""


@pytest.mark.parametrize(
    ("function", "code", "said"),
    [
        ("tools.steps.double", 0, "0 error(s)"),
        ("tools.steps.pair", 1, "takes 2 positional parameters (a, b), but the task has 1 inputs"),
        ("tools.steps.missing", 1, "defines no missing"),
        ("tools.nowhere.f", 1, "no module named 'tools.nowhere'"),
    ],
)
def test_scenarium_check_reads_modules_without_running_them(tmp_path, function, code, said) -> None:
    marker = tmp_path / "ran.txt"
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write('package ')\n")
    (tmp_path / "tools" / "steps.py").write_text(
        f"open({str(marker)!r}, 'a').write('module ')\n"
        "def double(v):\n    return 2 * v\n"
        "def pair(a, b):\n    return a\n"
    )
    (tmp_path / "untrusted.toml").write_text(UNTRUSTED_TOML.format(function=function))
    run = [sys.executable, "-m", "scenarium", "check", "untrusted.toml"]
    checked = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path)
    assert checked.returncode == code, (checked.stdout, checked.stderr)
    assert said in checked.stdout + checked.stderr, (checked.stdout, checked.stderr)
    assert not marker.exists(), "check ran code from the modules the file names"
    if code == 0:
        imported = subprocess.run([*run, "--import"], capture_output=True, text=True, cwd=tmp_path)
        assert imported.returncode == 0, imported.stderr
        assert marker.read_text() == "package module ", "--import imports them"
