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
from datetime import datetime, timedelta, timezone
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


def _parameters(
    fixture: dict[str, Any], skip: set[str]
) -> Iterator[tuple[str, Any, inspect.Signature, inspect.Parameter]]:
    """(name, callable, its signature, one of its parameters) of every public callable."""
    for name, function in _callables(fixture):
        if name in skip:
            continue
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            continue
        for parameter in signature.parameters.values():
            yield name, function, signature, parameter


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
    for name, function, _, parameter in _parameters(fixture, SKIP):
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


# Text a str parameter can be given that no id, name or tag can be: a lone surrogate
# (not UTF-8, so it cannot reach the core or a file), a NUL, a very long id.
ODD_TEXT = ["\udcff", "DATANODE_\udcff", "SCENARIO_a\x00b", "SCENARIO_" + "x" * 5000]
WRONG_TYPES = [b"abc", 2.5]
ODD_DATES = [10**30, "2026-13-45", datetime.min, datetime.max, datetime(1, 1, 1, tzinfo=timezone.utc)]
# Parameters that take an entity or a configuration: given None, a number or any object.
ENTITY_KINDS = ("Scenario", "DataNode", "Task", "Cycle", "Sequence", "Job", "Submission")
# Calls that would wipe the fixture when a value is accepted.
TEXT_SKIP = {"clean_all_entities", "delete_jobs"}


def test_odd_text_wrong_types_and_dates_are_named_errors(fixture) -> None:
    """Every str or datetime parameter, given text no id or name can be, a bytes or a
    float, or a date no calendar has, returns or raises scenarium's error or a
    ``TypeError``: never ``UnicodeEncodeError``, ``AttributeError`` or a bare ``ValueError``."""
    wrong, probed = [], 0
    for name, function, signature, parameter in _parameters(fixture, TEXT_SKIP):
        annotation = str(parameter.annotation)
        values: list[Any] = []
        if "str" in annotation and "Callable" not in annotation:
            values += ODD_TEXT + ([] if "Any" in annotation else WRONG_TYPES)
        if "datetime" in annotation:
            values += ODD_DATES
        if any(kind in annotation for kind in ENTITY_KINDS) and "Any" not in annotation:
            values += [-1, object()] + ([] if "None" in annotation else [None])
        others = _fillers(signature, parameter, fixture)
        for bad in values:
            probed += 1
            outcome = _call_lenient(function, parameter, bad, others)
            if outcome is not None:
                wrong.append(f"{name}({parameter.name}={bad!r:.40}): {outcome}")
    assert probed > 100, probed
    assert not wrong, "\n".join(wrong)


def _fillers(signature: inspect.Signature, probed: inspect.Parameter, fixture: dict[str, Any]) -> dict[str, Any]:
    """Good values for the other required parameters, where the fixture has one of their
    type (``create_scenario``'s config), so that the probed one is what is judged."""
    by_type = {"ScenarioConfig": Config.scenarios["s"], "Scenario": fixture["Scenario"],
               "DataNode": fixture["DataNode"], "Job": fixture["Job"]}  # fmt: skip
    filled = {}
    for p in signature.parameters.values():
        if p is probed or p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            continue
        found = [value for name, value in by_type.items() if str(p.annotation).startswith(name)]
        if found:
            filled[p.name] = found[0]
    return filled


def _call_lenient(function: Any, parameter: inspect.Parameter, bad: Any, others: dict[str, Any]) -> str | None:
    """None when the call returned, or raised scenarium's error or a TypeError."""
    try:
        if parameter.kind is parameter.POSITIONAL_ONLY:
            function(bad, **others)
        else:
            function(**others, **{parameter.name: bad})
    except (sc.ScenariumError, TypeError):
        return None
    except BaseException as e:  # noqa: BLE001  (whatever it is, it is the finding)
        return f"{type(e).__name__}: {e}"
    return None


# Values of each kind a documented property can be given by mistake.
BAD_PROPERTY_VALUES: list[Any] = [5, -1.5, True, "a\x00b", "\udcff", b"abc", [1], {"k": 1}, double, object()]


def _fits(annotation: str, value: Any) -> bool:
    """Whether ``value`` is of the type the configurator's annotation names."""
    if "Any" in annotation:
        return True
    checks = {
        "str": lambda v: isinstance(v, str),
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "dict": lambda v: isinstance(v, dict),
        "list": lambda v: isinstance(v, list),
        "Callable": callable,
        "type[": inspect.isclass,
    }
    return any(check(value) for kind, check in checks.items() if kind in annotation)


def test_every_documented_property_of_a_wrong_type_is_refused_when_configured(tmp_path, monkeypatch) -> None:
    """The typed configurators' parameters are the storage types' documented properties:
    each, given a value of another type (or a path with a NUL, text that is not UTF-8),
    is refused by ``configure_*`` with a ``ConfigError`` naming it; a value accepted
    leaves ``Config.check()`` able to say what it thinks of it."""
    monkeypatch.chdir(tmp_path)
    wrong, probed = [], 0
    configurators = [n for n in dir(Config) if n.startswith("configure_") and n.endswith("_data_node")]
    assert len(configurators) >= 10, configurators
    for configurator in configurators:
        function = getattr(Config, configurator)
        for parameter in inspect.signature(function).parameters.values():
            if parameter.name in ("id", "scope", "validity_period", "default_data", "properties"):
                continue
            annotation = str(parameter.annotation)
            for bad in BAD_PROPERTY_VALUES:
                probed += 1
                id = f"p{probed}"
                named = {"id": id} if "id" in inspect.signature(function).parameters else {}
                try:
                    function(**named, **{parameter.name: bad})
                except sc.ConfigError as e:
                    if parameter.name not in str(e):
                        wrong.append(f"{configurator}({parameter.name}={bad!r:.30}): not named: {e}")
                    continue
                except BaseException as e:  # noqa: BLE001
                    wrong.append(f"{configurator}({parameter.name}={bad!r:.30}): {type(e).__name__}: {e}")
                    continue
                try:
                    Config.check()
                except BaseException as e:  # noqa: BLE001
                    wrong.append(f"{configurator}({parameter.name}={bad!r:.30}) then check(): {type(e).__name__}: {e}")
                Config._state.data_nodes.pop(id, None)
                odd_text = isinstance(bad, str) and ("\x00" in bad or "\udcff" in bad)
                if not _fits(annotation, bad) or (odd_text and parameter.name.endswith("path")):
                    wrong.append(f"{configurator}({parameter.name}={bad!r:.30}): accepted")
    assert probed > 300, probed
    assert not wrong, f"{len(wrong)} wrong:\n" + "\n".join(wrong)


def test_configured_durations_are_positive_and_a_files_out_of_range_ones_named(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for bad in (timedelta(days=-1), timedelta(0)):
        with pytest.raises(sc.ConfigError, match="validity_period"):
            Config.configure_data_node("v", validity_period=bad)
    (tmp_path / "c.toml").write_text('[DATA_NODE.a]\nvalidity_period = "99999999999d0h0m0s:timedelta"\n')
    with pytest.raises(sc.InvalidConfigFile, match=r"c\.toml.*validity_period"):
        Config.load("c.toml")


def test_a_files_property_of_a_wrong_type_is_reported_by_check_with_its_line(tmp_path, monkeypatch) -> None:
    """A TOML file's mistakes are for check() to report, with the file and line, not for load() to raise."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.toml").write_text(
        '[DATA_NODE.a]\nstorage_type = "csv"\ndefault_path = "5:int"\nhas_header = "no"\n'
        '[DATA_NODE.b]\nstorage_type = "csv"\ndefault_path = "a\\u0000b"\n'
    )
    Config.load("c.toml")
    errors = {(i.section, i.key, i.line) for i in Config.check() if i.level == "error"}
    assert {("DATA_NODE.a", "default_path", 3), ("DATA_NODE.a", "has_header", 4)} <= errors, errors
    assert ("DATA_NODE.b", "default_path", 7) in errors, errors


def test_every_other_configurators_parameter_of_a_wrong_type_is_refused(tmp_path, monkeypatch) -> None:
    """As above for the tasks', scenarios', jobs' and core's configurators (a skippable
    of 5 or a storage_folder of 5 was taken as given; comparators of a str raised
    AttributeError; a timeout of "abc" a bare ValueError)."""
    monkeypatch.chdir(tmp_path)
    required = {"configure_task": {"id": "t", "function": double}, "configure_scenario": {"id": "s"},
                "set_default_data_node_configuration": {"storage_type": "pickle"}}  # fmt: skip
    wrong, probed = [], 0
    for name in dir(Config):
        if not name.startswith(("configure_", "set_default_")):
            continue
        if name.endswith("_data_node") or name == "configure_data_node_from":
            continue  # the test above
        function = getattr(Config, name)
        for parameter in inspect.signature(function).parameters.values():
            if parameter.name == "id" or parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                continue
            for bad in BAD_PROPERTY_VALUES:
                probed += 1
                try:
                    function(**{**required.get(name, {}), parameter.name: bad})
                except (sc.ConfigError, TypeError):
                    continue
                except BaseException as e:  # noqa: BLE001
                    wrong.append(f"{name}({parameter.name}={bad!r:.30}): {type(e).__name__}: {e}")
                    continue
                if not _fits(str(parameter.annotation), bad):
                    wrong.append(f"{name}({parameter.name}={bad!r:.30}): accepted")
                Config._state.tasks.pop("t", None)
                Config._state.scenarios.pop("s", None)
    assert probed > 150, probed
    assert not wrong, f"{len(wrong)} wrong:\n" + "\n".join(wrong)


def test_files_to_read_are_plain_files_and_exports_say_where_they_cannot_write(fixture, tmp_path) -> None:
    """A named pipe blocked Config.load and import_scenario for ever, /dev/zero grew the
    process until the kernel killed it; a folder an export cannot write raised a bare OSError."""
    import os

    os.mkfifo(tmp_path / "pipe")
    for read in (Config.load, Config.override, Config.restore, sc.import_scenario):
        for special in (tmp_path / "pipe", "/dev/zero"):
            with pytest.raises(sc.InvalidArgument, match="not a plain file"):
                read(special)
    for export in (Config.export, Config.backup, fixture["Scenario"].export):
        with pytest.raises(sc.StorageError, match="cannot write"):
            export("/proc/new-file")


def test_what_configure_cannot_store_or_use_is_refused_where_it_is_given(tmp_path, monkeypatch) -> None:
    """Text UTF-8 cannot hold in any property (it failed at create_scenario), an encoding
    Python does not know (it failed at the first write, as a bare LookupError)."""
    monkeypatch.chdir(tmp_path)
    for configure in (
        lambda: Config.configure_data_node("a", custom="\ud800"),
        lambda: Config.configure_data_node("b", custom={"\ud800": 1}),
        lambda: Config.configure_task("t", double, custom="\ud800"),
        lambda: Config.configure_scenario("s", custom=["\ud800"]),
    ):
        with pytest.raises(sc.ConfigError, match="custom"):
            configure()
    with pytest.raises(sc.ConfigError, match="encoding"):
        Config.configure_json_data_node("j", encoding="bogus")
    (tmp_path / "c.toml").write_text('[DATA_NODE.j]\nstorage_type = "json"\nencoding = "bogus"\n')
    Config.load("c.toml")
    assert [(i.key, i.line) for i in Config.check() if i.level == "error"] == [("encoding", 3)]


def test_a_task_timeout_past_what_a_wait_can_take_is_no_limit(fixture) -> None:
    """It was accepted, then crashed the watchdog thread (OverflowError) so that no
    timeout held; as submit's, it now means no limit."""
    from datetime import timedelta as td

    for n, huge in enumerate((1e300, 2**70, td(days=999_999_999))):
        out = Config.configure_data_node(f"u{n}")
        task = Config.configure_task(f"long{n}", double, Config.data_nodes["v"], out, timeout=huge)
        scenario = sc.create_scenario(Config.configure_scenario(f"long_s{n}", [task]))
        assert scenario.submit(wait=True).is_finished()
