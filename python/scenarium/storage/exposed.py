"""A table as the reader's data node exposes it: which kind of frame a value is, and a
frame turned into what ``exposed_type`` asks for (an array, instances of a configured
class). Shared by ``codec`` (files) and ``external`` (databases), which both read tables."""

from __future__ import annotations

import importlib
import sys
from typing import Any

from scenarium.exceptions import StorageError


def frame_kind(value: Any) -> str | None:
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(value, polars.DataFrame):
        return "polars"
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return "pandas"
    return None


def exposed(frame: Any, props: dict[str, Any], dn: Any = None) -> Any:
    """A frame as the node's ``exposed_type`` asks: "numpy" gives its values as an array,
    a class (Taipy's custom exposed type) a list of its instances, one per row."""
    exposed = props.get("exposed_type")
    if exposed == "numpy":
        return frame.to_numpy()
    if isinstance(exposed, (dict, type)):
        cls = configured_class(exposed, dn, "exposed_type")
        rows = frame.to_dicts() if frame_kind(frame) == "polars" else frame.to_dict("records")
        if props.get("has_header", True) is False:
            return [cls(*row.values()) for row in rows]
        return [cls(**row) for row in rows]
    return frame


def configured_class(ref: Any, dn: Any, key: str) -> Any:
    """A class a data node's property names (a JSON encoder or decoder), imported
    from the module and name its configuration recorded."""
    if ref is None or isinstance(ref, type):
        return ref
    module, qualname = ref.get("module"), ref.get("qualname", "")
    if not module or "<" in qualname:
        raise StorageError(f"data node {dn.config_id!r} ({dn.id}): its {key} {qualname} cannot be found by name")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found
