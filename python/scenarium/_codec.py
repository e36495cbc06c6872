"""How Python values become stored values and back.

Scalars are stored inline in the registry; polars and pandas DataFrames as
Parquet objects (a pandas frame comes back as pandas); anything else is
pickled. Files are written to a temporary path inside the object store and
handed to the core, which hashes, fsyncs and renames them into place.
"""

from __future__ import annotations

import contextlib
import copy
import enum
import json
import math
import os
import pickle
import shutil
import sys
import uuid
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

from scenarium import _code_identity, _core, _external, _memory, _templates
from scenarium._json_values import DefaultJSONDecoder, DefaultJSONEncoder
from scenarium.exceptions import (
    InvalidArgument,
    MissingOptionalDependency,
    NoData,
    NotSerializable,
    OutOfMemory,
    StorageError,
    UnstableFingerprintWarning,
)

_INT64 = (-(2**63), 2**63 - 1)

# The file format of a DataFrame in a data node of each storage type. A pandas
# frame in a pickle node is an Arrow IPC file: five times faster than Parquet
# both ways (pandas' Parquet encoding is the slow part), as fast as a pickle,
# and not code. polars writes Parquet fast, and Parquet is smaller.
_FRAME_CONTAINER = {("pickle", "pandas"): "arrow", ("pickle", "polars"): "parquet"}

# Values of in_memory data nodes: they live in this process only.
_MEMORY: dict[str, Any] = {}


def _is_inline(value: Any) -> bool:
    if value is None or isinstance(value, (bool, str)):
        return True
    if type(value) is int:
        return _INT64[0] <= value <= _INT64[1]
    if type(value) is float:
        return math.isfinite(value)
    return False


def is_lazy_frame(value: Any) -> bool:
    polars = sys.modules.get("polars")
    return polars is not None and isinstance(value, polars.LazyFrame)


def is_dask_frame(value: Any) -> bool:
    dask = sys.modules.get("dask.dataframe")
    return dask is not None and isinstance(value, dask.DataFrame)


def lazy_by_default(dn: Any) -> bool:
    """Whether the node's ``exposed_type`` asks for LazyFrames (Taipy's spelling)."""
    return str(_properties(dn).get("exposed_type", "")) in ("polars.LazyFrame", "LazyFrame")


def _frame_kind(value: Any) -> str | None:
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(value, polars.DataFrame):
        return "polars"
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return "pandas"
    return None


def json_safe(value: Any) -> Any:
    """A JSON-compatible form of a configuration property."""
    if _is_inline(value):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((json_safe(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if type(value) is float:  # inf and nan: JSON has no such numbers
        return {"float": repr(value)}
    if type(value) is int:  # beyond 64 bits
        return {"int": str(value)}
    if callable(value):
        return _code_identity.function_ref(value)
    # No repr: it may hold a memory address or be truncated. The same value gives
    # the same text in every process.
    return {
        "type": f"{type(value).__module__}.{type(value).__qualname__}",
        "fingerprint": _code_identity.value_digest(value),
    }


def value_fingerprint(value: Any) -> str:
    """A fingerprint of a value that is the same in every process (a configuration
    default, an in_memory value), so a changed default is a changed config."""
    if _is_inline(value):
        return "inline:" + json.dumps(value)
    return _code_identity.value_digest(value)


def _properties(dn: Any) -> dict[str, Any]:
    return _templates.resolved(dict(dn.properties))


def _file_path(props: dict[str, Any]) -> str | None:
    path = props.get("path") or props.get("default_path")
    return None if path is None else str(path)


def _isolated(value: Any, dn: Any) -> Any:
    """A copy nobody else holds: a stored in_memory version must not change when the
    task that wrote it, a task reading it or the caller mutates the object they have
    (``df["b"] = ...``, ``lst.append(...)``). Immutable values are shared as they are."""
    if _code_identity.frozen(value):
        return value
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(value, (polars.DataFrame, polars.Series)):
        return value.clone()  # copy-on-write buffers: cheap
    try:
        return copy.deepcopy(value)
    except Exception as e:  # noqa: BLE001  (any object may refuse to be copied)
        where = f"data node {dn.config_id!r} ({dn.id})" if dn is not None else "an in_memory value"
        raise NotSerializable(
            f"{where}: a {type(value).__qualname__} cannot be copied ({type(e).__name__}: {e}); in_memory values "
            "are copied so that no task or caller can change a stored version"
        ) from e


def _path_candidates(value: Any, found: dict[str, None], depth: int = 0) -> None:
    """Strings inside lists, tuples, sets and dicts (keys too) that could be paths:
    all of them (a file left out would be a change unseen; the core's stat cache
    makes thousands cheap)."""
    if depth > 100:
        return
    if isinstance(value, str):
        if value and len(value) < 4096 and "\0" not in value:
            found.setdefault(value, None)
    elif isinstance(value, os.PathLike):
        _path_candidates(os.fspath(value), found, depth)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value if not isinstance(value, (set, frozenset)) else sorted(value, key=repr):
            _path_candidates(item, found, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _path_candidates(key, found, depth + 1)
            _path_candidates(item, found, depth + 1)


def encode(engine: _core.Engine, value: Any, dn: Any) -> _core.StoredValue:
    """Stores ``value`` for data node record ``dn``; raises NotSerializable naming the node.
    The strings a container value holds are recorded with it: a task reading a list
    or dict of paths re-runs when one of those files changes."""
    try:
        stored = _encode(engine, value, dn)
    except MemoryError as e:
        raise OutOfMemory(
            f"data node {dn.config_id!r} ({dn.id}): not enough memory to store a {type(value).__qualname__}; "
            f"nothing was stored and its earlier versions are untouched{f': {e}' if str(e) else ''}"
        ) from e
    if isinstance(value, (list, tuple, set, frozenset, dict, os.PathLike)):
        candidates: dict[str, None] = {}
        _path_candidates(value, candidates)
        if candidates:
            stored = stored.with_paths(list(candidates))
    return stored


def _encode(engine: _core.Engine, value: Any, dn: Any) -> _core.StoredValue:
    # A database's or function's value is kept as a pickle node's would be.
    storage = "pickle" if _external.is_external(dn.storage_type) else dn.storage_type
    props = _properties(dn)
    if storage == "in_memory":
        token = uuid.uuid4().hex
        _MEMORY[token] = _isolated(value, dn)
        # By content, so that a task downstream of an unchanged value is skipped;
        # a value with no canonical encoding never matches another.
        fingerprint = value_fingerprint(value)
        if fingerprint.startswith("opaque:"):
            fingerprint += ":" + token
        return engine.store_memory(token, fingerprint)
    # A file-backed node's version is an object like any other; the core copies
    # it to the node's path once the version is committed.
    has_file = _file_path(props) is not None and storage in ("csv", "parquet", "json", "excel", "pickle")
    if storage == "parquet" and writes_folder(props):
        return _write_dataset(engine, value, props, dn)
    if is_lazy_frame(value):
        if storage in ("pickle", "parquet", "csv"):
            return _sink(engine, value, storage, props, dn)
        value = value.collect()  # json, excel: written whole anyway
    if is_dask_frame(value) and storage in ("pickle", "parquet"):
        return _write_partitions(engine, value, dn)
    if storage in ("csv", "parquet") and _frame_kind(value) is None:
        value = as_table(value, dn)
    kind = _frame_kind(value)
    # A pickle node with a path holds the value's pickle there, frames too, as Taipy writes it.
    as_frame = not (storage == "pickle" and has_file)
    if kind is None and storage in ("pickle", "parquet") and _is_inline(value) and not has_file:
        return engine.store_inline(json.dumps(value))
    tmp = engine.new_tmp_path(".part")
    try:
        if storage == "json":
            fmt = "json"
            _write_json(value, tmp, dn)
        elif storage == "excel":
            _write_excel(value, tmp, props, dn)
            # An xlsx file carries the time it was saved: equal values are named by content.
            digest = value_fingerprint(value)
            excel = "excel/polars" if str(props.get("exposed_type", "")).startswith("polars") else "excel/pandas"
            if digest.startswith("opaque:"):
                return engine.store_file(str(tmp), excel)
            return engine.store_file(str(tmp), excel, f"canonical:{digest}")
        elif kind is not None and as_frame and storage == "pickle" and not _exact_in_columns(value, kind):
            # Arrow would change it (object or complex cells, a DatetimeIndex's freq...): pickled
            # as it is, as Taipy does. polars cannot pickle its object columns: those go as lists.
            fmt = "pickle/polars" if kind == "polars" else "pickle"
            _memory.check_write_fits(value, kind)
            _write_pickle(_polars_parts(value) if kind == "polars" else value, tmp, dn)
        elif kind is not None and as_frame and storage in ("pickle", "parquet", "csv"):
            fmt = f"{_FRAME_CONTAINER.get((storage, kind), storage)}/{kind}"
            _memory.check_write_fits(value, kind)
            with _written_back(value, kind, tmp):
                _write_frame(value, kind, tmp, fmt.split("/")[0], dn)
        elif storage in ("parquet", "csv"):
            raise NotSerializable(
                f"data node {dn.config_id!r} ({dn.id}) has storage_type {storage!r} and takes a "
                f"polars or pandas DataFrame, not a {type(value).__qualname__}"
            )
        else:
            fmt = "pickle"
            _write_pickle(value, tmp, dn)
            if _has_unstable_pickle(value):
                # A set's pickle follows the hash seed; its canonical digest does not.
                digest = value_fingerprint(value)
                if not digest.startswith("opaque:"):
                    return engine.store_file(str(tmp), fmt, f"canonical:{digest}")
                warnings.warn(
                    f"data node {dn.config_id!r} holds a {type(value).__qualname__} containing a set: its pickle "
                    "depends on the process's hash seed, so it cannot identify the value across processes; tasks "
                    "reading it will always run (store a sorted list or a tuple to make them skippable)",
                    UnstableFingerprintWarning,
                    stacklevel=3,
                )
                return engine.store_file(str(tmp), fmt, f"unstable:{uuid.uuid4().hex}")
        return engine.store_file(str(tmp), fmt)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _exact_in_columns(frame: Any, kind: str) -> bool:
    """Whether ``frame`` comes back from its columnar file (Arrow for pandas, Parquet
    for polars) exactly as it is. Decided on its dtypes, labels and index only (no
    scan of the data); anything not known to round-trip is pickled instead."""
    if kind == "polars":
        import polars as pl  # on first use: keeps `import scenarium` fast

        return not any(_polars_holds_objects(dtype, pl) for dtype in frame.schema.values())
    import pandas as pd  # optional dependency (scenarium[pandas])

    columns = frame.columns
    labels_plain = type(columns) is pd.Index and all(type(c) is str for c in columns)
    if not labels_plain or not columns.is_unique or columns.name is not None:
        return False
    if not all(_pandas_dtype_exact(dtype, pd) for dtype in frame.dtypes):
        return False
    index = frame.index
    if isinstance(index, pd.RangeIndex):
        return index.name is None or isinstance(index.name, str)
    if isinstance(index, pd.MultiIndex) or not (index.name is None or isinstance(index.name, str)):
        return False
    if getattr(index, "freq", None) is not None:
        return False  # a DatetimeIndex's freq is not kept by Arrow
    return _pandas_dtype_exact(index.dtype, pd)


def _pandas_dtype_exact(dtype: Any, pd: Any) -> bool:
    """Dtypes Arrow stores and pandas restores as they were."""
    if isinstance(dtype, pd.CategoricalDtype):
        return _pandas_dtype_exact(dtype.categories.dtype, pd)
    if isinstance(dtype, (pd.StringDtype, pd.DatetimeTZDtype)):
        return True
    if isinstance(dtype, (pd.BooleanDtype, pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype)):
        return True
    if isinstance(dtype, (pd.UInt8Dtype, pd.UInt16Dtype, pd.UInt32Dtype, pd.UInt64Dtype)):
        return True
    if isinstance(dtype, (pd.Float32Dtype, pd.Float64Dtype)):
        return True
    kind = getattr(dtype, "kind", None)
    import numpy as np  # comes with pandas, optional

    return isinstance(dtype, np.dtype) and kind in ("b", "i", "u", "f", "M", "m") and dtype.itemsize <= 8


def _polars_parts(frame: Any) -> dict[str, Any]:
    """A polars frame with object columns, as something pickle can hold: its other
    columns as Arrow IPC bytes (exact), its object columns as lists."""
    import io  # rarely needed

    import polars as pl  # on first use: keeps `import scenarium` fast

    objects = [name for name, dtype in frame.schema.items() if _polars_holds_objects(dtype, pl)]
    buffer = io.BytesIO()
    frame.drop(objects).write_ipc(buffer)
    return {"order": frame.columns, "ipc": buffer.getvalue(), "objects": {n: frame[n].to_list() for n in objects}}


def _polars_from_parts(parts: dict[str, Any]) -> Any:
    import io  # rarely needed

    import polars as pl  # on first use: keeps `import scenarium` fast

    frame = pl.read_ipc(io.BytesIO(parts["ipc"]))
    columns = [pl.Series(name, values, dtype=pl.Object) for name, values in parts["objects"].items()]
    return frame.with_columns(columns).select(parts["order"])


def _polars_holds_objects(dtype: Any, pl: Any) -> bool:
    if dtype == pl.Object:
        return True
    inner = getattr(dtype, "inner", None)
    if inner is not None:
        return _polars_holds_objects(inner, pl)
    fields = getattr(dtype, "fields", None)
    return any(_polars_holds_objects(f.dtype, pl) for f in fields or ())


def _has_unstable_pickle(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` holds a set or frozenset (whose pickle order follows the
    per-process string hash seed), looking through builtin containers and objects'
    attributes."""
    if isinstance(value, (set, frozenset)):
        return True
    if depth > 20:
        return False
    if isinstance(value, (list, tuple)):
        return any(_has_unstable_pickle(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(_has_unstable_pickle(k, depth + 1) or _has_unstable_pickle(v, depth + 1) for k, v in value.items())
    # An object's attributes (a dataclass's fields, slots) are pickled too.
    if type(value).__module__ == "builtins" or _frame_kind(value) is not None:
        return False
    return any(_has_unstable_pickle(v, depth + 1) for v in _code_identity._instance_state(value).values())


def _write_pickle(value: Any, tmp: str | os.PathLike[str], dn: Any) -> None:
    try:
        data = pickle.dumps(value, protocol=5)
    except Exception as e:
        raise NotSerializable(
            f"cannot store a {type(value).__qualname__} in data node {dn.config_id!r} ({dn.id}): it cannot be "
            f"pickled ({type(e).__name__}: {e}); return plain data, or use storage_type='in_memory'"
        ) from e
    _write_bytes(tmp, data, dn)


def _write_json(value: Any, tmp: str | os.PathLike[str], dn: Any) -> None:
    props = _properties(dn)
    try:
        encoder = _configured_class(props.get("encoder"), dn, "encoder") or DefaultJSONEncoder
        data = json.dumps(value, cls=encoder).encode(props.get("encoding") or "utf-8")
    except (TypeError, ValueError, RecursionError, LookupError) as e:
        raise NotSerializable(
            f"data node {dn.config_id!r} ({dn.id}) has storage_type 'json' and cannot hold "
            f"a {type(value).__qualname__}: {e}"
        ) from e
    _write_bytes(tmp, data, dn)


def _write_bytes(path: str | os.PathLike[str], data: bytes, dn: Any) -> None:
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise StorageError(f"cannot store the value of data node {dn.config_id!r} ({dn.id}) in {path}: {e}") from e


def _write_frame(value: Any, kind: str, path: str | os.PathLike[str], fmt: str, dn: Any) -> None:
    # The options of a csv or parquet data node (Taipy's names); a pickle node has none.
    props = _properties(dn) if dn.storage_type in ("csv", "parquet") else {}
    header = props.get("has_header", True) is not False
    encoding = props.get("encoding") or "utf-8"
    compression = props.get("compression")
    try:
        if fmt == "arrow":
            _write_arrow(value, path)
        elif fmt == "parquet":
            options = {} if compression is None else {"compression": compression}
            if str(compression).lower() == "none":  # Taipy's name for no compression
                options = {"compression": "uncompressed" if kind == "polars" else None}
            if kind == "polars":
                value.write_parquet(path, **options)
            else:  # write_kwargs are pandas' to_parquet arguments, as in Taipy
                options.update(props.get("write_kwargs") or {})
                if "engine" in props:
                    options.setdefault("engine", props["engine"])
                value.to_parquet(path, **options)
        elif kind == "polars" and encoding.replace("-", "").lower() == "utf8":
            value.write_csv(path, include_header=header)  # streamed: not the whole text in memory first
        elif kind == "polars":
            Path(path).write_text(value.write_csv(include_header=header), encoding=encoding, newline="")
        else:
            value.to_csv(path, index=False, header=header, encoding=encoding)
    except BaseException as e:
        if _memory.is_memory_failure(e):
            raise MemoryError(f"{type(e).__name__}: {e}") from e
        if not isinstance(e, Exception):
            raise
        if _is_io_failure(e):
            raise StorageError(
                f"cannot store the {fmt} file of data node {dn.config_id!r} ({dn.id}) in {path}: {e}; "
                "its earlier versions are untouched"
            ) from e
        raise NotSerializable(
            f"data node {dn.config_id!r} ({dn.id}) cannot store this {kind} DataFrame as {fmt}: {type(e).__name__}: {e}"
        ) from e


_DEEPEST_CELL = 500


def _nested_deeper_than(value: Any, limit: int, budget: int = 100_000) -> bool:
    """Whether lists, tuples or dicts in ``value`` nest more than ``limit`` levels
    (looking at ``budget`` containers at most: a wide table is not walked whole)."""
    stack = [(value, 0)]
    while stack and budget > 0:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, (list, tuple)):
            budget -= 1
            stack.extend((child, depth + 1) for child in item[:1000] if isinstance(child, (list, tuple, dict)))
        elif isinstance(item, dict):
            budget -= 1
            stack.extend(
                (child, depth + 1) for child in list(item.values())[:1000] if isinstance(child, (list, tuple, dict))
            )
    return False


def as_table(value: Any, dn: Any, columns: list[str] | None = None) -> Any:
    """Rows as a table, as Taipy writes them to csv and parquet nodes: a list of rows
    (lists, tuples or dicts), a list of values (one row each), a dict of columns, a
    2-D array or a Series (one column, named by the Series, ``0`` when unnamed) become a
    pandas DataFrame (``columns`` names them)."""
    import numpy as np  # comes with pandas, optional
    import pandas as pd  # optional dependency (scenarium[pandas])

    polars = sys.modules.get("polars")
    if polars is not None and isinstance(value, polars.Series):
        value = value.to_frame()
    if _frame_kind(value) == "polars":
        value = value.to_pandas()
    if isinstance(value, pd.Series):
        value = value.to_frame()  # what Taipy's pd.DataFrame(series) makes
    if isinstance(value, list) and value and all(hasattr(row, "__dict__") for row in value):
        value = [vars(row) for row in value]  # instances of a custom exposed type
    if isinstance(value, pd.DataFrame):
        frame = value.copy() if columns else value
    elif isinstance(value, (list, tuple, dict, np.ndarray)):
        if _nested_deeper_than(value, _DEEPEST_CELL):
            # pyarrow converts nested cells by recursing in C: 100,000 levels overflowed
            # its stack and ended the process (a segmentation fault).
            raise NotSerializable(
                f"data node {dn.config_id!r} ({dn.id}) has storage_type {dn.storage_type!r}: its value nests "
                f"lists or dicts more than {_DEEPEST_CELL} levels deep, which no table column holds"
            )
        rows = value if isinstance(value, (list, tuple)) else []
        widths = {len(row) for row in rows if isinstance(row, (list, tuple))}
        if len(widths) > 1:
            # pandas pads short rows with NaN (deprecated: it will raise): that would alter the data.
            raise NotSerializable(
                f"data node {dn.config_id!r} ({dn.id}) has storage_type {dn.storage_type!r}: its rows have "
                f"different lengths ({', '.join(map(str, sorted(widths)))}), so they are not a table"
            )
        try:
            frame = pd.DataFrame(list(value) if isinstance(value, tuple) else value)
        except (ValueError, TypeError) as e:
            # pandas' own words ("If using all scalar values, you must pass an index") name no node.
            raise NotSerializable(
                f"data node {dn.config_id!r} ({dn.id}) has storage_type {dn.storage_type!r}: its value, a "
                f"{type(value).__qualname__}, is not a table (rows, or a dict of columns of equal length): {e}"
            ) from e
    else:
        raise NotSerializable(
            f"data node {dn.config_id!r} ({dn.id}) has storage_type {dn.storage_type!r} and takes a DataFrame, "
            f"rows (a list of lists, tuples or dicts), a dict of columns or an array, not a {type(value).__qualname__}"
        )
    if columns:
        frame.columns = pd.Index(columns)
    return frame


def _storing_failed(error: Exception, dn: Any, what: str, detail: str) -> Exception:
    """What a failed write raises: StorageError when the disk refused, else
    NotSerializable with the library's message; nothing was recorded either way."""
    where = f"data node {dn.config_id!r} ({dn.id})"
    if _is_io_failure(error):
        return StorageError(f"cannot store the {what} of {where}: {error}; its earlier versions are untouched")
    return NotSerializable(f"{where}: {detail}: {type(error).__name__}: {error}; its earlier versions are untouched")


def _written_back(frame: Any, kind: str, tmp: Any) -> Any:
    """A large table reaches the disk while it is written (a thread follows the file and
    starts its writeback every 32 MiB); a small one is left to the final fsync."""
    size = frame.estimated_size() if kind == "polars" else int(frame.memory_usage(index=True).sum())
    return _core.WriteBack(tmp) if size >= 32 << 20 else contextlib.nullcontext()


def _write_partitions(engine: _core.Engine, frame: Any, dn: Any) -> _core.StoredValue:
    """A Dask DataFrame written one partition at a time into one Parquet object (one
    row group each): never computed whole in one process."""
    import pyarrow as pa  # optional dependency (scenarium[pandas])
    import pyarrow.parquet as pq  # optional dependency (scenarium[pandas])

    tmp = engine.new_tmp_path(".part")
    writer = None
    try:
        with _core.WriteBack(tmp):  # partitions reach the disk as they are written
            for partition in frame.partitions:
                table = pa.Table.from_pandas(partition.compute(), preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table.cast(writer.schema))
            if writer is None:  # no partitions: an empty table with the frame's columns
                writer = pq.ParquetWriter(tmp, pa.Schema.from_pandas(frame._meta, preserve_index=False))
            writer.close()
            writer = None
        return engine.store_file(str(tmp), "parquet/pandas")
    except Exception as e:
        raise _storing_failed(e, dn, "Dask DataFrame", "the Dask DataFrame failed while being written") from e
    finally:
        if writer is not None:
            writer.close()
        if os.path.exists(tmp):
            os.remove(tmp)


def _sink(engine: _core.Engine, frame: Any, storage: str, props: dict[str, Any], dn: Any) -> _core.StoredValue:
    """A LazyFrame streamed by polars into the object store, never collected here: what
    is stored (and fingerprinted) is the data, never a plan that points at files. polars
    writes through an ObjectWriter, which hashes the bytes on their way to the disk, so the
    table is not read back to be named."""
    as_csv = storage == "csv"
    encoding = str(props.get("encoding") or "utf-8").replace("-", "").lower()
    if as_csv and encoding not in ("utf8", "utf8lossy"):
        # polars writes UTF-8 only: the node's encoding needs the frame whole, stored as any frame.
        try:
            collected = frame.collect()
        except Exception as e:
            raise _storing_failed(e, dn, "LazyFrame", "the LazyFrame failed while being written") from e
        return _encode(engine, collected, dn)
    writer = engine.object_writer(".part")
    try:
        if as_csv:
            frame.sink_csv(writer, include_header=props.get("has_header", True) is not False)
        else:
            # Uncompressed unless the node says otherwise: zstd made sinking 3.6x slower for
            # 1.6x less disk (benches/results/lazy.md), and these are intermediates.
            compression = props.get("compression") or "uncompressed"
            frame.sink_parquet(
                writer, compression="uncompressed" if str(compression).lower() == "none" else compression
            )
        return writer.store("csv/polars" if as_csv else "parquet/polars")
    except (StorageError, NotSerializable):
        raise
    except Exception as e:
        raise _storing_failed(e, dn, "LazyFrame", "the LazyFrame failed while being written") from e
    finally:
        writer.discard()  # a sink that failed leaves nothing behind


def writes_folder(props: dict[str, Any]) -> bool:
    """Whether a parquet node holds a partitioned folder: its path is one, or its
    ``write_kwargs`` name ``partition_cols`` (pandas then writes a folder, as in Taipy)."""
    path = _file_path(props)
    return bool((props.get("write_kwargs") or {}).get("partition_cols")) or (path is not None and os.path.isdir(path))


def _write_dataset(engine: _core.Engine, value: Any, props: dict[str, Any], dn: Any) -> _core.StoredValue:
    """A table as a folder of parquet files, partitioned by ``write_kwargs["partition_cols"]``
    (pyarrow's hive layout, as pandas writes it for Taipy), stored as one object. Files are
    named by position and rows keep their order, so equal tables make equal folders."""
    if is_lazy_frame(value) or is_dask_frame(value):
        value = value.collect() if is_lazy_frame(value) else value.compute()
    if _frame_kind(value) is None:
        value = as_table(value, dn)
    kind = _frame_kind(value)
    import pyarrow as pa  # on first use, as pandas and polars are
    import pyarrow.parquet as pq  # the same

    options = {k: v for k, v in (props.get("write_kwargs") or {}).items() if k != "engine"}
    if "compression" in options or "compression" in props:  # write_kwargs' wins, as in pandas for Taipy
        compression = options.pop("compression", props.get("compression"))
        options["compression"] = "NONE" if compression is None or str(compression).lower() == "none" else compression
    options.setdefault("basename_template", "part-{i}.parquet")
    options.setdefault("preserve_order", True)
    options.setdefault("existing_data_behavior", "error")
    folder = engine.new_tmp_path(".tree")
    os.mkdir(folder)
    try:
        table = value.to_arrow() if kind == "polars" else pa.Table.from_pandas(value)
        pq.write_to_dataset(table, folder, **options)
        return engine.store_folder(folder, f"parquet-folder/{kind}")
    except (StorageError, NotSerializable):
        raise
    except Exception as e:
        if _is_io_failure(e):
            raise StorageError(
                f"cannot store the parquet folder of data node {dn.config_id!r} ({dn.id}): {e}; "
                "its earlier versions are untouched"
            ) from e
        raise NotSerializable(
            f"data node {dn.config_id!r} ({dn.id}) cannot store this {kind} DataFrame as a parquet folder "
            f"(write_kwargs {options!r}): {type(e).__name__}: {e}"
        ) from e
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_dataset(engine: Any, stored: _core.StoredValue, props: dict[str, Any], lazy: bool) -> Any:
    """A stored parquet folder, read as one table with its partition columns, as
    pandas reads it for Taipy (``read_kwargs`` such as ``filters`` apply)."""
    folder = engine.folder_path(stored.hash or "", stored.fingerprint)
    frame = (stored.format or "").split("/")[1]
    if lazy or frame == "polars":
        import polars as pl  # on first use: keeps `import scenarium` fast

        scan = pl.scan_parquet(folder, hive_partitioning=True)
        return scan if lazy else scan.collect()
    import pandas as pd  # optional dependency (scenarium[pandas])

    return pd.read_parquet(folder, **(props.get("read_kwargs") or {}))


def _write_excel(value: Any, path: str | os.PathLike[str], props: dict[str, Any], dn: Any) -> None:
    """A frame (or rows, or an array) as one sheet, a dict of them as one sheet each,
    as Taipy writes them (``sheet_name``, ``has_header``)."""
    pd = _excel_pandas(dn)
    sheet = props.get("sheet_name")
    if isinstance(sheet, (list, tuple)):
        sheet = sheet[0] if sheet else None
    sheets = value if isinstance(value, dict) else {sheet or "Sheet1": value}
    header = props.get("has_header", True) is not False
    detail = (
        "has storage_type 'excel' and takes a DataFrame, rows, an array or a dict of them by sheet name, "
        f"not a {type(value).__qualname__}"
    )
    try:
        # Every sheet is a frame before the workbook is opened: a writer that fails to
        # close (no sheet in it) leaves its file open.
        frames = {str(name): _sheet_frame(pd, data) for name, data in sheets.items()}
        if not frames:
            raise ValueError("no sheet to write")
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, frame in frames.items():
                frame.to_excel(writer, sheet_name=name, index=False, header=header)
    except Exception as e:
        raise _storing_failed(e, dn, "excel file", detail) from e


def _sheet_frame(pd: Any, data: Any) -> Any:
    if _frame_kind(data) == "polars":
        data = data.to_pandas()
    return data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)


def _read_excel(path: Path, frame_kind: str, props: dict[str, Any]) -> Any:
    """Taipy's reading: ``sheet_name`` a name gives that sheet, a list or nothing a
    dict of sheets by name; as the node's ``exposed_type``."""
    import pandas as pd  # optional dependency (scenarium[pandas])

    _excel_pandas(None)
    sheets = pd.read_excel(
        path, sheet_name=props.get("sheet_name"), header=0 if props.get("has_header", True) is not False else None
    )

    def exposed(frame: Any) -> Any:
        if frame_kind == "polars":
            import polars as pl  # on first use: keeps `import scenarium` fast

            return pl.from_pandas(frame)
        return _exposed(frame, props)

    if isinstance(sheets, dict):
        return {name: exposed(frame) for name, frame in sheets.items()}
    return exposed(sheets)


def _excel_pandas(dn: Any) -> Any:
    """pandas, once openpyxl (which reads and writes xlsx for it) is known to be there."""
    try:
        import openpyxl  # noqa: F401
        import pandas as pd  # optional dependency (scenarium[pandas])
    except ImportError:
        raise MissingOptionalDependency(
            "excel data nodes are read and written with pandas and openpyxl: pip install 'scenarium[excel]'"
        ) from None
    return pd


def _write_arrow(frame: Any, path: str | os.PathLike[str]) -> None:
    """A pandas frame as an uncompressed Arrow IPC file; pandas' metadata in the
    schema brings back its index and dtypes (the same bytes for the same frame)."""
    import pyarrow as pa  # optional dependency (scenarium[pandas])

    table = pa.Table.from_pandas(frame)
    with pa.OSFile(os.fspath(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read_arrow(path: str | os.PathLike[str]) -> Any:
    import pyarrow as pa  # optional dependency (scenarium[pandas])

    with pa.memory_map(os.fspath(path)) as source:
        return pa.ipc.open_file(source).read_all().to_pandas()


def _is_io_failure(error: BaseException) -> bool:
    """Whether a writer's exception comes from the file system (full disk, quota,
    permissions): an OSError in its chain, or polars' Rust I/O error text."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) or "(os error " in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def decode(engine: _core.Engine, stored: _core.StoredValue, dn: Any, lazy: bool | None = None) -> Any:
    """The Python value of a stored value of data node record ``dn``. With ``lazy`` (or
    the node's ``exposed_type="polars.LazyFrame"`` when ``lazy`` is None) a stored table
    comes as a polars LazyFrame over the stored file: nothing is read until it is
    collected or sunk, and the file cannot change under it (objects are immutable).
    A value that does not fit in the memory left is an ``OutOfMemory`` naming the node."""
    try:
        return _decode(engine, stored, dn, lazy)
    except MemoryError as e:
        size = f"{stored.size:,} bytes stored" if stored.size else "its stored size unknown"
        raise OutOfMemory(
            f"data node {dn.config_id!r} ({dn.id}): not enough memory to read its value ({size}); "
            f"nothing stored was changed{f': {e}' if str(e) else ''}"
        ) from e


def _decode(engine: _core.Engine, stored: _core.StoredValue, dn: Any, lazy: bool | None) -> Any:
    if lazy is None:
        lazy = lazy_by_default(dn)
    if lazy:
        return _lazy(_decode(engine, stored, dn, False) if stored.kind in ("inline", "memory") else None,
                     engine, stored, dn)  # fmt: skip
    kind = stored.kind
    if kind == "inline":
        return json.loads(stored.json or "null")
    if kind == "memory":
        if stored.token not in _MEMORY:
            raise NoData(
                f"data node {dn.config_id!r} ({dn.id}) is in_memory and was written by another process; "
                "its value is not available here"
            )
        return _isolated(_MEMORY[stored.token], None)
    if kind == "external":
        return _read_file(Path(stored.path or ""), stored.format or "", _properties(dn), dn)
    if kind == "recipe":
        stored = engine.materialize(stored, dn.id)
    fmt = stored.format or "pickle"
    if fmt.startswith("parquet-folder/"):
        return _exposed(_read_stored_dataset(engine, stored, dn, False), _properties(dn), dn)
    try:
        path: Any = ""
        if fmt in ("pickle", "pickle/polars"):
            # Pickles are code: only bytes that still match the hash they were stored under are unpickled.
            data = engine.read_object(stored.hash or "")
        else:
            # Every format is checked against its name before it is decoded (once per process).
            path = engine.object_path(stored.hash or "")
    except StorageError as e:
        raise StorageError(f"data node {dn.config_id!r} ({dn.id}): {e}") from None
    if fmt == "pickle":
        return pickle.loads(data)
    try:
        if fmt == "pickle/polars":
            _memory.check_size_fits(len(data), polars=True)
            return _polars_from_parts(pickle.loads(data))
        props = _properties(dn)
        if fmt == "json":
            with open(path, encoding=props.get("encoding") or "utf-8") as f:
                return json.load(f, cls=_json_decoder(props, dn))
        if fmt.startswith("excel/"):
            return _read_excel(Path(path), fmt.split("/")[1], props)
        _memory.check_fits(Path(path), fmt)
        return _exposed(_read_frame(Path(path), fmt, props), props, dn)
    except FileNotFoundError as e:
        raise StorageError(f"the stored value of data node {dn.config_id!r} ({dn.id}) is missing: {path}") from e
    except MemoryError:
        raise  # not a value that cannot be read: `decode` names the node
    except BaseException as e:
        if _memory.is_memory_failure(e):
            raise MemoryError(f"{type(e).__name__}: {e}") from e
        error = _unreadable(e, dn, fmt)
        if error is e:
            raise
        raise error from e


def _unreadable(e: BaseException, dn: Any, fmt: str) -> BaseException:
    """What a stored value that cannot be decoded raises (KeyboardInterrupt stays itself)."""
    if isinstance(e, OSError):
        return StorageError(f"the stored value of data node {dn.config_id!r} ({dn.id}) cannot be read as {fmt}: {e}")
    if not isinstance(e, Exception) and type(e).__name__ != "PanicException":
        return e
    # Each reader raises its own kinds (json, pandas, polars, pyarrow; a Rust library's
    # panic is a BaseException): bytes scenarium did not write (a file edited by hand
    # became a version) may not parse.
    return StorageError(
        f"the stored value of data node {dn.config_id!r} ({dn.id}) cannot be read as {fmt}: "
        f"{type(e).__name__}: {e}; its other versions are untouched (read(version=n), history())"
    )


def _lazy(decoded: Any, engine: _core.Engine, stored: _core.StoredValue, dn: Any) -> Any:
    """A LazyFrame of a stored value: a scan of its file when it is a table, else the
    value made lazy (a frame), else the value as it is (not a table)."""
    import polars as pl  # on first use: keeps `import scenarium` fast

    # A LazyFrame is collected by polars after this returns, past any check of ours: where
    # polars' own start cannot fit, say so now rather than let the collect end the process.
    _memory.check_size_fits(0, polars=True)
    if stored.kind == "recipe":
        stored = engine.materialize(stored, dn.id)
    fmt = stored.format or ""
    if stored.kind == "object" and fmt.startswith("parquet-folder/"):
        return _read_stored_dataset(engine, stored, dn, True)
    if stored.kind == "object" and fmt.split("/")[0] in ("arrow", "parquet", "csv"):
        try:
            path = engine.object_path(stored.hash or "")
        except StorageError as e:
            raise StorageError(f"data node {dn.config_id!r} ({dn.id}): {e}") from None
        container = fmt.split("/")[0]
        props = _properties(dn)
        encoding = str(props.get("encoding") or "utf-8").replace("-", "").lower()
        if container == "parquet":
            return pl.scan_parquet(path)
        if container == "arrow":
            return pl.scan_ipc(path)
        if container == "csv" and os.path.getsize(path) <= 2 and not Path(path).read_bytes().strip():
            return pl.DataFrame().lazy()  # a frame without columns (see _read_frame)
        if encoding in ("utf8", "utf8lossy"):
            return pl.scan_csv(path, has_header=props.get("has_header", True) is not False)
    value = decoded if decoded is not None or stored.kind in ("inline", "memory") else decode(engine, stored, dn, False)
    if _frame_kind(value) == "polars":
        return value.lazy()
    if _frame_kind(value) == "pandas":
        return pl.from_pandas(value).lazy()
    return value


def _read_stored_dataset(engine: Any, stored: _core.StoredValue, dn: Any, lazy: bool) -> Any:
    try:
        return _read_dataset(engine, stored, _properties(dn), lazy)
    except StorageError as e:
        raise StorageError(f"data node {dn.config_id!r} ({dn.id}): {e}") from None


def _empty_frame(kind: str) -> Any:
    if kind == "polars":
        import polars as pl  # on first use: keeps `import scenarium` fast

        return pl.DataFrame()
    import pandas as pd  # optional dependency (scenarium[pandas])

    return pd.DataFrame()


def _read_frame(path: Path, fmt: str, props: dict[str, Any]) -> Any:
    """A stored frame, read by the library that wrote it, with a csv node's options."""
    container, frame = fmt.split("/")
    header = props.get("has_header", True) is not False
    encoding = props.get("encoding") or "utf-8"
    if container == "csv" and path.stat().st_size <= 2 and not path.read_bytes().strip():
        # A frame without columns is written as an empty file (or one line end), which
        # neither reader takes back: it is read as what was written.
        return _empty_frame(frame)
    if container == "arrow" and frame == "pandas":
        return _read_arrow(path)
    if frame == "polars":
        import polars as pl  # on first use: keeps `import scenarium` fast

        if container == "arrow":
            # polars reads it into memory (this polars has no memory_map option).
            return pl.read_ipc(path)
        if container == "parquet":
            return pl.read_parquet(path)
        if encoding.replace("-", "").lower() in ("utf8", "utf8lossy"):
            return pl.read_csv(path, has_header=header)
        return pl.read_csv(Path(path).read_text(encoding=encoding).encode(), has_header=header)
    import pandas as pd  # optional dependency (scenarium[pandas])

    if container == "parquet":
        return pd.read_parquet(path, **(props.get("read_kwargs") or {}))
    return pd.read_csv(path, header=0 if header else None, encoding=encoding)


def _exposed(frame: Any, props: dict[str, Any], dn: Any = None) -> Any:
    """A frame as the node's ``exposed_type`` asks: "numpy" gives its values as an array,
    a class (Taipy's custom exposed type) a list of its instances, one per row."""
    exposed = props.get("exposed_type")
    if exposed == "numpy":
        return frame.to_numpy()
    if isinstance(exposed, (dict, type)):
        cls = _configured_class(exposed, dn, "exposed_type")
        rows = frame.to_dicts() if _frame_kind(frame) == "polars" else frame.to_dict("records")
        if props.get("has_header", True) is False:
            return [cls(*row.values()) for row in rows]
        return [cls(**row) for row in rows]
    return frame


def _json_decoder(props: dict[str, Any], dn: Any) -> Any:
    """The node's ``decoder``, else one that reads back what the default encoder writes."""
    return _configured_class(props.get("decoder"), dn, "decoder") or DefaultJSONDecoder


def _configured_class(ref: Any, dn: Any, key: str) -> Any:
    """A class a data node's property names (a JSON encoder or decoder), imported
    from the module and name its configuration recorded."""
    if ref is None or isinstance(ref, type):
        return ref
    import importlib  # rarely needed

    module, qualname = ref.get("module"), ref.get("qualname", "")
    if not module or "<" in qualname:
        raise StorageError(f"data node {dn.config_id!r} ({dn.id}): its {key} {qualname} cannot be found by name")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def _read_file(path: Path, storage: str, props: dict[str, Any], dn: Any) -> Any:
    if not path.exists():
        raise NoData(f"data node {dn.config_id!r} ({dn.id}) reads {path}, which does not exist")
    if storage == "json":
        with open(path, "rb") as f:
            return json.load(f, cls=_json_decoder(props, dn))
    exposed = props.get("exposed_type", "pandas")
    if exposed == "polars":
        import polars as pl  # on first use: keeps `import scenarium` fast

        return pl.read_parquet(path) if storage == "parquet" else pl.read_csv(path)
    import pandas as pd  # optional dependency (scenarium[pandas])

    return pd.read_parquet(path) if storage == "parquet" else pd.read_csv(path)


def appended(current: Any, data: Any, dn: Any) -> Any:
    """``current`` with ``data`` added, as Taipy appends: to a table, a frame with the
    same columns, or records (a dict or a list of dicts) by column name, or rows (a list
    of lists, an array) by position; to an array, rows; to a dict of sheets (an Excel
    node's), each sheet's rows, or the first sheet's; to a list, items. What was never
    written becomes ``data``."""
    if current is None:
        return data
    if isinstance(current, dict) and current and all(_external.is_array(v) for v in current.values()):
        if isinstance(data, dict) and data and all(_external.is_array(v) for v in data.values()):
            return {k: appended(v, data[k], dn) if k in data else v for k, v in current.items()}
        first = next(iter(current))
        return {**current, first: appended(current[first], data, dn)}
    kind = _frame_kind(current)
    if kind is not None:
        return _appended_rows(current, kind, data)
    if _external.is_array(current):
        import numpy as np  # a dependency of pandas
        import pandas as pd  # optional dependency (scenarium[pandas])

        rows = _appended_rows(pd.DataFrame(current), "pandas", data)
        return np.asarray(rows.to_numpy(), dtype=current.dtype if current.dtype != object else object)
    if isinstance(current, list):
        return current + (list(data) if isinstance(data, (list, tuple)) else [data])
    raise InvalidArgument(
        f"data node {dn.config_id!r} ({dn.id}) holds a {type(current).__qualname__}: append adds rows to a table "
        "or an array, or items to a list"
    )


def _appended_rows(current: Any, kind: str, data: Any) -> Any:
    """A frame's rows and then ``data``'s (see ``_external.as_table``)."""
    if _frame_kind(data) != kind:
        data = _external.as_table(data, "append", list(current.columns))
        if kind == "polars":
            import polars as pl  # on first use: keeps `import scenarium` fast

            data = pl.from_pandas(data)
    if kind == "polars":
        import polars as pl  # on first use: keeps `import scenarium` fast

        return pl.concat([current, data], how="diagonal_relaxed")
    import pandas as pd  # optional dependency (scenarium[pandas])

    return pd.concat([current, data], ignore_index=True)


class _WithProperties:
    """A data node record seen with some properties replaced (a write or read with
    more arguments than the node's configuration)."""

    def __init__(self, record: Any, properties: dict[str, Any]) -> None:
        self._record = record
        self.properties = properties

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)


def with_properties(record: Any, **replaced: Any) -> Any:
    return _WithProperties(record, {**_properties(record), **replaced})


def file_path_of(dn: Any) -> str | None:
    """The file a csv/parquet/json/excel/pickle data node reads and writes, if it has one."""
    if dn.storage_type not in ("csv", "parquet", "json", "excel", "pickle"):
        return None
    return _file_path(_properties(dn))
