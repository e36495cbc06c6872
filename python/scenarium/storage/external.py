"""Data nodes whose value lives in the user's systems: ``sql_table`` (a table),
``sql`` (a read query and write/append query builders), ``generic`` (the user's
read and write functions), ``s3_object`` and ``mongo_collection``, as Taipy has them.

scenarium keeps every version of such a node as an object in its store, like any
other node; the database or the functions are where the latest value is also read
from and written to. Reading the latest value (and submitting a task that reads the
node) reads the source: content that differs from the latest version is recorded as
a new version written by ``"external"``, so skipping is exact and old versions stay
readable. Writing (by a user or a task) writes the source first and records the
version only when that succeeded (ARCHITECTURE.md, "External data").

Each source has its module: ``sql`` (``sql_table``, ``sql``), ``s3`` (``s3_object``),
``mongo`` (``mongo_collection``), ``generic``; this one chooses and wraps their failures.
"""

from __future__ import annotations

from typing import Any

from scenarium.exceptions import ExternalDataError, InvalidArgument, MissingOptionalDependency
from scenarium.storage import generic as _generic
from scenarium.storage import mongo as _mongo
from scenarium.storage import s3 as _s3
from scenarium.storage import sql as _sql

EXTERNAL_STORAGE_TYPES = frozenset({"sql_table", "sql", "generic", "s3_object", "mongo_collection"})


def is_external(storage_type: str) -> bool:
    return storage_type in EXTERNAL_STORAGE_TYPES


def read(where: str, storage_type: str, props: dict[str, Any]) -> Any:
    """The source's current value; ``where`` names the data node in errors."""
    try:
        if storage_type == "s3_object":
            return _s3.read(props)
        if storage_type == "mongo_collection":
            return _mongo.read(props, where)
        if storage_type == "generic":
            return _generic.read(where, props)
        return _sql.read(storage_type, props)
    except (ExternalDataError, MissingOptionalDependency, InvalidArgument):
        raise
    except Exception as e:  # noqa: BLE001  (the user's database or function: any failure is theirs)
        raise ExternalDataError(f"{where}: reading its {storage_type} source failed: {type(e).__name__}: {e}") from e


def write(where: str, storage_type: str, props: dict[str, Any], value: Any, *, append: bool = False) -> None:
    """Replaces (or appends to) the source's content, all of it or none."""
    try:
        if storage_type == "mongo_collection":
            _mongo.write(props, value, append)
        elif storage_type == "s3_object":
            _s3.write(where, props, value, append)
        elif storage_type == "generic":
            _generic.write(where, props, value, append)
        else:
            _sql.write(where, storage_type, props, value, append)
    except (ExternalDataError, MissingOptionalDependency, InvalidArgument):
        raise
    except Exception as e:  # noqa: BLE001
        verb = "appending to" if append else "writing"
        raise ExternalDataError(f"{where}: {verb} its {storage_type} source failed: {type(e).__name__}: {e}") from e
