"""Input fingerprints match what a task read: paths inside lists and dicts, folders,
files edited while the job runs, how an input is read and how outputs are stored."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import scenarium as sc
from conftest import ids
from scenarium import Config


def read_all(paths):
    if isinstance(paths, dict):
        paths = list(paths.values())
    return sum(len(Path(p).read_text()) for p in paths)


def same(value):
    return value


def tree_size(folder):
    return sum(len(p.read_text()) for p in sorted(Path(folder).rglob("*.txt")))


def one_task_scenario(function, default, **node):
    x = Config.configure_data_node("x", default_data=default, **node)
    y = Config.configure_data_node("y")
    t = Config.configure_task("t", function, input=[x], output=[y], skippable=True)
    return sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))


@pytest.mark.parametrize("shape", ["list", "dict", "tuple in a list"])
def test_a_file_named_inside_a_list_or_dict_is_part_of_the_key(tmp_path, shape) -> None:
    (tmp_path / "a.txt").write_text("aa")
    (tmp_path / "b.txt").write_text("bbb")
    value = {
        "list": ["a.txt", "b.txt"],
        "dict": {"first": "a.txt", "second": "b.txt"},
        "tuple in a list": [["a.txt", "b.txt"]],
    }[shape]
    function = read_all if shape != "tuple in a list" else (lambda v: read_all(v[0]))
    s = one_task_scenario(function, value)
    s.submit()
    assert s.y.read() == 5
    assert ids(s.submit(), sc.Status.SKIPPED) == ["t"]
    (tmp_path / "b.txt").write_text("bbbb")
    sub = s.submit()
    assert ids(sub, sc.Status.COMPLETED) == ["t"], sub.jobs[0].reason
    assert "b.txt" in sub.jobs[0].reason
    assert s.y.read() == 6


def test_a_folder_input_covers_every_file_under_it(tmp_path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "one.txt").write_text("1")
    (tmp_path / "d" / "sub" / "two.txt").write_text("22")
    s = one_task_scenario(tree_size, "d")
    s.submit()
    assert s.y.read() == 3
    assert ids(s.submit(), sc.Status.SKIPPED) == ["t"]
    (tmp_path / "d" / "sub" / "two.txt").write_text("222")
    assert ids(s.submit(), sc.Status.COMPLETED) == ["t"]
    assert s.y.read() == 4
    (tmp_path / "d" / "sub" / "three.txt").write_text("3")
    assert ids(s.submit(), sc.Status.COMPLETED) == ["t"]
    assert s.y.read() == 5


def test_an_input_file_edited_while_the_job_runs_is_not_cached(tmp_path) -> None:
    data = tmp_path / "in.txt"
    data.write_text("old")
    started, edited = threading.Event(), threading.Event()

    def slow_len(path):
        started.set()
        edited.wait(10)
        return len(Path(path).read_text())

    s = one_task_scenario(slow_len, "in.txt")

    def editor():
        started.wait(10)
        data.write_text("brand new")
        edited.set()

    thread = threading.Thread(target=editor)
    thread.start()
    sub = s.submit()
    thread.join()
    assert s.y.read() == 9
    assert "changed while the job ran" in sub.jobs[0].reason
    # Back to the old content: its result was never computed, so the task runs.
    data.write_text("old")
    edited.set()
    started.clear()
    sub = s.submit()
    assert ids(sub, sc.Status.COMPLETED) == ["t"], sub.jobs[0].reason
    assert s.y.read() == 3


def test_exposed_type_of_an_input_is_part_of_the_key(tmp_path) -> None:
    pytest.importorskip("pandas")
    (tmp_path / "t.csv").write_text("a\n1\n2\n")

    def kind(frame):
        return type(frame).__module__.split(".")[0]

    made = []
    for exposed in ("pandas", "polars"):
        Config._reset()
        Config.configure_core(storage_folder=str(tmp_path / ".scenarium"))
        x = Config.configure_data_node("x", storage_type="csv", default_path="t.csv", exposed_type=exposed)
        y = Config.configure_data_node("y")
        t = Config.configure_task("t", kind, input=[x], output=[y], skippable=True)
        s = sc.create_scenario(Config.configure_scenario(f"s_{exposed}", task_configs=[t]))
        s.submit()
        made.append(s.y.read())
    assert made == ["pandas", "polars"]


def test_a_csv_output_at_a_path_is_skipped_when_its_file_is_unchanged(tmp_path) -> None:
    pytest.importorskip("pandas")
    import pandas as pd

    x = Config.configure_data_node("x", default_data=3)
    y = Config.configure_data_node("y", storage_type="csv", default_path="out.csv")
    t = Config.configure_task("t", lambda n: pd.DataFrame({"a": range(n)}), input=[x], output=[y], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    s.submit()
    sub = s.submit()
    assert ids(sub, sc.Status.SKIPPED) == ["t"], sub.jobs[0].reason
    (tmp_path / "out.csv").write_text("a\n9\n")
    sub = s.submit()
    # The hand edit is kept as a version, then the task's stored result replaces it
    # (same code and inputs: nothing to recompute).
    assert ids(sub, sc.Status.SKIPPED) == ["t"] and "reused" in sub.jobs[0].reason, sub.jobs[0].reason
    assert list(pd.read_csv("out.csv")["a"]) == [0, 1, 2]
    writers = [(h["version"], h["writer"]) for h in s.y.history()]
    assert [w for _, w in writers][-2:] == ["external", sub.jobs[0].id], writers
    assert list(s.y.read(version=writers[-2][0])["a"]) == [9]


def test_reuse_into_a_csv_output_at_another_path_writes_that_file(tmp_path) -> None:
    pytest.importorskip("pandas")
    import pandas as pd

    def make(n):
        return pd.DataFrame({"a": range(n)})

    for i in (1, 2):
        Config._reset()
        Config.configure_core(storage_folder=str(tmp_path / ".scenarium"))
        x = Config.configure_data_node("x", default_data=3)
        y = Config.configure_data_node("y", storage_type="csv", default_path=f"out{i}.csv")
        t = Config.configure_task("t", make, input=[x], output=[y], skippable=True)
        sc.create_scenario(Config.configure_scenario(f"s{i}", task_configs=[t])).submit()
    assert list(pd.read_csv("out2.csv")["a"]) == [0, 1, 2]


def test_an_in_memory_chain_is_skipped_when_nothing_changed(tmp_path) -> None:
    x = Config.configure_data_node("x", default_data=3)
    m = Config.configure_data_node("m", storage_type="in_memory")
    y = Config.configure_data_node("y")
    t1 = Config.configure_task("t1", lambda v: [v, v], input=[x], output=[m], skippable=True)
    t2 = Config.configure_task("t2", sum, input=[m], output=[y], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t1, t2]))
    s.submit()
    sub = s.submit()
    assert ids(sub, sc.Status.SKIPPED) == ["t1", "t2"], [j.reason for j in sub.jobs]
    s.x.write(4)
    sub = s.submit()
    assert ids(sub, sc.Status.COMPLETED) == ["t1", "t2"]
    assert s.y.read() == 8


@pytest.mark.parametrize("default", [float("inf"), float("nan"), 2**70, -(2**80)])
def test_non_json_defaults_create_and_export(tmp_path, default) -> None:
    x = Config.configure_data_node("x", default_data=default)
    y = Config.configure_data_node("y")
    t = Config.configure_task("t", same, input=[x], output=[y])
    cfg = Config.configure_scenario("s", task_configs=[t])
    s = sc.create_scenario(cfg)
    s.submit()
    got = s.y.read()
    assert got == default or (got != got and default != default)
    Config.export(tmp_path / "c.toml")
    Config.load(tmp_path / "c.toml")
    loaded = Config.data_nodes["x"].default_data
    assert loaded == default or (loaded != loaded and default != default)


def test_time_does_not_leak_into_fingerprints(tmp_path) -> None:
    """Two submits a second apart with nothing changed: skipped (no clock in a key)."""
    s = one_task_scenario(lambda v: v + 1, 1)
    s.submit()
    time.sleep(1)
    assert ids(s.submit(), sc.Status.SKIPPED) == ["t"]
