"""How Python values become stored values and back.

Scalars are stored inline in the registry; polars and pandas DataFrames as
Parquet objects (a pandas frame comes back as pandas); anything else is
pickled. Files are written to a temporary path inside the object store and
handed to the core, which hashes, fsyncs and renames them into place.
"""

from __future__ import annotations

import copy
import enum
import json
import math
import os
import pickle
import sys
import uuid
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

from scenarium._core import Engine, StoredValue
from scenarium._utils import memory as _memory
from scenarium.exceptions import (
    InvalidArgument,
    NoData,
    NotSerializable,
    OutOfMemory,
    StorageError,
    UnstableFingerprintWarning,
)
from scenarium.identity import code as _code_identity
from scenarium.storage import datasets as _datasets
from scenarium.storage import excel as _excel
from scenarium.storage import external as _external
from scenarium.storage import files as _files
from scenarium.storage import frames as _frames
from scenarium.storage import shared as _shared
from scenarium.storage import sql as _sql
from scenarium.storage.exposed import exposed as _exposed
from scenarium.storage.exposed import frame_kind as _frame_kind

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


def lazy_by_default(dn: Any) -> bool:
    """Whether the node's ``exposed_type`` asks for LazyFrames (Taipy's spelling)."""
    return str(_shared.properties(dn).get("exposed_type", "")) in ("polars.LazyFrame", "LazyFrame")


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


def encode(engine: Engine, value: Any, dn: Any) -> StoredValue:
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


def _encode(engine: Engine, value: Any, dn: Any) -> StoredValue:
    # A database's or function's value is kept as a pickle node's would be.
    storage = "pickle" if _external.is_external(dn.storage_type) else dn.storage_type
    props = _shared.properties(dn)
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
    has_file = _shared.file_path(props) is not None and storage in ("csv", "parquet", "json", "excel", "pickle")
    if has_file and storage in ("csv", "parquet") and props.get("partitioned") is True:
        raise NotSerializable(
            f"data node {dn.config_id!r} ({dn.id}) reads its partitions from {_shared.file_path(props)} "
            "(partitioned=True): add or replace files there instead of writing the node; nothing was written"
        )
    if storage == "parquet" and _datasets.writes_folder(props):
        return _datasets.write_dataset(engine, value, props, dn)
    if _frames.is_lazy_frame(value):
        if storage in ("pickle", "parquet", "csv"):
            return _sink(engine, value, storage, props, dn)
        value = value.collect()  # json, excel: written whole anyway
    if _frames.is_dask_frame(value) and storage in ("pickle", "parquet"):
        return _datasets.write_partitions(engine, value, dn)
    if storage in ("csv", "parquet") and _frame_kind(value) is None:
        value = _frames.as_table(value, dn)
    kind = _frame_kind(value)
    # A pickle node with a path holds the value's pickle there, frames too, as Taipy writes it.
    as_frame = not (storage == "pickle" and has_file)
    if kind is None and storage in ("pickle", "parquet") and _is_inline(value) and not has_file:
        return engine.store_inline(json.dumps(value))
    tmp = engine.new_tmp_path(".part")
    try:
        if storage == "json":
            fmt = "json"
            _files.write_json(value, tmp, dn)
        elif storage == "excel":
            _excel.write_excel(value, tmp, props, dn)
            # An xlsx file carries the time it was saved: equal values are named by content.
            digest = value_fingerprint(value)
            excel = "excel/polars" if str(props.get("exposed_type", "")).startswith("polars") else "excel/pandas"
            if digest.startswith("opaque:"):
                return engine.store_file(str(tmp), excel)
            return engine.store_file(str(tmp), excel, f"canonical:{digest}")
        elif kind is not None and as_frame and storage == "pickle" and not _frames.exact_in_columns(value, kind):
            # Arrow would change it (object or complex cells, a DatetimeIndex's freq...): pickled
            # as it is, as Taipy does. polars cannot pickle its object columns: those go as lists.
            fmt = "pickle/polars" if kind == "polars" else "pickle"
            _memory.check_write_fits(value, kind)
            _files.write_pickle(_frames.polars_parts(value) if kind == "polars" else value, tmp, dn)
        elif kind is not None and as_frame and storage in ("pickle", "parquet", "csv"):
            fmt = f"{_FRAME_CONTAINER.get((storage, kind), storage)}/{kind}"
            _memory.check_write_fits(value, kind)
            with _frames.written_back(value, kind, tmp):
                _frames.write_frame(value, kind, tmp, fmt.split("/")[0], dn)
        elif storage in ("parquet", "csv"):
            raise NotSerializable(
                f"data node {dn.config_id!r} ({dn.id}) has storage_type {storage!r} and takes a "
                f"polars or pandas DataFrame, not a {type(value).__qualname__}"
            )
        else:
            fmt = "pickle"
            _files.write_pickle(value, tmp, dn)
            if _files.has_unstable_pickle(value):
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


def _sink(engine: Engine, frame: Any, storage: str, props: dict[str, Any], dn: Any) -> StoredValue:
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
            raise _shared.storing_failed(e, dn, "LazyFrame", "the LazyFrame failed while being written") from e
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
        raise _shared.storing_failed(e, dn, "LazyFrame", "the LazyFrame failed while being written") from e
    finally:
        writer.discard()  # a sink that failed leaves nothing behind


def decode(engine: Engine, stored: StoredValue, dn: Any, lazy: bool | None = None) -> Any:
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


def _decode(engine: Engine, stored: StoredValue, dn: Any, lazy: bool | None) -> Any:
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
        return _files.read_file(Path(stored.path or ""), stored.format or "", _shared.properties(dn), dn)
    if kind == "recipe":
        stored = engine.materialize(stored, dn.id)
    if kind == "parts":
        return _exposed(_read_parts(engine, stored, dn, False), _shared.properties(dn), dn)
    fmt = stored.format or "pickle"
    if fmt.startswith("parquet-folder/"):
        return _exposed(_read_stored_dataset(engine, stored, dn, False), _shared.properties(dn), dn)
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
            return _frames.polars_from_parts(pickle.loads(data))
        props = _shared.properties(dn)
        if fmt == "json":
            with open(path, encoding=props.get("encoding") or "utf-8") as f:
                return json.load(f, cls=_files.json_decoder(props, dn))
        if fmt.startswith("excel/"):
            return _excel.read_excel(Path(path), fmt.split("/")[1], props)
        _memory.check_fits(Path(path), fmt)
        return _exposed(_frames.read_frame(Path(path), fmt, props), props, dn)
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


def _lazy(decoded: Any, engine: Engine, stored: StoredValue, dn: Any) -> Any:
    """A LazyFrame of a stored value: a scan of its file when it is a table, else the
    value made lazy (a frame), else the value as it is (not a table)."""
    import polars as pl  # on first use: keeps `import scenarium` fast

    # A LazyFrame is collected by polars after this returns, past any check of ours: where
    # polars' own start cannot fit, say so now rather than let the collect end the process.
    _memory.check_size_fits(0, polars=True)
    if stored.kind == "recipe":
        stored = engine.materialize(stored, dn.id)
    if stored.kind == "parts":
        return _read_parts(engine, stored, dn, True)
    fmt = stored.format or ""
    if stored.kind == "object" and fmt.startswith("parquet-folder/"):
        return _read_stored_dataset(engine, stored, dn, True)
    if stored.kind == "object" and fmt.split("/")[0] in ("arrow", "parquet", "csv"):
        try:
            path = engine.object_path(stored.hash or "")
        except StorageError as e:
            raise StorageError(f"data node {dn.config_id!r} ({dn.id}): {e}") from None
        container = fmt.split("/")[0]
        props = _shared.properties(dn)
        encoding = str(props.get("encoding") or "utf-8").replace("-", "").lower()
        if container == "parquet":
            return pl.scan_parquet(path)
        if container == "arrow":
            return pl.scan_ipc(path)
        if container == "csv" and _frames.is_empty_csv(path):
            return pl.DataFrame().lazy()
        if encoding in ("utf8", "utf8lossy"):
            return pl.scan_csv(path, has_header=props.get("has_header", True) is not False)
    value = decoded if decoded is not None or stored.kind in ("inline", "memory") else decode(engine, stored, dn, False)
    if _frame_kind(value) == "polars":
        return value.lazy()
    if _frame_kind(value) == "pandas":
        return pl.from_pandas(value).lazy()
    return value


def part_paths(engine: Any, stored: StoredValue, dn: Any) -> list[str]:
    """The files of a partitioned value's partitions, in order, each checked against its name."""
    parts = json.loads(stored.json or "{}").get("parts") or []
    try:
        return [os.fspath(engine.object_path(part["hash"])) for part in parts]
    except StorageError as e:
        raise StorageError(f"data node {dn.config_id!r} ({dn.id}): {e}") from None


def _read_parts(engine: Any, stored: StoredValue, dn: Any, lazy: bool) -> Any:
    """A partitioned table: its partitions' rows in order. Arrow IPC (native tasks) and
    polars' Parquet are scanned as one; other formats (a folder's csv files, pandas'
    Parquet) are read one by one as the node reads a file, then concatenated."""
    import polars as pl  # on first use: keeps `import scenarium` fast

    fmt = stored.format or ""
    parts = json.loads(stored.json or "{}").get("parts") or []
    if not parts:
        if fmt.endswith("/pandas") and not lazy:
            import pandas as pd  # the node's frames are pandas'

            return pd.DataFrame()
        return pl.DataFrame().lazy() if lazy else pl.DataFrame()
    if fmt in ("arrow/polars", "parquet/polars"):
        paths = part_paths(engine, stored, dn)
        scan, read = (pl.scan_ipc, pl.read_ipc) if fmt.startswith("arrow") else (pl.scan_parquet, pl.read_parquet)
        if lazy:
            return scan(paths)
        _memory.check_size_fits(stored.size or 0, polars=True)
        try:
            return scan(paths).collect()  # one query over every file: ~2 ms a file less than one read each
        except Exception:  # noqa: BLE001  (partitions that differ: read one by one to name the odd one)
            return _concat_parts([read(path) for path in paths], parts, dn)
    pieces = [
        _decode(engine, StoredValue("object", p["hash"], hash=p["hash"], format=fmt, size=p["size"]), dn, lazy)
        for p in parts
    ]
    return _concat_parts(pieces, parts, dn)


def _concat_parts(pieces: list[Any], parts: list[dict[str, Any]], dn: Any) -> Any:
    """The partitions' frames as one; a partition whose columns differ from the first's
    is named (a header-only file, a column renamed or moved)."""
    import polars as pl  # on first use: keeps `import scenarium` fast

    pandas = _frame_kind(pieces[0]) == "pandas"
    try:
        if pandas:
            import pandas as pd  # the parts were read as pandas frames: it is there

            plain = all(isinstance(p.index, pd.RangeIndex) for p in pieces)
            return pd.concat(pieces, ignore_index=plain)
        return pl.concat(pieces, how="vertical")
    except Exception as e:  # noqa: BLE001  (each library raises its own kinds)

        def columns(piece: Any) -> Any:
            if pandas:
                return list(zip(piece.columns, piece.dtypes.astype(str)))
            schema = piece.collect_schema() if hasattr(piece, "collect_schema") else piece.schema
            return list(schema.items())

        first = columns(pieces[0])
        odd = next((k for k, piece in enumerate(pieces) if columns(piece) != first), None)
        where = (
            f"partition {parts[odd]['name']!r} has columns {columns(pieces[odd])}, partition "
            f"{parts[0]['name']!r} {first}"
            if odd is not None
            else f"{type(e).__name__}: {e}"
        )
        raise StorageError(
            f"data node {dn.config_id!r} ({dn.id}): its {len(parts)} partitions cannot be read as one table: {where}"
        ) from e


def _read_stored_dataset(engine: Any, stored: StoredValue, dn: Any, lazy: bool) -> Any:
    try:
        return _datasets.read_dataset(engine, stored, _shared.properties(dn), lazy)
    except StorageError as e:
        raise StorageError(f"data node {dn.config_id!r} ({dn.id}): {e}") from None


def appended(current: Any, data: Any, dn: Any) -> Any:
    """``current`` with ``data`` added, as Taipy appends: to a table, a frame with the
    same columns, or records (a dict or a list of dicts) by column name, or rows (a list
    of lists, an array) by position; to an array, rows; to a dict of sheets (an Excel
    node's), each sheet's rows, or the first sheet's; to a list, items. What was never
    written becomes ``data``."""
    if current is None:
        return data
    if isinstance(current, dict) and current and all(_sql.is_array(v) for v in current.values()):
        if isinstance(data, dict) and data and all(_sql.is_array(v) for v in data.values()):
            return {k: appended(v, data[k], dn) if k in data else v for k, v in current.items()}
        first = next(iter(current))
        return {**current, first: appended(current[first], data, dn)}
    kind = _frame_kind(current)
    if kind is not None:
        return _appended_rows(current, kind, data)
    if _sql.is_array(current):
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
    """A frame's rows and then ``data``'s (see ``sql.as_table``)."""
    if _frame_kind(data) != kind:
        data = _sql.as_table(data, "append", list(current.columns))
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
    return _WithProperties(record, {**_shared.properties(record), **replaced})


def file_path_of(dn: Any) -> str | None:
    """The file a csv/parquet/json/excel/pickle data node reads and writes, if it has one."""
    if dn.storage_type not in ("csv", "parquet", "json", "excel", "pickle"):
        return None
    return _shared.file_path(_shared.properties(dn))
