"""What a json data node writes beyond plain JSON when it has no ``encoder`` of its own:
enums, dates and dataclasses, in Taipy's format (``{"__type__": ..., "__value__": ...}``),
so that files written by Taipy and by scenarium read the same in both, and are read
back as the objects they were.

Example:
    >>> import json, datetime
    >>> text = json.dumps({"at": datetime.datetime(2024, 5, 1)}, cls=DefaultJSONEncoder)
    >>> json.loads(text, cls=DefaultJSONDecoder)
    {'at': datetime.datetime(2024, 5, 1, 0, 0)}
"""

from __future__ import annotations

import dataclasses
import json
import pydoc
from datetime import date, datetime
from enum import Enum
from typing import Any


class DefaultJSONEncoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Enum):
            enum = type(o)
            return {"__type__": f"Enum-{enum.__module__}-{enum.__qualname__}-{o.name}", "__value__": o.value}
        if isinstance(o, (datetime, date)):
            return {"__type__": "Datetime", "__value__": o.isoformat()}
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            cls = type(o)
            return {"__type__": f"dataclass-{cls.__module__}-{cls.__qualname__}", "__value__": dataclasses.asdict(o)}
        return super().default(o)


class DefaultJSONDecoder(json.JSONDecoder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, object_hook=_object_hook, **kwargs)


def _object_hook(source: dict[str, Any]) -> Any:
    kind = source.get("__type__")
    if not isinstance(kind, str) or "__value__" not in source:
        return source
    if kind == "Datetime":
        return datetime.fromisoformat(source["__value__"])
    if kind.startswith("Enum-"):
        _, module, qualname, name = kind.split("-", 3)
        found = pydoc.locate(f"{module}.{qualname}")
        return found[name] if isinstance(found, type) and issubclass(found, Enum) else source
    if kind.startswith("dataclass-"):
        _, module, qualname = kind.split("-", 2)
        found = pydoc.locate(f"{module}.{qualname}")
        return found(**source["__value__"]) if callable(found) else source
    return source
