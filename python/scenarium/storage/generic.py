"""``generic`` data nodes: the user's own read, write and append functions, called with
the node's configured extra arguments."""

from __future__ import annotations

from typing import Any

from scenarium.exceptions import InvalidArgument
from scenarium.storage import shared as _shared


def read(where: str, props: dict[str, Any]) -> Any:
    read_fct = _shared.function(props.get("read_fct"), "read_fct", where)
    return read_fct(*_args(props.get("read_fct_args")))


def write(where: str, props: dict[str, Any], value: Any, append: bool) -> None:
    key = "append_fct" if append else "write_fct"
    if append and props.get(key) is None:
        raise InvalidArgument(f"{where}: a generic data node appends only with an append_fct")
    function = _shared.function(props.get(key), key, where)
    function(value, *_args(props.get("write_fct_args")))


def _args(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
