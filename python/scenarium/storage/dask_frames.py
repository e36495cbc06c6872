"""Stored tables as Dask DataFrames, for a task whose parameter is annotated
``dask.dataframe.DataFrame``: partitions read from the stored file on demand (Parquet
row groups, Arrow IPC record batches or row ranges of a memory-mapped file), so a
table larger than memory is never read into one process.

Example:
    >>> import dask.dataframe as dd
    >>> def total(sales: dd.DataFrame) -> float:
    ...     return float(sales["amount"].sum().compute())
"""

from __future__ import annotations

import json
import os
from typing import Any

from scenarium._core import StoredValue
from scenarium.storage import codec as _codec
from scenarium.storage import exposed as _exposed
from scenarium.storage import shared as _shared

# Rows per partition when one IPC record batch holds the whole table (a pandas frame's file).
ROWS_PER_PARTITION = 1_000_000


def wants_dask(annotation: Any) -> bool:
    """Whether a parameter's annotation is a Dask DataFrame (the class, or its name as text)."""
    if isinstance(annotation, str):
        return annotation.strip("'\"").split("[")[0] in ("dd.DataFrame", "dask.dataframe.DataFrame")
    module = getattr(annotation, "__module__", "") or ""
    return module.startswith("dask") and getattr(annotation, "__name__", "") == "DataFrame"


def as_dask(store: Any, stored: StoredValue, dn: Any) -> Any:
    """The stored value as a Dask DataFrame over its file; a value that is not a
    table comes as it is (a frame in memory becomes a one-partition Dask DataFrame)."""
    import dask.dataframe as dd  # optional dependency (scenarium[dask])

    if stored.kind == "recipe":
        stored = store.materialize(stored, dn.id)
    if stored.kind == "parts":
        fmt = stored.format or ""
        if fmt.startswith("arrow/"):
            return _ipc_frame(_codec.part_paths(store, stored, dn))
        if fmt.startswith("parquet/"):
            return dd.read_parquet(_codec.part_paths(store, stored, dn), split_row_groups=True)
        # Other formats (a folder's csv files, pickles): each partition read as the node reads
        # a file, one Dask partition each.
        pieces = json.loads(stored.json or "{}").get("parts") or []
        return dd.concat([as_dask(store, _part_value(p, fmt), dn) for p in pieces]) if pieces else dd.from_dict({}, 1)
    fmt = stored.format or ""
    container = fmt.split("/")[0]
    if stored.kind == "object" and container == "parquet-folder":
        return dd.read_parquet(
            os.fspath(store.folder_path(stored.hash or "", stored.fingerprint)), split_row_groups=True
        )
    if stored.kind == "object" and container in ("parquet", "arrow", "csv"):
        path = os.fspath(store.object_path(stored.hash or ""))
        if container == "parquet":
            return dd.read_parquet(path, split_row_groups=True)  # a partition per row group
        if container == "arrow":
            return _ipc_frame([path])
        props = _shared.properties(dn)
        if str(props.get("encoding") or "utf-8").replace("-", "").lower() == "utf8":
            return dd.read_csv(path, header=0 if props.get("has_header", True) is not False else None)
    value = _codec.decode(store, stored, dn, False)
    kind = _exposed.frame_kind(value)
    if kind == "polars":
        value = value.to_pandas()
    return dd.from_pandas(value, npartitions=1) if kind is not None else value


def _ipc_frame(paths: list[str]) -> Any:
    """Arrow IPC files (one, or a partitioned value's) as Dask partitions: their
    record batches, or row ranges of one batch."""
    import dask.dataframe as dd  # optional dependency (scenarium[dask])
    import pyarrow as pa  # with dask's dataframe, always there

    parts = []
    meta = None
    for path in paths:
        with pa.memory_map(path) as source:
            reader = pa.ipc.open_file(source)
            meta = reader.schema.empty_table().to_pandas() if meta is None else meta
            for batch in range(reader.num_record_batches):
                rows = reader.get_batch(batch).num_rows
                parts += [
                    (path, batch, start, ROWS_PER_PARTITION) for start in range(0, max(rows, 1), ROWS_PER_PARTITION)
                ]
    return dd.from_map(_ipc_part, parts, meta=meta, enforce_metadata=False)


def _ipc_part(part: tuple[str, int, int, int]) -> Any:
    """One partition: rows [start, start + length) of a record batch, read through a
    memory map (only those pages are touched)."""
    import pyarrow as pa  # with dask's dataframe, always there

    path, batch, start, length = part
    with pa.memory_map(path) as source:
        return pa.ipc.open_file(source).get_batch(batch).slice(start, length).to_pandas()


def _part_value(part: dict[str, Any], fmt: str) -> StoredValue:
    return StoredValue("object", part["hash"], hash=part["hash"], format=fmt, size=part["size"])
