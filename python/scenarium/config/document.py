"""The configuration objects as the core's configuration model (a "document":
sections of typed entries, with the file lines loaded sections came from). The
validator (``_core.validate_config``) checks it and the TOML writer writes it;
src/config/document.rs describes its shape.

Example:
    >>> from scenarium.config.document import document
    >>> from scenarium.config.model import ConfigState, DataNodeConfig
    >>> state = ConfigState(data_nodes={"alpha": DataNodeConfig("alpha", default_data=0.5)})
    >>> [s["kind"] for s in document(state)["sections"]]
    ['TAIPY', 'JOB', 'CORE', 'DATA_NODE']
"""

from __future__ import annotations

import inspect
import math
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from scenarium._utils import arguments as _arguments
from scenarium.config.model import (
    ConfigState,
    DataNodeConfig,
    Frequency,
    Scope,
    TaskConfig,
    UnresolvedFunction,
)
from scenarium.exceptions import ConfigError

if TYPE_CHECKING:  # the payload types exist only in the stub
    from scenarium._core import ConfigDocument, ConfigEntry, ConfigSection, TypedValue


def _typed(value: Any, where: str, strict: bool = True) -> TypedValue:
    """The typed document value of ``value``; with ``strict`` False (checking, not
    writing), values a file cannot hold stand in as their repr instead of raising."""
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            return {"type": "big_int", "value": str(value)}
        return {"type": "int", "value": value}
    if isinstance(value, float):
        # JSON has no inf or nan: the core reads them as strings.
        return {"type": "float", "value": value if math.isfinite(value) else repr(value)}
    if isinstance(value, os.PathLike):
        value = os.fsdecode(value)
    if isinstance(value, str):
        if _arguments.utf8(value):
            return {"type": "str", "value": value}
        if strict:
            raise ConfigError(f"{where}: {value!r} is not text a file can hold (a lone surrogate)")
        return {"type": "opaque", "value": "str that is not UTF-8"}
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
        # Checked, never written: the validator names a property of the wrong type by it.
        return {"type": "opaque", "value": type(value).__qualname__}
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
    if not module or "<" in qualname:
        raise ConfigError(
            f"{where}: function {qualname or function!r} cannot be written to a TOML file: it must have a name "
            f"found at module level (not a lambda or a function defined inside another)"
        )
    # A script's own functions are written as Taipy writes them ("__main__.fn"): the
    # script that loads the file defines them again.
    return f"{module}.{qualname}"


def _entry(key: str, value: Any, where: str, line: int | None, strict: bool) -> ConfigEntry:
    typed = _typed(value, f"{where} {key}", strict)
    if not _arguments.utf8(key):
        if strict:
            raise ConfigError(f"{where}: key {key!r} is not text a file can hold (a lone surrogate)")
        key = key.encode("utf-8", "backslashreplace").decode("utf-8")
    return {"key": key, "value": typed, "line": line, "column": None, "template": None}


def _section(state: ConfigState, kind: str, id: str | None, fields: dict[str, Any], strict: bool) -> ConfigSection:
    file, line, lines = state.locations.get((kind, id), (None, None, {}))
    name = f"{kind}.{id}" if id else kind
    entries = [_entry(k, v, f"[{name}]", lines.get(k), strict) for k, v in fields.items() if v is not None]
    templates = state.templates.get((kind, id), {})
    for entry in entries:
        template, resolved = templates.get(entry["key"], (None, None))
        if template is not None and entry["value"] == resolved:
            entry["template"] = template  # unchanged since loaded: write the template, not the secret
    return {"kind": kind, "id": id, "line": line, "entries": entries}


def document(state: ConfigState, strict: bool = True) -> ConfigDocument:
    """The configuration as the core's model: what export writes (``strict``: every
    value must be writable) and what the validator checks."""
    sections: list[ConfigSection] = [_section(state, "TAIPY", None, dict(state.global_app._properties), strict)]
    job = state.job
    sections.append(
        _section(
            state, "JOB", None, {"mode": job.mode, "max_nb_of_workers": job.max_nb_of_workers, **job.properties}, strict
        )
    )
    core = state.core
    sections.append(_section(state, "CORE", None, {"storage_folder": core.storage_folder, **core.properties}, strict))
    default = [state.default_data_node] if state.default_data_node is not None else []
    for dn in [*default, *state.data_nodes.values()]:
        fields: dict[str, Any] = {"storage_type": dn.storage_type}
        if dn.scope is not Scope.SCENARIO or default:  # explicit where a default scope could apply
            fields["scope"] = dn.scope
        fields["validity_period"] = dn.validity_period
        sections.append(_section(state, "DATA_NODE", dn.id, {**fields, **dn.properties}, strict))
    for task in state.tasks.values():
        fields = {
            "function": task.function,
            "inputs": task.input_configs,
            "outputs": task.output_configs,
            "skippable": task.skippable,
        }
        if any(task._input_params):
            fields["input_params"] = [p or "" for p in task._input_params]
        sections.append(_section(state, "TASK", task.id, {**fields, **task.properties}, strict))
    for scenario in state.scenarios.values():
        props = dict(scenario.properties)
        fields = {
            "tasks": scenario.task_configs,
            "additional_data_nodes": scenario.additional_data_node_configs,
            "frequency": scenario.frequency,
            "comparators": scenario.comparators,
            "sequences": {k: [_SectionRef(t) for t in ts] for k, ts in props.pop("sequences", {}).items()},
        }
        sections.append(_section(state, "SCENARIO", scenario.id, {**fields, **props}, strict))
    files = {f for f, _, _ in state.locations.values() if f}
    return {"file": files.pop() if len(files) == 1 else None, "sections": sections + state.foreign_sections}
