"""Every key a configuration file may hold, given a value of each kind a file can
spell (numbers out of range, text with NUL, empty and mixed lists, tables, typed
strings that cannot be read, functions that do not exist...), is either used or named
as the file's mistake: ``InvalidConfigFile`` at load, an error of ``Config.check()``
(so ``create_scenario`` raises ``InvalidConfig``), or scenarium's error when it runs.
Never a bare ``ValueError``, ``OverflowError``, ``KeyError``, ``AttributeError`` or
``TypeError`` (issue 35: the TOML path builds objects without their constructors, so
it must check what they check). The keys come from the validator's own table."""

from __future__ import annotations

import pytest

import scenarium as sc
from scenarium import Config, _core

VALUES = ['5', '-1', '"5:int"', '"-5:float"', '"nan:float"', '"inf:float"', '"1e400:float"',
          '"99999999999999999999:int"', '"a\\u0000b"', '""', "[]", '[1, "x"]', "{a = 1}", "true",
          '"-3d:timedelta"', '"0d:timedelta"', '"99999999999d:timedelta"', '"x:SCOPE"', '"SCENARIO:SCOPE"',
          '"nope:FREQUENCY"', '"os.system:function"', '"no.such.module:function"',
          '"2026-13-45T00:00:00:datetime"', "1979-05-27T07:32:00Z", '"a:SECTION"']  # fmt: skip

BASE = """[DATA_NODE.a]
default_data = 1
[DATA_NODE.b]
[TASK.t]
function = "builtins.abs:function"
inputs = ["a:SECTION"]
outputs = ["b:SECTION"]
[SCENARIO.s]
tasks = ["t:SECTION"]
"""
HEADERS = {
    "DATA_NODE": "[DATA_NODE.a]",
    "TASK": "[TASK.t]",
    "SCENARIO": "[SCENARIO.s]",
    "JOB": "[JOB]",
    "CORE": "[CORE]",
}


@pytest.fixture(autouse=True)
def project_paths_kept():
    """A file's [CORE] project_paths sets the process's project folders (what the code
    identity walks): put back what the session had for the tests that follow."""
    from scenarium.identity import code, modules

    saved = list(modules._extra_project_paths)
    yield
    code.set_project_paths(saved)


def _with(kind: str, key: str, value: str) -> str:
    header = HEADERS[kind]
    if header in BASE:
        return BASE.replace(header + "\n", f"{header}\n{key} = {value}\n")
    return BASE + f"{header}\n{key} = {value}\n"


def test_every_key_of_a_file_with_every_kind_of_value_is_used_or_named(tmp_path, monkeypatch) -> None:
    wrong, tried = [], 0
    for kind, keys in _core.CONFIG_KEYS.items():
        for key in keys:
            for value in VALUES:
                tried += 1
                folder = tmp_path / f"{kind}-{key}-{VALUES.index(value)}"
                folder.mkdir()
                monkeypatch.chdir(folder)
                (folder / "c.toml").write_text(_with(kind, key, value))
                stage = "load"
                try:
                    Config.load("c.toml")
                    stage = "check"
                    Config.check()
                    stage = "create_scenario"
                    scenario = sc.create_scenario(Config.scenarios["s"])
                    stage = "submit"
                    scenario.submit(wait=True, timeout=60)
                    stage = "read"
                    scenario.b.read()
                except sc.exceptions.ScenariumError:
                    continue
                except BaseException as e:  # noqa: BLE001  (whatever it is, it is the finding)
                    wrong.append(f"{kind}.{key} = {value} at {stage}: {type(e).__name__}: {str(e)[:200]}")
    assert tried > 1000, tried
    assert not wrong, f"{len(wrong)} of {tried}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("value", ['"a\\u0000b"', '"abc"', "5"])
def test_project_paths_is_a_folder_or_a_list_of_folders(tmp_path, monkeypatch, value) -> None:
    """A str is one folder, not its characters; NUL or a number is named."""
    from scenarium.identity import modules as _code_identity

    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text(f"[CORE]\nproject_paths = {value}\n")
    if value == '"abc"':
        Config.load("c.toml")
        assert _code_identity._extra_project_paths == [str(tmp_path / "abc")]
    else:
        with pytest.raises(sc.ConfigError, match="project_paths"):
            Config.load("c.toml")
