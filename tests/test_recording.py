"""What a task's run touched, recorded as it runs (scenarium.identity.recording), in this
process: code executed, files opened for reading, folders listed, environment
variables read; what is kept between runs survives a bad file."""

from __future__ import annotations

import os
import sys
import threading
import types

from scenarium.identity import recording as _recording


def _module(tmp_path, monkeypatch, name: str, source: str) -> types.ModuleType:
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)  # the project's folder: its modules are user code
    __import__(name)
    return sys.modules[name]


def test_the_functions_it_executed_are_recorded_by_module_and_name(tmp_path, monkeypatch):
    mod = _module(
        tmp_path,
        monkeypatch,
        "rec_plugins",
        "def make():\n    def inner():\n        return 1\n    return inner\n"
        "class K:\n    def meth(self):\n        return 2\n"
        "def unused():\n    return 3\n",
    )
    with _recording.recording() as seen:
        mod.make()()
        mod.K().meth()
    items = seen.items()
    assert seen.problem is None
    # A closure is found through the function that made it.
    assert items["code"] == ["rec_plugins:K.meth", "rec_plugins:make"]


def test_files_read_are_recorded_and_files_written_are_not(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.txt").write_text("x")
    with _recording.recording() as seen:
        with open("in.txt") as f:
            f.read()
        with open("out.txt", "w") as f:
            f.write("y")
        fd = os.open("in.txt", os.O_RDONLY)
        os.close(fd)
        os.listdir(tmp_path)
    items = seen.items()
    assert items["files"] == [str(tmp_path / "in.txt")]
    assert items["folders"] == [str(tmp_path)]
    assert seen.changed_while_running() == []


def test_a_file_changed_after_it_was_opened_is_reported(tmp_path):
    path = tmp_path / "in.txt"
    path.write_text("x")
    with _recording.recording() as seen:
        path.read_text()
        path.write_bytes(b"longer")  # by someone else, as far as the task knows
    # Written by the run itself: not an input. Seen from another thread:
    assert str(path) not in seen.items()["files"]
    other = tmp_path / "other.txt"
    other.write_text("a")
    with _recording.recording() as seen:
        other.read_text()
        toucher = threading.Thread(target=lambda: os.utime(other, ns=(1, 1)))
        toucher.start()
        toucher.join()
    assert seen.changed_while_running() == [str(other)]


def test_environment_variables_read_are_recorded_and_environ_is_restored(monkeypatch):
    monkeypatch.setenv("SCN_REC_A", "1")
    environ_type = type(os.environ)
    with _recording.recording() as seen:
        os.environ.get("SCN_REC_A")
        os.getenv("SCN_REC_MISSING")
        "SCN_REC_IN" in os.environ  # noqa: B015
    assert type(os.environ) is environ_type
    assert seen.items()["env"] == ["SCN_REC_A", "SCN_REC_IN", "SCN_REC_MISSING"]
    with _recording.recording() as seen:
        dict(os.environ)  # a copy reads every name
    assert "SCN_REC_A" in seen.items()["env"] and "PATH" in seen.items()["env"]


def test_a_thread_the_task_starts_is_recorded_while_it_is_the_only_recording(tmp_path):
    (tmp_path / "t.txt").write_text("x")

    def read() -> None:
        (tmp_path / "t.txt").read_text()

    with _recording.recording() as seen:
        thread = threading.Thread(target=read)
        thread.start()
        thread.join()
    assert seen.items()["files"] == [str(tmp_path / "t.txt")]


def test_a_recording_inside_another_profiler_says_it_cannot_be_trusted():
    sys.setprofile(lambda *a: None)
    try:
        with _recording.recording() as seen:
            pass
    finally:
        sys.setprofile(None)
    assert seen.problem is not None and "profiler" in seen.problem


def test_a_task_that_replaces_the_profiler_is_not_trusted():
    with _recording.recording() as seen:
        sys.setprofile(None)
    assert seen.problem is not None


def test_what_is_kept_between_runs_round_trips_and_a_bad_file_counts_as_none(tmp_path):
    items = _recording.merge({"code": ["m:f"], "files": ["/a"]}, {"code": ["m:g"], "env": ["X"]})
    assert items["code"] == ["m:f", "m:g"] and items["env"] == ["X"]
    _recording.save(str(tmp_path), "task\0m:f", items)
    assert _recording.load(str(tmp_path), "task\0m:f") == items
    assert _recording.load(str(tmp_path), "other") == {}
    (kept,) = (tmp_path / "recorded").iterdir()
    kept.write_text("{not json")
    assert _recording.load(str(tmp_path), "task\0m:f") == {}
    assert [p.name for p in (tmp_path / "recorded").iterdir()] == [kept.name]  # no temporary left
