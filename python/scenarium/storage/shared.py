"""What every storage type's writer and reader needs: a node's properties with
``ENV[VAR]`` values read, its file path, and an I/O failure told from a bug.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

from scenarium._utils import templates as _templates
from scenarium.exceptions import (
    InvalidArgument,
    NotSerializable,
    StorageError,
)


def properties(dn: Any) -> dict[str, Any]:
    return _templates.resolved(dict(dn.properties))


def file_path(props: dict[str, Any]) -> str | None:
    path = props.get("path") or props.get("default_path")
    return None if path is None else str(path)


def storing_failed(error: Exception, dn: Any, what: str, detail: str) -> Exception:
    """What a failed write raises: StorageError when the disk refused, else
    NotSerializable with the library's message; nothing was recorded either way."""
    where = f"data node {dn.config_id!r} ({dn.id})"
    if is_io_failure(error):
        return StorageError(f"cannot store the {what} of {where}: {error}; its earlier versions are untouched")
    return NotSerializable(f"{where}: {detail}: {type(error).__name__}: {error}; its earlier versions are untouched")


def is_io_failure(error: BaseException) -> bool:
    """Whether a writer's exception comes from the file system (full disk, quota,
    permissions): an OSError in its chain, or polars' Rust I/O error text."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) or "(os error " in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def function(ref: Any, key: str, where: str) -> Callable[..., Any]:
    """A configured function: the callable itself, or its stored reference imported."""
    if callable(ref):
        return ref
    if isinstance(ref, dict) and ref.get("kind") == "python":
        target: Any = importlib.import_module(ref["module"])
        for part in ref["qualname"].split("."):
            target = getattr(target, part)
        return target
    raise InvalidArgument(f"{where}: {key} must be a function, got {ref!r}")
