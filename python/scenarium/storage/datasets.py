"""Folders of Parquet files: a partitioned ``parquet`` node written part by part (a
Dask DataFrame, one file per partition), and a folder read back whole or lazily.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from scenarium._core import Engine, StoredValue, WriteBack
from scenarium.exceptions import (
    NotSerializable,
    StorageError,
)
from scenarium.storage import frames as _frames
from scenarium.storage import shared as _shared
from scenarium.storage.exposed import frame_kind as _frame_kind


def write_partitions(engine: Engine, frame: Any, dn: Any) -> StoredValue:
    """A Dask DataFrame written one partition at a time into one Parquet object (one
    row group each): never computed whole in one process."""
    import pyarrow as pa  # optional dependency (scenarium[pandas])
    import pyarrow.parquet as pq  # optional dependency (scenarium[pandas])

    tmp = engine.new_tmp_path(".part")
    writer = None
    try:
        with WriteBack(tmp):  # partitions reach the disk as they are written
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
        raise _shared.storing_failed(e, dn, "Dask DataFrame", "the Dask DataFrame failed while being written") from e
    finally:
        if writer is not None:
            writer.close()
        if os.path.exists(tmp):
            os.remove(tmp)


def writes_folder(props: dict[str, Any]) -> bool:
    """Whether a parquet node holds a partitioned folder: its path is one, or its
    ``write_kwargs`` name ``partition_cols`` (pandas then writes a folder, as in Taipy)."""
    path = _shared.file_path(props)
    return bool((props.get("write_kwargs") or {}).get("partition_cols")) or (path is not None and os.path.isdir(path))


def write_dataset(engine: Engine, value: Any, props: dict[str, Any], dn: Any) -> StoredValue:
    """A table as a folder of parquet files, partitioned by ``write_kwargs["partition_cols"]``
    (pyarrow's hive layout, as pandas writes it for Taipy), stored as one object. Files are
    named by position and rows keep their order, so equal tables make equal folders."""
    if _frames.is_lazy_frame(value) or _frames.is_dask_frame(value):
        value = value.collect() if _frames.is_lazy_frame(value) else value.compute()
    if _frame_kind(value) is None:
        value = _frames.as_table(value, dn)
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
        if _shared.is_io_failure(e):
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


def read_dataset(engine: Any, stored: StoredValue, props: dict[str, Any], lazy: bool) -> Any:
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
