"""Every public function and method that takes a number, a duration or a path,
called with a value of the right type that it cannot use, raises scenarium's error
naming the parameter (``InvalidArgument``, or ``ConfigError`` while configuring,
``InvalidConfigFile`` naming a file to read), or Python's ``TypeError`` for a wrong
type; never an ``OverflowError``, a bare ``ValueError``, an ``OSError`` or an internal
error (issue 35). The calls are found from the signatures, so a new public function
is probed without editing this file."""

from __future__ import annotations

import inspect
import math
from datetime import timedelta
from typing import Any, Iterator

import pytest

import scenarium as sc
from scenarium import Config

BAD = {
    "int": [-1, 10**30, math.nan],
    "float": [-1.0, math.nan],
    "timedelta": [timedelta(days=-1)],
    "path": ["\x00nul", "/proc/no-such-folder/x", "x" * 300],
}
# Values a parameter takes on purpose, with the reason.
MEANT = {
    ("timeout", math.inf): "no limit, as None",
    ("storage_folder", "/proc/no-such-folder/x"): "made when the store opens, which names it then",
    ("storage_folder", "x" * 300): "made when the store opens, which names it then",
}
# Calls that destroy the fixture or need more than one argument to say anything.
SKIP = {"delete", "delete_jobs", "clean_all_entities", "Scenario.delete", "DataNode.unlock_edit"}


def _kinds(parameter: inspect.Parameter) -> set[str]:
    annotation = str(parameter.annotation).lower()
    kinds = {kind for kind in ("int", "float", "timedelta") if kind in annotation}
    if "path" in annotation or parameter.name.endswith(("path", "folder", "file", "filename")):
        kinds.add("path")
    return kinds


def _callables(fixture: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for name in sc.__all__:
        if inspect.isfunction(getattr(sc, name)):
            yield name, getattr(sc, name)
    for label, entity in fixture.items():
        for name in dir(entity):
            if name.startswith("_"):
                continue
            member = getattr(entity, name, None)
            if callable(member) and not inspect.isclass(member):
                yield f"{label}.{name}", member


def double(x: int) -> int:
    return x + x


@pytest.fixture
def fixture(tmp_path, monkeypatch) -> dict[str, Any]:
    monkeypatch.chdir(tmp_path)
    v = Config.configure_data_node("v", default_data=1)
    w = Config.configure_data_node("w")
    scenario = sc.create_scenario(Config.configure_scenario("s", [Config.configure_task("t", double, v, w)]))
    submission = scenario.submit(wait=True)
    return {"Scenario": scenario, "DataNode": scenario.v, "Submission": submission, "Job": submission.jobs[0],
            "Config": Config}  # fmt: skip


def test_bad_numbers_durations_and_paths_are_named_errors(fixture) -> None:
    wrong, probed = [], 0
    for name, function in _callables(fixture):
        if name in SKIP:
            continue
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            continue
        for parameter in signature.parameters.values():
            for kind in _kinds(parameter):
                for bad in BAD[kind]:
                    if (parameter.name, bad) in MEANT:
                        continue
                    probed += 1
                    outcome = _call(function, parameter, bad)
                    if outcome is not None:
                        wrong.append(f"{name}({parameter.name}={bad!r}): {outcome}")
    assert probed > 30, probed
    assert not wrong, "\n".join(wrong)


def _call(function: Any, parameter: inspect.Parameter, bad: Any) -> str | None:
    """None when the call refused ``bad`` as it should, else what happened."""
    try:
        function(bad) if parameter.kind is parameter.POSITIONAL_ONLY else function(**{parameter.name: bad})
    except (sc.InvalidArgument, sc.ConfigError) as e:
        named = parameter.name in str(e) or isinstance(e, sc.InvalidConfigFile)
        return None if named else f"{type(e).__name__} without the parameter's name: {e}"
    except TypeError as e:
        # Another required argument is missing: nothing to learn from this call.
        if "required" in str(e) or "missing" in str(e) or "must be" in str(e):
            return None
        return f"TypeError: {e}"
    except BaseException as e:  # noqa: BLE001  (whatever it is, it is the finding)
        return f"{type(e).__name__}: {e}"
    return "accepted"


def test_a_toml_files_workers_are_checked_as_pythons(tmp_path, monkeypatch) -> None:
    """The TOML path builds the job settings without the constructor: it checks the same."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text("[JOB]\nmax_nb_of_workers = 9223372036854775807\n")
    with pytest.raises(sc.ConfigError, match="max_nb_of_workers"):
        Config.load("c.toml")


def test_a_timeout_past_what_a_wait_can_take_means_no_limit(fixture) -> None:
    for huge in (10**30, 2**63, timedelta.max):
        assert fixture["Scenario"].submit(wait=True, timeout=huge).is_finished()


def test_an_export_never_replaces_a_device_or_a_pipe(fixture, tmp_path) -> None:
    """Exports are written to a temporary file renamed over the target: a special file
    there (Config.export("/dev/null") replaced the device) is refused, and left as it is."""
    import os
    import stat

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for export in (Config.export, Config.backup, fixture["Scenario"].export):
        with pytest.raises(sc.InvalidArgument, match="not a plain file"):
            export(pipe)
        assert stat.S_ISFIFO(os.stat(pipe).st_mode)
