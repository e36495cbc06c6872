"""``Config.check()``: the core's validator over the configuration model
(src/config/validate.rs), and the rules only Python can apply: functions that
cannot be imported, signatures that do not fit a task's inputs, functions and
paths that act outside the project.

Example:
    >>> from scenarium.config import check as _config_check
    >>> from scenarium.config.model import ConfigState, DataNodeConfig
    >>> state = ConfigState(data_nodes={"a": DataNodeConfig("a", path="../elsewhere.csv")})
    >>> [i.key for i in _config_check.check(state)]
    ['path']
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from typing import Any, Iterable

from scenarium._core import validate_config
from scenarium._utils import templates as _templates
from scenarium.config.document import document
from scenarium.config.model import (
    ConfigState,
    ScenarioConfig,
    UnresolvedFunction,
    refuse_unpartitionable,
    unknown_encoding,
)
from scenarium.display import html as _html
from scenarium.exceptions import ConfigError, InvalidConfig, MissingEnvVariableError


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


class Issues(list):
    """The list ``Config.check()`` returns, readable as a whole in a terminal or notebook."""

    def __repr__(self) -> str:
        if not self:
            return "Config.check(): no issues"
        errors = sum(1 for i in self if i.level == "error")
        return f"Config.check(): {errors} errors, {len(self) - errors} warnings\n" + "\n".join(map(str, self))

    def _repr_html_(self) -> str:
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


def check(state: ConfigState) -> Issues:
    """Every issue of the configuration, errors first."""
    doc = document(state, strict=False)
    issues = [Issue(**i) for i in validate_config(doc)]
    issues += _function_issues(state) + _path_issues(state) + _exposed_type_issues(state)
    issues += store_path_issues(state, state.data_nodes.values()) + _encoding_issues(state) + _timeout_issues(state)
    issues += _partitioned_issues(state)
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


def _path_issues(state: ConfigState) -> list[Issue]:
    """Data node paths that are folders where one file is read and written, and paths that
    leave the working directory (absolute, or through ``..``): a configuration file
    from elsewhere could read or overwrite any file."""
    issues = []
    here = os.path.realpath(os.getcwd())
    for dn in state.data_nodes.values():
        file, _, lines = state.locations.get(("DATA_NODE", dn.id), (None, None, {}))
        for key in ("path", "default_path"):
            value = dn.properties.get(key)
            # A value that is no path is the validator's to name.
            if not isinstance(value, (str, os.PathLike)) or "\x00" in os.fsdecode(value):
                continue
            target = os.path.realpath(os.path.join(here, os.fspath(value)))
            reads_parts = dn.storage_type == "csv" and dn.properties.get("partitioned") is True
            if os.path.isdir(target) and dn.storage_type not in ("generic", "parquet") and not reads_parts:
                issues.append(
                    Issue(
                        "error",
                        f"DATA_NODE.{dn.id}",
                        key,
                        f"{os.fspath(value)!r} is a folder: a {dn.storage_type} data node reads and writes one file "
                        "(only a parquet node reads a folder, as one dataset; partitioned=True reads "
                        "each file of a folder as a partition)",
                        file or None,
                        lines.get(key),
                    )
                )
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


def _written_paths(dn: Any) -> list[tuple[str, str]]:
    """(key, path) of every file a data node's configuration makes scenarium read or write."""
    props = {}
    for key, value in dn.properties.items():
        try:
            props[key] = _templates.resolve_env(value)  # ENV[...] read as it will be when used
        except MissingEnvVariableError:
            props[key] = None  # said when used; nothing to check meanwhile
    found = [
        (key, os.fspath(props[key]))
        for key in ("path", "default_path")
        if isinstance(props.get(key), (str, os.PathLike))
    ]
    if dn.storage_type in ("sql", "sql_table") and str(props.get("db_engine", "")).lower() == "sqlite":
        folder = str(props.get("sqlite_folder_path") or "")
        file = str(props.get("db_name", "")) + str(props.get("sqlite_file_extension") or ".db")
        found.append(
            ("sqlite_folder_path" if props.get("sqlite_folder_path") else "db_name", os.path.join(folder, file))
        )
    return [(key, path) for key, path in found if path and "\x00" not in path]


def store_path_issues(state: ConfigState, nodes: Iterable[Any]) -> list[Issue]:
    """Configured paths that resolve into the storage folder (its registry, its objects,
    anything under it): writing them would destroy what the store holds."""
    store = os.path.realpath(state.core.storage_folder)
    issues = []
    for dn in nodes:
        file, _, lines = state.locations.get(("DATA_NODE", dn.id), (None, None, {}))
        for key, path in _written_paths(dn):
            target = os.path.realpath(path)
            if target == store or target.startswith(store.rstrip(os.sep) + os.sep):
                message = (
                    f"{path!r} resolves into the storage folder ({store}): scenarium would overwrite what the "
                    "store holds (its registry, stored values); configure a path outside it"
                )
                issues.append(Issue("error", f"DATA_NODE.{dn.id}", key, message, file or None, lines.get(key)))
    return issues


def refuse_store_paths(state: ConfigState, nodes: Iterable[Any]) -> None:
    """Raises ConfigError naming the first data node among ``nodes`` whose path resolves into
    the storage folder (what ``configure_*`` calls, so that it is said where it is written)."""
    for issue in store_path_issues(state, nodes):
        raise ConfigError(f"data node {issue.section.partition('.')[2]!r}: {issue.key} {issue.message}")


def refuse_bad_properties(state: ConfigState, node: Any) -> None:
    """Raises ConfigError naming a property of ``node`` whose value is of a type it cannot
    hold (a ``default_path`` of 5, a ``has_header`` of "no", a negative validity period):
    the validator's rules, applied where the mistake is written. Rules that need the whole
    configuration (references, required properties) wait for ``check()``."""
    alone = ConfigState(core=state.core, data_nodes={node.id: node})
    section = f"DATA_NODE.{node.id}"
    for issue in validate_config(document(alone, strict=False)):
        key = issue.get("key")
        # Type rules say "<key> must be ...": the ones that hold for a node on its own.
        if issue["level"] == "error" and issue["section"] == section and key and issue["message"].startswith(key):
            raise ConfigError(f"data node {node.id!r}: {issue['message']}")


def _timeout_issues(state: ConfigState) -> list[Issue]:
    """A timeout in threads interrupts the task's Python code only: one blocked in C (a
    lock, a socket, a long sleep) stops when the call returns, and the submission waits
    for it. Only a worker process can be killed (an interrupt left pending on a blocked
    thread would stall every other thread of CPython 3.11 instead)."""
    if state.job.mode != "development":
        return []
    issues = []
    for task in state.tasks.values():
        if task.properties.get("timeout") is None:
            continue
        file, _, lines = state.locations.get(("TASK", task.id), (None, None, {}))
        message = (
            "in development mode the timeout interrupts the task's Python code, but not a call blocked outside "
            "Python (a lock, a socket, time.sleep), which the submission waits for; "
            'configure_job_executions(mode="standalone") runs it in a worker process that is killed at the timeout'
        )
        issues.append(Issue("warning", f"TASK.{task.id}", "timeout", message, file or None, lines.get("timeout")))
    return issues


def _partitioned_issues(state: ConfigState) -> list[Issue]:
    """``partitioned = true`` (from a TOML file: configure_task refuses it at once) on a
    task that cannot store its output in partitions."""
    issues = []
    for task in state.tasks.values():
        if task.properties.get("partitioned") is not True or task.function is None:
            continue
        try:
            refuse_unpartitionable(task.id, task.function)
        except ConfigError as e:
            file, _, lines = state.locations.get(("TASK", task.id), (None, None, {}))
            issues.append(
                Issue("error", f"TASK.{task.id}", "partitioned", str(e), file or None, lines.get("partitioned"))
            )
    return issues


def _encoding_issues(state: ConfigState) -> list[Issue]:
    """Encodings Python does not know (a file's mistake would fail only when written)."""
    issues = []
    for dn in state.data_nodes.values():
        encoding = unknown_encoding(dn.properties)
        if encoding is not None:
            file, _, lines = state.locations.get(("DATA_NODE", dn.id), (None, None, {}))
            message = f"encoding {encoding!r} is not an encoding Python knows"
            issues.append(
                Issue("error", f"DATA_NODE.{dn.id}", "encoding", message, file or None, lines.get("encoding"))
            )
    return issues


def _exposed_type_issues(state: ConfigState) -> list[Issue]:
    """A class as exposed_type is found by name wherever the node is read (another
    process, a worker): one defined inside a function or in __main__ cannot be."""
    issues = []
    for dn in state.data_nodes.values():
        cls = dn.properties.get("exposed_type")
        if not inspect.isclass(cls):
            continue
        if "<locals>" in cls.__qualname__ or cls.__module__ == "__main__":
            file, _, lines = state.locations.get(("DATA_NODE", dn.id), (None, None, {}))
            message = (
                f"exposed_type {cls.__qualname__} cannot be found by name (it is defined inside a function or in "
                "__main__); define it at module level in a module"
            )
            issues.append(
                Issue("error", f"DATA_NODE.{dn.id}", "exposed_type", message, file or None, lines.get("exposed_type"))
            )
    return issues


def _function_issues(state: ConfigState) -> list[Issue]:
    issues = []
    for task in state.tasks.values():
        file, _, lines = state.locations.get(("TASK", task.id), (None, None, {}))

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


def raise_if_invalid(state: ConfigState, scenario: ScenarioConfig) -> None:
    """Raises InvalidConfig when the configuration has errors (checked once per change)."""
    if state.checked:
        return
    errors = [i for i in check(state) if i.level == "error"]
    if errors:
        listing = "\n".join(f"  {i}" for i in errors)
        raise InvalidConfig(
            f"scenario config {scenario.id!r} cannot be created: the configuration has "
            f"{len(errors)} error(s):\n{listing}",
            issues=errors,
        )
    state.checked = True
