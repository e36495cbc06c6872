"""Tables (polars and pandas DataFrames) as files: Parquet, Arrow IPC and CSV written
and read, rows and columns made into a table, a frame's exact types kept apart from
what Parquet cannot hold (``csv``, ``parquet`` and frames in ``pickle`` nodes).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from scenarium._core import WriteBack
from scenarium._utils import memory as _memory
from scenarium.exceptions import (
    NotSerializable,
    StorageError,
)
from scenarium.storage import shared as _shared
from scenarium.storage.exposed import frame_kind as _frame_kind


def is_lazy_frame(value: Any) -> bool:
    polars = sys.modules.get("polars")
    return polars is not None and isinstance(value, polars.LazyFrame)


def is_dask_frame(value: Any) -> bool:
    dask = sys.modules.get("dask.dataframe")
    return dask is not None and isinstance(value, dask.DataFrame)


def exact_in_columns(frame: Any, kind: str) -> bool:
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


def polars_parts(frame: Any) -> dict[str, Any]:
    """A polars frame with object columns, as something pickle can hold: its other
    columns as Arrow IPC bytes (exact), its object columns as lists."""
    import io  # rarely needed

    import polars as pl  # on first use: keeps `import scenarium` fast

    objects = [name for name, dtype in frame.schema.items() if _polars_holds_objects(dtype, pl)]
    buffer = io.BytesIO()
    frame.drop(objects).write_ipc(buffer)
    return {"order": frame.columns, "ipc": buffer.getvalue(), "objects": {n: frame[n].to_list() for n in objects}}


def polars_from_parts(parts: dict[str, Any]) -> Any:
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


def write_frame(value: Any, kind: str, path: str | os.PathLike[str], fmt: str, dn: Any) -> None:
    # The options of a csv or parquet data node (Taipy's names); a pickle node has none.
    props = _shared.properties(dn) if dn.storage_type in ("csv", "parquet") else {}
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
        if _shared.is_io_failure(e):
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


def written_back(frame: Any, kind: str, tmp: Any) -> Any:
    """A large table reaches the disk while it is written (a thread follows the file and
    starts its writeback every 32 MiB); a small one is left to the final fsync."""
    size = frame.estimated_size() if kind == "polars" else int(frame.memory_usage(index=True).sum())
    return WriteBack(tmp) if size >= 32 << 20 else contextlib.nullcontext()


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


def _empty_frame(kind: str) -> Any:
    if kind == "polars":
        import polars as pl  # on first use: keeps `import scenarium` fast

        return pl.DataFrame()
    import pandas as pd  # optional dependency (scenarium[pandas])

    return pd.DataFrame()


def is_empty_csv(path: str | os.PathLike[str]) -> bool:
    """Whether a stored csv holds a frame without columns: written as an empty file (or
    one line end), which neither reader takes back, so it is read as what was written."""
    return os.path.getsize(path) <= 2 and not Path(path).read_bytes().strip()


def read_frame(path: Path, fmt: str, props: dict[str, Any]) -> Any:
    """A stored frame, read by the library that wrote it, with a csv node's options."""
    container, frame = fmt.split("/")
    header = props.get("has_header", True) is not False
    encoding = props.get("encoding") or "utf-8"
    if container == "csv" and is_empty_csv(path):
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
