"""Taipy TOML files in and out of a configuration (``ConfigState``): the Rust core
parses and writes the text (src/config/toml_file.rs); this module turns parsed
documents into configuration objects, importing functions relative to the file's
folder, then ``sys.path`` (or, for ``scenarium check``, finding them in source).

Example:
    >>> from scenarium.config import toml as config_toml
    >>> from scenarium.config.model import ConfigState
    >>> state = ConfigState()
    >>> config_toml.load(state, "config.toml", replace=True)
    >>> sorted(state.tasks)[:2]
    ['featurization_and_segmentation', 'high_value_cust_summary_statistics']
"""

from __future__ import annotations

import importlib
import os
import sys
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from scenarium._core import parse_config_toml, write_config_toml
from scenarium._utils import arguments as _arguments
from scenarium.config.document import document
from scenarium.config.model import (
    ConfigState,
    CoreConfig,
    DataNodeConfig,
    Frequency,
    GlobalAppConfig,
    JobConfig,
    ScenarioConfig,
    Scope,
    TaskConfig,
    UnresolvedFunction,
)
from scenarium.exceptions import InvalidConfigFile
from scenarium.identity import static_ref as _static_ref

if TYPE_CHECKING:  # the payload types exist only in the stub
    from scenarium._core import ConfigDocument, ConfigEntry, ConfigSection, TypedValue

# Finds the object a "module.name:function" value names, given the file's folder.
_Resolver = Callable[[str, "str | None"], Any]

_DATA_NODE_FIELDS = ("storage_type", "scope", "validity_period")
# A configuration file past this is not one (Config.load("/dev/zero") grew until killed).
_LARGEST_CONFIG = 64 << 20


def read(path: str | os.PathLike[str]) -> ConfigDocument:
    """The parsed document of a TOML file (raises InvalidConfigFile)."""
    path = _arguments.readable_file("Config.load", "filename", path, most=_LARGEST_CONFIG)
    return parse_config_toml(os.fspath(path))


def _python_value(typed: TypedValue, base_dir: str | None, resolve: _Resolver) -> Any:
    kind: str = typed["type"]
    value: Any = typed.get("value")
    if kind == "float":
        return float(value)  # "inf", "-inf" and "nan" arrive as strings
    if kind == "big_int":
        return int(value)
    if kind in ("str", "int", "bool", "section"):
        return value
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "timedelta":
        return timedelta(seconds=value)
    if kind == "scope":
        return Scope[value]
    if kind == "frequency":
        return Frequency[value]
    if kind in ("function", "class"):
        return resolve(value, base_dir)
    if kind == "list":
        return [_python_value(v, base_dir, resolve) for v in value]
    return {e["key"]: _python_value(e["value"], base_dir, resolve) for e in value}


def _entry_value(file: str | None, entry: ConfigEntry, base_dir: str | None, resolve: _Resolver) -> Any:
    """The Python value of one entry; a value Python cannot hold (a duration past
    timedelta's billion days, a year 0) is InvalidConfigFile naming the file and line."""
    try:
        return _python_value(entry["value"], base_dir, resolve)
    except (OverflowError, ValueError) as e:
        where = f"{file or '<document>'}:{entry.get('line') or '?'}"
        error = InvalidConfigFile(f"{where}: {entry['key']}: {entry['value'].get('value')!r} is out of range: {e}")
        error.file, error.line, error.column = file, entry.get("line"), None  # type: ignore[attr-defined]
        raise error from None


def import_path(path: str, base_dir: str | None, function_dirs: list[str] | None = None) -> Any:
    """The object at dotted ``path``, importing its module relative to ``base_dir``
    (the config file's folder) or ``sys.path``; an UnresolvedFunction if it cannot.
    ``sys.path`` is the same afterwards: a ``fractions.py`` beside the file must not
    shadow the standard library for the rest of the process. The folder is added to
    ``function_dirs`` for worker processes, which import task functions by name."""
    saved = list(sys.path)
    if base_dir:
        sys.path.insert(0, base_dir)
        if function_dirs is not None and base_dir not in function_dirs:
            function_dirs.append(base_dir)
    module_name, _, attr = path.rpartition(".")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj
    except Exception as e:  # any import-time failure is the user's module's
        return UnresolvedFunction(path, f"{type(e).__name__}: {e}")
    finally:
        sys.path[:] = saved


def static_reference(path: str, base_dir: str | None) -> Any:
    """The function at ``path`` found in its module's source, never imported (``scenarium
    check``: a configuration from elsewhere runs no code); an UnresolvedFunction if not."""
    try:
        return _static_ref.resolve(path, [base_dir] if base_dir else [])
    except LookupError as e:
        return UnresolvedFunction(path, str(e))


def load(state: ConfigState, path: str | os.PathLike[str], *, replace: bool, static: bool = False) -> None:
    """Reads TOML file ``path`` into ``state``: all of it anew (``replace``) or over the
    current configuration, key by key (override). With ``static``, function references
    are checked in their modules' source instead of imported."""
    apply(state, read(path), replace=replace, static=static)


def apply(state: ConfigState, document: ConfigDocument, *, replace: bool, static: bool = False) -> None:
    """Builds configuration objects from a parsed document into ``state``: all of them
    anew (``replace``) or over the current ones, key by key (override)."""
    file = document.get("file")
    base_dir = os.path.dirname(os.path.abspath(file)) if file else None
    resolve: _Resolver = static_reference if static else partial(import_path, function_dirs=state.function_dirs)
    if replace:
        state.__dict__.update(ConfigState().__dict__)
    sections = document["sections"]
    defaults = {s["kind"]: s for s in sections if s.get("id") == "default"}
    for s in sections:
        state.locations[(s["kind"], s.get("id"))] = (
            file or "",
            s.get("line"),
            {e["key"]: line for e in s["entries"] if (line := e.get("line"))},
        )
        state.templates.setdefault((s["kind"], s.get("id")), {}).update(
            {e["key"]: (template, e["value"]) for e in s["entries"] if (template := e.get("template"))}
        )
        if s["kind"] not in ("TAIPY", "JOB", "CORE", "DATA_NODE", "TASK", "SCENARIO"):
            state.foreign_sections.append(s)

    def storage(section: ConfigSection | None) -> Any:
        entries = section["entries"] if section else []
        return next((e["value"].get("value") for e in entries if e["key"] == "storage_type"), None)

    def values(section: ConfigSection) -> dict[str, Any]:
        default = defaults.get(section["kind"])
        if section["kind"] == "DATA_NODE" and storage(section) not in (None, storage(default)):
            default = None  # as configure_data_node: a default of another storage type gives nothing
        merged = {e["key"]: e for e in (default["entries"] if default else [])}
        merged.update({e["key"]: e for e in section["entries"]})
        return {k: _entry_value(file, e, base_dir, resolve) for k, e in merged.items()}

    def by_kind(kind: str) -> list[tuple[str, ConfigSection]]:
        return [(s["id"] or "", s) for s in sections if s["kind"] == kind and s.get("id") != "default"]

    if "DATA_NODE" in defaults:
        default = state.default_data_node = _blank_data_node("default")
        for field, value in values(defaults["DATA_NODE"]).items():
            setattr(default, field, value) if field in _DATA_NODE_FIELDS else default.properties.update({field: value})
    for id, s in by_kind("DATA_NODE"):
        _apply_data_node(state, id, values(s))
    for id, s in by_kind("TASK"):
        _apply_task(state, id, values(s))
    for id, s in by_kind("SCENARIO"):
        _apply_scenario(state, id, values(s))
    for _, s in by_kind("JOB"):
        old = state.job
        merged = {**old.properties, "mode": old.mode, "max_nb_of_workers": old.max_nb_of_workers, **values(s)}
        job = object.__new__(JobConfig)
        job.mode = merged.pop("mode", "development")
        job.max_nb_of_workers = JobConfig.checked_workers(merged.pop("max_nb_of_workers", 1))
        job.properties = merged
        state.job = job
    for _, s in by_kind("TAIPY"):
        state.global_app = GlobalAppConfig(**{**state.global_app._properties, **values(s)})
    for _, s in by_kind("CORE"):
        v = values(s)
        folder = v.pop("storage_folder", state.core.storage_folder)
        state.core = CoreConfig(folder, **v)
    state.checked = False


def _blank_data_node(id: str) -> DataNodeConfig:
    """A data node config with Taipy's defaults, built without validation: a file's
    mistakes are for check() to report, not for load() to raise."""
    cfg = object.__new__(DataNodeConfig)
    cfg.id, cfg.storage_type, cfg.scope, cfg.validity_period, cfg.properties = id, "pickle", Scope.SCENARIO, None, {}
    return cfg


def _blank_task(id: str) -> TaskConfig:
    cfg = object.__new__(TaskConfig)
    # No function yet: the TOML section that names it may come later (check() reports one never set).
    cfg.function = None  # type: ignore[assignment]
    cfg.id, cfg.skippable, cfg.properties = id, False, {}
    cfg.input_configs, cfg.output_configs, cfg._input_params = [], [], []
    return cfg


def _apply_data_node(state: ConfigState, id: str, v: dict[str, Any]) -> None:
    cfg = state.data_nodes.get(id)
    if cfg is None:
        cfg = state.data_nodes[id] = _blank_data_node(id)
    for field in _DATA_NODE_FIELDS:
        if field in v:
            setattr(cfg, field, v.pop(field))
    cfg.properties.update(v)


def _ref(configured: dict[str, Any], blank: Callable[[str], Any], owner: str, id: Any) -> Any:
    """The config ``id`` names, or a blank placeholder (not registered) that check() reports as missing."""
    found = configured.get(str(id))
    if found is not None:
        return found
    missing = blank(str(id))
    missing.properties["_missing"] = owner
    return missing


def _data_node_ref(state: ConfigState, owner: str, id: Any) -> DataNodeConfig:
    return _ref(state.data_nodes, _blank_data_node, owner, id)


def _apply_task(state: ConfigState, id: str, v: dict[str, Any]) -> None:
    cfg = state.tasks.get(id)
    if cfg is None:
        cfg = state.tasks[id] = _blank_task(id)
    if "function" in v:
        cfg.function = v.pop("function")
    if "inputs" in v:
        cfg.input_configs = [_data_node_ref(state, f"TASK.{id}", d) for d in _as_list(v.pop("inputs"))]
        cfg._input_params = [None] * len(cfg.input_configs)
    if "input_params" in v:
        params = [str(p) if p else None for p in _as_list(v.pop("input_params"))]
        cfg._input_params = (params + [None] * len(cfg.input_configs))[: len(cfg.input_configs)]
    if "outputs" in v:
        cfg.output_configs = [_data_node_ref(state, f"TASK.{id}", d) for d in _as_list(v.pop("outputs"))]
    if "skippable" in v:
        cfg.skippable = v.pop("skippable")
    cfg.properties.update(v)


def _apply_scenario(state: ConfigState, id: str, v: dict[str, Any]) -> None:
    cfg = state.scenarios.get(id)
    if cfg is None:
        cfg = object.__new__(ScenarioConfig)
        cfg.id, cfg.task_configs, cfg.additional_data_node_configs = id, [], []
        cfg.frequency, cfg.comparators, cfg.properties = None, {}, {}
        state.scenarios[id] = cfg
    if "tasks" in v:
        cfg.task_configs = [_ref(state.tasks, _blank_task, f"SCENARIO.{id}", t) for t in _as_list(v.pop("tasks"))]
    if "additional_data_nodes" in v:
        cfg.additional_data_node_configs = [
            _data_node_ref(state, f"SCENARIO.{id}", d) for d in _as_list(v.pop("additional_data_nodes"))
        ]
    if "frequency" in v:
        cfg.frequency = v.pop("frequency")
    if "comparators" in v:
        comparators = _table(state, f"SCENARIO.{id}", "comparators", v.pop("comparators"))
        cfg.comparators = {k: _as_list(f) for k, f in comparators.items()}
    if "sequences" in v:
        sequences = _table(state, f"SCENARIO.{id}", "sequences", v.pop("sequences"))
        sequences = {k: [str(t) for t in _as_list(ts)] for k, ts in sequences.items()}
        if sequences:
            cfg.properties["sequences"] = sequences
        else:
            cfg.properties.pop("sequences", None)
    cfg.properties.update(v)


def _table(state: ConfigState, section: str, key: str, value: Any) -> dict[str, Any]:
    """``value`` as the table ``key`` must be, else InvalidConfigFile naming the file and
    line: what the section is built from cannot wait for check()."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    kind, _, id = section.partition(".")
    file, section_line, lines = state.locations.get((kind, id), ("", None, {}))
    line = lines.get(key) or section_line
    error = InvalidConfigFile(
        f"{file or '<document>'}:{line or '?'}: [{section}] {key} must be a table such as "
        f"{{name = [...]}}, got {value!r}"
    )
    error.file, error.line, error.column = file, line, None  # type: ignore[attr-defined]
    raise error


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def export(state: ConfigState, path: str | os.PathLike[str]) -> None:
    """Writes the configuration to ``path`` as TOML (atomically)."""
    path = os.fspath(_arguments.writable_file("Config.export", "filename", path))
    text = write_config_toml(document(state))
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with _arguments.writing("Config.export", "filename", Path(path)):
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
