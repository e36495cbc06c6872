"""Versions of data nodes kept in the user's systems (sql, sql_table, generic):
the source's content taken in as a version when it changed, and versions written
out to the source (``storage.external`` does the reading and writing).

Example:
    >>> from scenarium.run import external_sync as _external_sync
    >>> _external_sync.is_external(scenario.payment_threshold._record)
    False
"""

from __future__ import annotations

from typing import Any

from scenarium._core import DataNodeRecord, Engine, JobRecord, TaskRecord
from scenarium._utils import templates as _templates
from scenarium.config import Config
from scenarium.storage import codec as _codec
from scenarium.storage import external as _external

# The writer of a version found in the source (the same name file-backed nodes use).
EXTERNAL_WRITER = "external"


def is_external(record: DataNodeRecord) -> bool:
    return _external.is_external(record.storage_type)


def where(record: DataNodeRecord) -> str:
    return f"data node {record.config_id!r} ({record.id})"


def properties(record: DataNodeRecord) -> dict[str, Any]:
    """The node's properties, with the functions configured in this process (a
    lambda or a closure cannot be found by name; a stored reference is imported)."""
    props = dict(record.properties)
    configured = Config._state.data_nodes.get(record.config_id)
    if configured is not None and configured.storage_type == record.storage_type:
        for key, value in configured.properties.items():
            if callable(value) and not isinstance(value, type):
                props[key] = value
    return _templates.resolved(props)


def take_in(engine: Engine, record: DataNodeRecord, writer: str = EXTERNAL_WRITER, comment: str | None = None) -> None:
    """Reads the source; records its content as a new version when it differs from
    the latest (so tasks reading it re-run exactly when it changed)."""
    value = _external.read(where(record), record.storage_type, properties(record))
    stored = _codec.encode(engine, value, record)
    latest = engine.latest_version(record.id)
    if latest is None or latest.fingerprint != stored.fingerprint:
        engine.write_data_node(record.id, stored, writer, comment)


def write_out(record: DataNodeRecord, value: Any, *, append: bool = False) -> None:
    """Writes ``value`` to the node's source (all of it or none)."""
    _external.write(where(record), record.storage_type, properties(record), value, append=append)


def take_in_inputs(engine: Engine, tasks: list[TaskRecord]) -> None:
    """Before a submission: the external inputs of its tasks, as they are now."""
    seen: set[str] = set()
    for task in tasks:
        for _, dn_id in task.inputs:
            if dn_id in seen:
                continue
            seen.add(dn_id)
            record = engine.data_node(dn_id)
            if is_external(record):
                take_in(engine, record)


def write_out_skipped(engine: Engine, jobs: list[JobRecord]) -> None:
    """A skipped job's outputs are versions it did not compute now: the sources of
    external ones get the version the scenario now holds, where they differ."""
    for job in jobs:
        if job.status != "SKIPPED":
            continue
        for dn_id, version in job.outputs:
            record = engine.data_node(dn_id)
            if not is_external(record):
                continue
            current = _codec.encode(
                engine, _external.read(where(record), record.storage_type, properties(record)), record
            )
            stored = engine.version(dn_id, version)
            if stored is not None and stored.fingerprint != current.fingerprint:
                write_out(record, _codec.decode(engine, stored.value, record))
