"""Taipy TOML configuration files: ``Config.load``, ``override``, ``restore``,
``export`` and ``check``.

The Rust core parses and writes the files and runs the rules that need only the
document; this module turns documents into ``Config`` objects and back, imports
functions (relative to the file's folder, then ``sys.path``) and runs the rules
that need the functions themselves.

Example:
    >>> from scenarium import Config
    >>> Config.load("config.toml")
    >>> sorted(Config.tasks)[:2]
    ['featurization_and_segmentation', 'high_value_cust_summary_statistics']
    >>> [str(issue) for issue in Config.check()]
    []
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import math
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable, Iterator

from scenarium import _core
from scenarium.exceptions import ConfigError, InvalidConfig

if TYPE_CHECKING:
    from scenarium.config import DataNodeConfig, ScenarioConfig, TaskConfig


@dataclass(frozen=True)
class Issue:
    """One finding of ``Config.check()``: an ``error`` or a ``warning``, where it is, and why."""

    level: str
    section: str
    key: str | None
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else f"{self.file}: " if self.file else ""
        key = f" {self.key}:" if self.key else ""
        return f"{where}{self.level}: [{self.section}]{key} {self.message}"


class UnresolvedFunction:
    """Stands for a configured function that cannot be imported: ``Config.check()``
    reports it, and calling it raises the import error."""

    def __init__(self, path: str, error: str) -> None:
        self.path = path
        self.error = error
        self.__module__, _, self.__qualname__ = path.rpartition(".")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise ConfigError(f"function {self.path} cannot be imported: {self.error}")

    def __repr__(self) -> str:
        return f"<unresolved function {self.path}>"


# Where each loaded section came from: (kind, id) -> (file, section line, {key: line}).
_locations: dict[tuple[str, str | None], tuple[str, int | None, dict[str, int]]] = {}
# ENV[...] templates of loaded values: (kind, id) -> {key: (template, typed value it resolved to)}.
_templates: dict[tuple[str, str | None], dict[str, tuple[str, dict[str, Any]]]] = {}
# Sections of loaded files that describe nothing scenarium builds (unknown kinds), kept for check().
_foreign_sections: list[dict[str, Any]] = []

_DATA_NODE_FIELDS = ("storage_type", "scope", "validity_period")
_TASK_FIELDS = ("function", "inputs", "outputs", "skippable", "input_params")
_SCENARIO_FIELDS = ("tasks", "additional_data_nodes", "frequency", "comparators", "sequences")


# ---------------------------------------------------------------- reading


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed document of a TOML file (raises InvalidConfigFile)."""
    return json.loads(_core.parse_config_toml(os.fspath(path)))


def _python_value(typed: dict[str, Any], base_dir: str | None) -> Any:
    from scenarium.config import Frequency, Scope

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
        return import_path(value, base_dir)
    if kind == "list":
        return [_python_value(v, base_dir) for v in value]
    return {e["key"]: _python_value(e["value"], base_dir) for e in value}


def import_path(path: str, base_dir: str | None) -> Any:
    """The object at dotted ``path``, importing its module relative to ``base_dir``
    (the config file's folder) or ``sys.path``; an UnresolvedFunction if it cannot.
    ``sys.path`` is the same afterwards: a ``fractions.py`` beside the file must not
    shadow the standard library for the rest of the process. The folder is
    remembered for worker processes, which import task functions by name."""
    if _static_only:
        from scenarium import _static_ref

        try:
            return _static_ref.resolve(path, [base_dir] if base_dir else [])
        except LookupError as e:
            return UnresolvedFunction(path, str(e))
    saved = list(sys.path)
    if base_dir:
        sys.path.insert(0, base_dir)
        if base_dir not in FUNCTION_DIRS:
            FUNCTION_DIRS.append(base_dir)
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


# While set, functions are found in their modules' source, never imported (see static_references).
_static_only = False


@contextlib.contextmanager
def static_references() -> Iterator[None]:
    """Within it, loading a file checks its function references without importing
    any module (``scenarium check``): a configuration from elsewhere runs no code."""
    global _static_only
    saved, _static_only = _static_only, True
    try:
        yield
    finally:
        _static_only = saved


# Folders of loaded configuration files, where their task functions were found:
# worker processes search them after sys.path.
FUNCTION_DIRS: list[str] = []


def apply(document: dict[str, Any], *, replace: bool) -> None:
    """Builds Config objects from a parsed document: all of them anew (``replace``)
    or over the current ones, key by key (override)."""
    from scenarium.config import Config, CoreConfig, JobConfig

    file = document.get("file")
    base_dir = os.path.dirname(os.path.abspath(file)) if file else None
    if replace:
        Config._reset()
        _locations.clear()
        _templates.clear()
        _foreign_sections.clear()
    sections = document["sections"]
    defaults = {s["kind"]: s for s in sections if s.get("id") == "default"}
    for s in sections:
        _locations[(s["kind"], s.get("id"))] = (
            file or "",
            s.get("line"),
            {e["key"]: e["line"] for e in s["entries"] if e.get("line")},
        )
        _templates.setdefault((s["kind"], s.get("id")), {}).update(
            {e["key"]: (e["template"], e["value"]) for e in s["entries"] if e.get("template")}
        )
        if s["kind"] not in ("TAIPY", "JOB", "CORE", "DATA_NODE", "TASK", "SCENARIO"):
            _foreign_sections.append(s)

    def values(section: dict[str, Any]) -> dict[str, Any]:
        default = defaults.get(section["kind"])
        merged = {e["key"]: e["value"] for e in (default["entries"] if default else [])}
        merged.update({e["key"]: e["value"] for e in section["entries"]})
        return {k: _python_value(v, base_dir) for k, v in merged.items()}

    by_kind = lambda kind: [s for s in sections if s["kind"] == kind and s.get("id") != "default"]  # noqa: E731
    for s in by_kind("DATA_NODE"):
        _apply_data_node(s["id"], values(s))
    for s in by_kind("TASK"):
        _apply_task(s["id"], values(s))
    for s in by_kind("SCENARIO"):
        _apply_scenario(s["id"], values(s))
    for s in by_kind("JOB"):
        old = Config._job_config
        merged = {**old.properties, "mode": old.mode, "max_nb_of_workers": old.max_nb_of_workers, **values(s)}
        job = object.__new__(JobConfig)
        job.mode = merged.pop("mode", "development")
        job.max_nb_of_workers = merged.pop("max_nb_of_workers", 1)
        job.properties = merged
        Config._job_config = job
    for s in by_kind("CORE"):
        v = values(s)
        folder = v.pop("storage_folder", Config._core_config.storage_folder)
        Config._core_config = CoreConfig(folder, **v)
    Config._checked = False


def _blank_data_node(id: str) -> DataNodeConfig:
    """A data node config with Taipy's defaults, built without validation: a file's
    mistakes are for check() to report, not for load() to raise."""
    from scenarium.config import DataNodeConfig, Scope

    cfg = object.__new__(DataNodeConfig)
    cfg.id, cfg.storage_type, cfg.scope, cfg.validity_period, cfg.properties = id, "pickle", Scope.SCENARIO, None, {}
    return cfg


def _blank_task(id: str) -> TaskConfig:
    from scenarium.config import TaskConfig

    cfg = object.__new__(TaskConfig)
    # No function yet: the TOML section that names it may come later (check() reports one never set).
    cfg.function = None  # type: ignore[assignment]
    cfg.id, cfg.skippable, cfg.properties = id, False, {}
    cfg.input_configs, cfg.output_configs, cfg._input_params = [], [], []
    return cfg


def _apply_data_node(id: str, v: dict[str, Any]) -> None:
    from scenarium.config import Config

    cfg = Config._data_nodes.get(id)
    if cfg is None:
        cfg = Config._data_nodes[id] = _blank_data_node(id)
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


def _data_node_ref(owner: str, id: Any) -> DataNodeConfig:
    from scenarium.config import Config

    return _ref(Config._data_nodes, _blank_data_node, owner, id)


def _apply_task(id: str, v: dict[str, Any]) -> None:
    from scenarium.config import Config

    cfg = Config._tasks.get(id)
    if cfg is None:
        cfg = Config._tasks[id] = _blank_task(id)
    if "function" in v:
        cfg.function = v.pop("function")
    if "inputs" in v:
        cfg.input_configs = [_data_node_ref(f"TASK.{id}", d) for d in _as_list(v.pop("inputs"))]
        cfg._input_params = [None] * len(cfg.input_configs)
    if "input_params" in v:
        params = [str(p) if p else None for p in _as_list(v.pop("input_params"))]
        cfg._input_params = (params + [None] * len(cfg.input_configs))[: len(cfg.input_configs)]
    if "outputs" in v:
        cfg.output_configs = [_data_node_ref(f"TASK.{id}", d) for d in _as_list(v.pop("outputs"))]
    if "skippable" in v:
        cfg.skippable = v.pop("skippable")
    cfg.properties.update(v)


def _apply_scenario(id: str, v: dict[str, Any]) -> None:
    from scenarium.config import Config, ScenarioConfig

    cfg = Config._scenarios.get(id)
    if cfg is None:
        cfg = object.__new__(ScenarioConfig)
        cfg.id, cfg.task_configs, cfg.additional_data_node_configs = id, [], []
        cfg.frequency, cfg.comparators, cfg.properties = None, {}, {}
        Config._scenarios[id] = cfg
    if "tasks" in v:
        cfg.task_configs = [_task_ref(id, t) for t in _as_list(v.pop("tasks"))]
    if "additional_data_nodes" in v:
        cfg.additional_data_node_configs = [
            _data_node_ref(f"SCENARIO.{id}", d) for d in _as_list(v.pop("additional_data_nodes"))
        ]
    if "frequency" in v:
        cfg.frequency = v.pop("frequency")
    if "comparators" in v:
        cfg.comparators = {k: _as_list(f) for k, f in dict(v.pop("comparators") or {}).items()}
    if "sequences" in v:
        sequences = {k: [str(t) for t in _as_list(ts)] for k, ts in dict(v.pop("sequences") or {}).items()}
        if sequences:
            cfg.properties["sequences"] = sequences
        else:
            cfg.properties.pop("sequences", None)
    cfg.properties.update(v)


def _task_ref(scenario: str, id: Any) -> TaskConfig:
    from scenarium.config import Config

    return _ref(Config._tasks, _blank_task, f"SCENARIO.{scenario}", id)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# ---------------------------------------------------------------- writing


def _typed(value: Any, where: str, strict: bool = True) -> dict[str, Any]:
    """The typed document value of ``value``; with ``strict`` False (checking, not
    writing), values a file cannot hold stand in as their repr instead of raising."""
    from scenarium.config import DataNodeConfig, Frequency, Scope, TaskConfig

    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            return {"type": "big_int", "value": str(value)}
        return {"type": "int", "value": value}
    if isinstance(value, float):
        # JSON has no inf or nan: the core reads them as strings.
        return {"type": "float", "value": value if math.isfinite(value) else repr(value)}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, datetime):
        return {"type": "datetime", "value": value.isoformat()}
    if isinstance(value, timedelta):
        return {"type": "timedelta", "value": value.total_seconds()}
    if isinstance(value, Scope):
        return {"type": "scope", "value": value.name}
    if isinstance(value, Frequency):
        return {"type": "frequency", "value": value.name}
    if isinstance(value, (DataNodeConfig, TaskConfig, _SectionRef)):
        return {"type": "section", "value": value.id}
    if isinstance(value, (list, tuple)):
        return {"type": "list", "value": [_typed(v, where, strict) for v in value]}
    if isinstance(value, dict):
        return {"type": "table", "value": [_entry(str(k), v, where, None, strict) for k, v in value.items()]}
    if isinstance(value, UnresolvedFunction):
        return {"type": "function", "value": value.path}
    if inspect.isclass(value):
        return {"type": "class", "value": f"{value.__module__}.{value.__qualname__}"}
    if callable(value):
        try:
            return {"type": "function", "value": _function_path(value, where)}
        except ConfigError:
            if strict:
                raise
            return {"type": "function", "value": "__main__.local"}
    if not strict:
        return {"type": "str", "value": repr(value)}
    raise ConfigError(
        f"{where}: {type(value).__qualname__} values cannot be written to a TOML file; "
        "keep them in Python configuration or store them as a file the data node reads"
    )


@dataclass(frozen=True)
class _SectionRef:
    """A reference to a section by id, written as "id:SECTION"."""

    id: str


def _function_path(function: Callable[..., Any], where: str) -> str:
    native = getattr(function, "__scenarium_native__", None)
    if native is not None:
        return f"scenarium.tasks.{native[0]}"
    module, qualname = getattr(function, "__module__", None), getattr(function, "__qualname__", "")
    if not module or "<" in qualname or module == "__main__":
        raise ConfigError(
            f"{where}: function {qualname or function!r} cannot be written to a TOML file: it must be importable "
            f"(defined at module level in a module, not in __main__ or a notebook cell)"
        )
    return f"{module}.{qualname}"


def _entry(key: str, value: Any, where: str, line: int | None, strict: bool) -> dict[str, Any]:
    typed = _typed(value, f"{where} {key}", strict)
    return {"key": key, "value": typed, "line": line, "column": None, "template": None}


def _section(kind: str, id: str | None, fields: dict[str, Any], strict: bool) -> dict[str, Any]:
    file, line, lines = _locations.get((kind, id), (None, None, {}))
    name = f"{kind}.{id}" if id else kind
    entries = [_entry(k, v, f"[{name}]", lines.get(k), strict) for k, v in fields.items() if v is not None]
    templates = _templates.get((kind, id), {})
    for entry in entries:
        template, resolved = templates.get(entry["key"], (None, None))
        if template is not None and entry["value"] == resolved:
            entry["template"] = template  # unchanged since loaded: write the template, not the secret
    return {"kind": kind, "id": id, "line": line, "entries": entries}


def document(strict: bool = True) -> dict[str, Any]:
    """The current configuration as a document: what export writes (``strict``: every
    value must be writable) and what check lints."""
    from scenarium.config import Config, Scope

    sections: list[dict[str, Any]] = [_section("TAIPY", None, {}, strict)]
    job = Config._job_config
    sections.append(
        _section("JOB", None, {"mode": job.mode, "max_nb_of_workers": job.max_nb_of_workers, **job.properties}, strict)
    )
    core = Config._core_config
    sections.append(_section("CORE", None, {"storage_folder": core.storage_folder, **core.properties}, strict))
    for dn in Config._data_nodes.values():
        fields: dict[str, Any] = {"storage_type": dn.storage_type}
        if dn.scope is not Scope.SCENARIO:
            fields["scope"] = dn.scope
        fields["validity_period"] = dn.validity_period
        sections.append(_section("DATA_NODE", dn.id, {**fields, **dn.properties}, strict))
    for task in Config._tasks.values():
        fields = {
            "function": task.function,
            "inputs": task.input_configs,
            "outputs": task.output_configs,
            "skippable": task.skippable,
        }
        if any(task._input_params):
            fields["input_params"] = [p or "" for p in task._input_params]
        sections.append(_section("TASK", task.id, {**fields, **task.properties}, strict))
    for scenario in Config._scenarios.values():
        props = dict(scenario.properties)
        fields = {
            "tasks": scenario.task_configs,
            "additional_data_nodes": scenario.additional_data_node_configs,
            "frequency": scenario.frequency,
            "comparators": scenario.comparators,
            "sequences": {k: [_SectionRef(t) for t in ts] for k, ts in props.pop("sequences", {}).items()},
        }
        sections.append(_section("SCENARIO", scenario.id, {**fields, **props}, strict))
    files = {f for f, _, _ in _locations.values() if f}
    return {"file": files.pop() if len(files) == 1 else None, "sections": sections + _foreign_sections}


def export(path: str | os.PathLike[str]) -> None:
    """Writes the current configuration to ``path`` as TOML (atomically)."""
    text = _core.write_config_toml(json.dumps(document()))
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------- checking


class Issues(list):
    """The list ``Config.check()`` returns, readable as a whole in a terminal or notebook."""

    def __repr__(self) -> str:
        if not self:
            return "Config.check(): no issues"
        errors = sum(1 for i in self if i.level == "error")
        return f"Config.check(): {errors} errors, {len(self) - errors} warnings\n" + "\n".join(map(str, self))

    def _repr_html_(self) -> str:
        from scenarium import _html

        if not self:
            return _html.panel("<b>Config.check()</b>: no issues")
        rows = [
            [
                _html.status_badge("FAILED" if i.level == "error" else "PENDING", i.level),
                _html.esc(f"{i.file}:{i.line}" if i.file and i.line else i.file or ""),
                f"<code>[{_html.esc(i.section)}]</code> {_html.esc(i.key or '')}",
                _html.esc(i.message),
            ]
            for i in self
        ]
        return _html.panel("<b>Config.check()</b>", _html.table(["level", "where", "section", "issue"], rows))


def forget_locations() -> None:
    """Drops what loaded files said (lines, templates), with the configuration."""
    _locations.clear()
    _templates.clear()
    _foreign_sections.clear()


def check() -> Issues:
    """Every issue of the current configuration, errors first."""
    doc = document(strict=False)
    issues = [Issue(**i) for i in json.loads(_core.lint_config(json.dumps(doc)))]
    issues += _function_issues() + _path_issues()
    return Issues(sorted(issues, key=lambda i: (i.level != "error", i.file or "", i.line or 0)))


# Modules whose functions, named by a configuration file, act on the machine.
_SYSTEM_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "shutil",
        "pickle",
        "marshal",
        "sys",
        "importlib",
        "ctypes",
        "socket",
        "pty",
        "runpy",
        "code",
        "codeop",
        "multiprocessing",
        "signal",
        "tempfile",
        "webbrowser",
    }
)


# Builtins that run code or open files (len, sum and the like are harmless).
_SYSTEM_BUILTINS = frozenset(
    {"eval", "exec", "compile", "open", "__import__", "breakpoint", "setattr", "delattr", "globals", "input"}
)


def _path_issues() -> list[Issue]:
    """Data node paths that leave the working directory (absolute, or through ``..``):
    a configuration file from elsewhere could read or overwrite any file."""
    from scenarium.config import Config

    issues = []
    here = os.path.realpath(os.getcwd())
    for dn in Config._data_nodes.values():
        file, _, lines = _locations.get(("DATA_NODE", dn.id), (None, None, {}))
        for key in ("path", "default_path"):
            value = dn.properties.get(key)
            if not isinstance(value, (str, os.PathLike)):
                continue
            target = os.path.realpath(os.path.join(here, os.fspath(value)))
            if target != here and not target.startswith(here + os.sep):
                issues.append(
                    Issue(
                        "warning",
                        f"DATA_NODE.{dn.id}",
                        key,
                        f"{os.fspath(value)!r} is outside the working directory ({target}); scenarium reads and "
                        "writes it as configured, so check that this configuration comes from someone you trust",
                        file or None,
                        lines.get(key),
                    )
                )
    return issues


def _function_issues() -> list[Issue]:
    from scenarium.config import Config

    issues = []
    for task in Config._tasks.values():
        file, _, lines = _locations.get(("TASK", task.id), (None, None, {}))

        def issue(
            level: str, message: str, key: str = "function", task_id: str = task.id, file=file, lines=lines
        ) -> None:
            issues.append(Issue(level, f"TASK.{task_id}", key, message, file or None, lines.get(key)))

        function = task.function
        if function is None:
            continue  # the document rules report a task without a function
        if isinstance(function, UnresolvedFunction):
            issue("error", f"cannot import {function.path}: {function.error}")
            continue
        if not callable(function):
            issue("error", f"{function!r} is not callable")
            continue
        module = getattr(function, "__module__", None) or ""
        name = getattr(function, "__qualname__", repr(function))
        if module.partition(".")[0] in _SYSTEM_MODULES or (module == "builtins" and name in _SYSTEM_BUILTINS):
            issue(
                "warning",
                f"runs {module}.{name}, which can act on the system (files, processes, code); "
                "check that this configuration comes from someone you trust",
            )
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            continue  # a builtin without a signature: nothing to compare
        params = list(signature.parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = [p for p in positional if p.default is p.empty]
        takes_varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
        n = len(task.input_configs)
        name = getattr(function, "__qualname__", repr(function))
        if n < len(required) or (n > len(positional) and not takes_varargs):
            expected = (
                f"{len(required)}" if len(required) == len(positional) else f"{len(required)} to {len(positional)}"
            )
            issue(
                "error",
                f"{name} takes {expected} positional parameters ({', '.join(p.name for p in positional)}), "
                f"but the task has {n} inputs",
                "inputs",
            )
            continue
        names = [p.name for p in positional]
        for i, (dn, param) in enumerate(zip(task.input_configs, task._input_params)):
            if param is None and i < len(names) and dn.id in names and dn.id != names[i]:
                issue(
                    "warning",
                    f"input {i + 1} is data node {dn.id!r}, but it is passed as parameter {names[i]!r} "
                    f"(inputs bind by position); {name} has a parameter named {dn.id!r} at position "
                    f"{names.index(dn.id) + 1}: reorder the inputs, or bind them by name",
                    "inputs",
                )
    return issues


def raise_if_invalid(scenario: ScenarioConfig) -> None:
    """Raises InvalidConfig when the configuration has errors (checked once per change)."""
    from scenarium.config import Config

    if Config._checked:
        return
    errors = [i for i in check() if i.level == "error"]
    if errors:
        listing = "\n".join(f"  {i}" for i in errors)
        raise InvalidConfig(
            f"scenario config {scenario.id!r} cannot be created: the configuration has "
            f"{len(errors)} error(s):\n{listing}",
            issues=errors,
        )
    Config._checked = True
