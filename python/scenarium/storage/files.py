"""Values as files of their own: pickles (refusing what would not pickle the same
twice), JSON (Taipy's encoder and decoder, or the node's own) and plain bytes.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

from scenarium.exceptions import (
    NoData,
    NotSerializable,
    StorageError,
)
from scenarium.identity import values as _values
from scenarium.storage import shared as _shared
from scenarium.storage.exposed import configured_class as _configured_class
from scenarium.storage.exposed import frame_kind as _frame_kind
from scenarium.storage.json_values import DefaultJSONDecoder, DefaultJSONEncoder


def has_unstable_pickle(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` holds a set or frozenset (whose pickle order follows the
    per-process string hash seed), looking through builtin containers and objects'
    attributes."""
    if isinstance(value, (set, frozenset)):
        return True
    if depth > 20:
        return False
    if isinstance(value, (list, tuple)):
        return any(has_unstable_pickle(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(has_unstable_pickle(k, depth + 1) or has_unstable_pickle(v, depth + 1) for k, v in value.items())
    # An object's attributes (a dataclass's fields, slots) are pickled too.
    if type(value).__module__ == "builtins" or _frame_kind(value) is not None:
        return False
    return any(has_unstable_pickle(v, depth + 1) for v in _values.instance_state(value).values())


def write_pickle(value: Any, tmp: str | os.PathLike[str], dn: Any) -> None:
    try:
        data = pickle.dumps(value, protocol=5)
    except Exception as e:
        raise NotSerializable(
            f"cannot store a {type(value).__qualname__} in data node {dn.config_id!r} ({dn.id}): it cannot be "
            f"pickled ({type(e).__name__}: {e}); return plain data, or use storage_type='in_memory'"
        ) from e
    _write_bytes(tmp, data, dn)


def write_json(value: Any, tmp: str | os.PathLike[str], dn: Any) -> None:
    props = _shared.properties(dn)
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


def json_decoder(props: dict[str, Any], dn: Any) -> Any:
    """The node's ``decoder``, else one that reads back what the default encoder writes."""
    return _configured_class(props.get("decoder"), dn, "decoder") or DefaultJSONDecoder


def read_file(path: Path, storage: str, props: dict[str, Any], dn: Any) -> Any:
    if not path.exists():
        raise NoData(f"data node {dn.config_id!r} ({dn.id}) reads {path}, which does not exist")
    if storage == "json":
        with open(path, "rb") as f:
            return json.load(f, cls=json_decoder(props, dn))
    exposed = props.get("exposed_type", "pandas")
    if exposed == "polars":
        import polars as pl  # on first use: keeps `import scenarium` fast

        return pl.read_parquet(path) if storage == "parquet" else pl.read_csv(path)
    import pandas as pd  # optional dependency (scenarium[pandas])

    return pd.read_parquet(path) if storage == "parquet" else pd.read_csv(path)
