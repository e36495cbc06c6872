"""``mongo_collection`` data nodes: a MongoDB collection (pymongo, an optional
dependency), read as its documents in insertion order and written whole or appended."""

from __future__ import annotations

import importlib
from typing import Any

from scenarium.exceptions import MissingOptionalDependency
from scenarium.storage import shared as _shared


def _collection(props: dict[str, Any]) -> Any:
    """The node's collection (pymongo; credentials, host and port as Taipy names them)."""
    try:
        pymongo = importlib.import_module("pymongo")
    except ImportError:
        raise MissingOptionalDependency(
            "mongo_collection data nodes use pymongo, which is not installed: pip install 'scenarium[mongo]'"
        ) from None
    options: dict[str, Any] = dict(props.get("db_extra_args") or {})
    if props.get("db_username"):
        options.update(username=props["db_username"], password=props.get("db_password"))
    client = pymongo.MongoClient(props.get("db_host") or "localhost", int(props.get("db_port") or 27017), **options)
    return client[props["db_name"]][props["collection_name"]]


def read(props: dict[str, Any], where: str) -> list[Any]:
    """The collection's documents in insertion order, without Mongo's ``_id`` (which
    changes on every rewrite: the content is what is versioned), as dicts or as
    ``custom_document`` instances."""
    documents = [{k: v for k, v in d.items() if k != "_id"} for d in _collection(props).find().sort("_id", 1)]
    custom = props.get("custom_document")
    if custom is None:
        return documents
    cls = _shared.function(custom, "custom_document", where)
    return [cls(**d) for d in documents]


def write(props: dict[str, Any], value: Any, append: bool) -> None:
    collection = _collection(props)
    rows = value if isinstance(value, (list, tuple)) else [value]
    documents = [dict(r) if isinstance(r, dict) else dict(vars(r)) for r in rows]
    if not append:
        collection.delete_many({})
    if documents:
        collection.insert_many(documents)
