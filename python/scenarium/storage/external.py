"""Data nodes whose value lives in the user's systems: ``sql_table`` (a table),
``sql`` (a read query and write/append query builders) and ``generic`` (the
user's read and write functions), as Taipy has them.

scenarium keeps every version of such a node as an object in its store, like any
other node; the database or the functions are where the latest value is also read
from and written to. Reading the latest value (and submitting a task that reads the
node) reads the source: content that differs from the latest version is recorded as
a new version written by ``"external"``, so skipping is exact and old versions stay
readable. Writing (by a user or a task) writes the source first and records the
version only when that succeeded (ARCHITECTURE.md, "External data").

Example:
    >>> from scenarium.storage import external as _external
    >>> _external.connection_url({"db_engine": "sqlite", "db_name": "sales", "sqlite_folder_path": "db"})
    'sqlite:///db/sales.db'
"""

from __future__ import annotations

import importlib
import os
import re
import threading
import urllib.parse
from typing import Any, Callable

from scenarium.exceptions import ExternalDataError, InvalidArgument, MissingOptionalDependency
from scenarium.storage import exposed as _exposed

EXTERNAL_STORAGE_TYPES = frozenset({"sql_table", "sql", "generic", "s3_object", "mongo_collection"})

# One SQLAlchemy engine (a connection pool) per database, per process.
_engines: dict[str, Any] = {}
_engines_lock = threading.Lock()


def is_external(storage_type: str) -> bool:
    return storage_type in EXTERNAL_STORAGE_TYPES


_SPACES = re.compile(r"\s+")


def connection_url(props: dict[str, Any]) -> str:
    """The SQLAlchemy URL of a sql or sql_table node, built as Taipy builds it."""
    engine = props.get("db_engine")
    db_name = str(props.get("db_name", ""))
    if engine == "sqlite":
        folder = str(props.get("sqlite_folder_path") or "")
        extension = str(props.get("sqlite_file_extension") or ".db")
        return "sqlite:///" + os.path.join(folder, db_name + extension)
    drivers = {"postgresql": "postgresql+psycopg2", "mysql": "mysql+pymysql", "mssql": "mssql+pyodbc"}
    if engine not in drivers:
        raise InvalidArgument(f"db_engine {engine!r} is not one of sqlite, {', '.join(drivers)}")
    user = urllib.parse.quote_plus(str(props.get("db_username", "")))
    password = urllib.parse.quote_plus(str(props.get("db_password", "")))
    host, port = props.get("db_host") or "localhost", props.get("db_port") or 1433
    extra = dict(props.get("db_extra_args") or {})
    if props.get("db_driver"):
        extra["driver"] = props["db_driver"]
    query = "&".join(f"{k}={_SPACES.sub('+', str(v))}" for k, v in extra.items())
    return f"{drivers[engine]}://{user}:{password}@{host}:{port}/{urllib.parse.quote_plus(db_name)}?{query}"


def _sqlalchemy() -> Any:
    try:
        return importlib.import_module("sqlalchemy")
    except ImportError:
        raise MissingOptionalDependency(
            "sql and sql_table data nodes use SQLAlchemy, which is not installed: pip install 'scenarium[sql]'"
        ) from None


def _engine(props: dict[str, Any]) -> Any:
    url = connection_url(props)
    with _engines_lock:
        found = _engines.get(url)
        if found is None:
            found = _engines[url] = _sqlalchemy().create_engine(url)
        return found


def _function(ref: Any, key: str, where: str) -> Callable[..., Any]:
    """A configured function: the callable itself, or its stored reference imported."""
    if callable(ref):
        return ref
    if isinstance(ref, dict) and ref.get("kind") == "python":
        target: Any = importlib.import_module(ref["module"])
        for part in ref["qualname"].split("."):
            target = getattr(target, part)
        return target
    raise InvalidArgument(f"{where}: {key} must be a function, got {ref!r}")


def _s3(props: dict[str, Any]) -> Any:
    """A boto3 S3 client for the node's credentials, region and client parameters
    (``aws_s3_client_parameters``, e.g. an ``endpoint_url`` for an S3-compatible server)."""
    try:
        boto3 = importlib.import_module("boto3")
    except ImportError:
        raise MissingOptionalDependency(
            "s3_object data nodes use boto3, which is not installed: pip install 'scenarium[s3]'"
        ) from None
    options = dict(props.get("aws_s3_client_parameters") or {})
    for key, option in (("aws_access_key", "aws_access_key_id"), ("aws_secret_access_key", "aws_secret_access_key")):
        if props.get(key):
            options[option] = props[key]
    if props.get("aws_region"):
        options["region_name"] = props["aws_region"]
    return boto3.client("s3", **options)


def _s3_read(props: dict[str, Any]) -> Any:
    """The object's content: text when it is UTF-8 (as Taipy reads it), else bytes."""
    body = _s3(props).get_object(Bucket=props["aws_s3_bucket_name"], Key=props["aws_s3_object_key"])["Body"].read()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def _mongo_collection(props: dict[str, Any]) -> Any:
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


def _mongo_read(props: dict[str, Any], where: str) -> list[Any]:
    """The collection's documents in insertion order, without Mongo's ``_id`` (which
    changes on every rewrite: the content is what is versioned), as dicts or as
    ``custom_document`` instances."""
    documents = [{k: v for k, v in d.items() if k != "_id"} for d in _mongo_collection(props).find().sort("_id", 1)]
    custom = props.get("custom_document")
    if custom is None:
        return documents
    cls = _function(custom, "custom_document", where)
    return [cls(**d) for d in documents]


def _mongo_write(props: dict[str, Any], value: Any, append: bool) -> None:
    collection = _mongo_collection(props)
    rows = value if isinstance(value, (list, tuple)) else [value]
    documents = [dict(r) if isinstance(r, dict) else dict(vars(r)) for r in rows]
    if not append:
        collection.delete_many({})
    if documents:
        collection.insert_many(documents)


def read(where: str, storage_type: str, props: dict[str, Any]) -> Any:
    """The source's current value; ``where`` names the data node in errors."""
    try:
        if storage_type == "s3_object":
            return _s3_read(props)
        if storage_type == "mongo_collection":
            return _mongo_read(props, where)
        if storage_type == "generic":
            read_fct = _function(props.get("read_fct"), "read_fct", where)
            return read_fct(*_args(props.get("read_fct_args")))
        sa = _sqlalchemy()
        query = props["read_query"] if storage_type == "sql" else f"SELECT * FROM {_quoted(props['table_name'])}"
        with _engine(props).connect() as connection:
            result = connection.execute(sa.text(query))
            return _frame(list(result), list(result.keys()), props)
    except (ExternalDataError, MissingOptionalDependency, InvalidArgument):
        raise
    except Exception as e:  # noqa: BLE001  (the user's database or function: any failure is theirs)
        raise ExternalDataError(f"{where}: reading its {storage_type} source failed: {type(e).__name__}: {e}") from e


def write(where: str, storage_type: str, props: dict[str, Any], value: Any, *, append: bool = False) -> None:
    """Replaces (or appends to) the source's content, all of it or none."""
    try:
        if storage_type == "mongo_collection":
            _mongo_write(props, value, append)
            return
        if storage_type == "s3_object":
            if append:
                raise InvalidArgument(f"{where}: an s3_object data node is written whole; it has no append")
            extra = dict(props.get("aws_s3_object_parameters") or {})
            bucket, key = props["aws_s3_bucket_name"], props["aws_s3_object_key"]
            _s3(props).put_object(Bucket=bucket, Key=key, Body=value, **extra)
            return
        if storage_type == "generic":
            key = "append_fct" if append else "write_fct"
            if append and props.get(key) is None:
                raise InvalidArgument(f"{where}: a generic data node appends only with an append_fct")
            function = _function(props.get(key), key, where)
            function(value, *_args(props.get("write_fct_args")))
            return
        sa = _sqlalchemy()
        with _engine(props).begin() as connection:  # one transaction: all of it or none
            if storage_type == "sql":
                key = "append_query_builder" if append else "write_query_builder"
                if props.get(key) is None:
                    raise InvalidArgument(f"{where}: this sql data node has no {key}")
                for query in _function(props[key], key, where)(value) or []:
                    text, params = (query, None) if isinstance(query, str) else (query[0], query[1])
                    connection.execute(sa.text(text), params) if params else connection.execute(sa.text(text))
                return
            table = props["table_name"]
            exists = sa.inspect(connection).has_table(table)
            columns = [c["name"] for c in sa.inspect(connection).get_columns(table)] if exists else []
            frame = as_table(value, where, columns)
            if not append and exists:
                connection.execute(sa.text(f"DELETE FROM {_quoted(table)}"))
            frame.to_sql(table, connection, if_exists="append", index=False)
    except (ExternalDataError, MissingOptionalDependency, InvalidArgument):
        raise
    except Exception as e:  # noqa: BLE001
        verb = "appending to" if append else "writing"
        raise ExternalDataError(f"{where}: {verb} its {storage_type} source failed: {type(e).__name__}: {e}") from e


def _args(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _quoted(name: str) -> str:
    """A table name as an SQL identifier ("schema.table" keeps its dot)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in str(name).split("."))


def _frame(rows: list[Any], columns: list[str], props: dict[str, Any]) -> Any:
    import pandas as pd  # optional dependency (scenarium[pandas])

    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    exposed = props.get("exposed_type", "pandas")
    if exposed == "polars":
        import polars as pl  # on first use: keeps `import scenarium` fast

        return pl.from_pandas(frame)
    if exposed == "numpy":
        return frame.to_numpy()
    if isinstance(exposed, (dict, type)):
        return _exposed.exposed(frame, props)
    return frame


def is_array(value: Any) -> bool:
    """A numpy array or what turns into one (a pandas Series), not text."""
    return hasattr(value, "__array__") and not isinstance(value, (str, bytes))


def as_table(value: Any, where: str, columns: list[Any]) -> Any:
    """A table's new rows as pandas, as Taipy reads them: a frame (pandas or polars),
    records (one dict, a list of dicts, or a dict of columns) by name, or rows (lists,
    tuples, an array, or one value) that fill ``columns`` in order, missing trailing
    values left empty."""
    import pandas as pd  # optional dependency (scenarium[pandas])

    if isinstance(value, pd.DataFrame):
        return value
    if hasattr(value, "to_pandas") and type(value).__module__.startswith("polars"):
        return value.to_pandas()
    if isinstance(value, dict):
        is_columns = value and all(isinstance(v, (list, tuple)) or is_array(v) for v in value.values())
        return pd.DataFrame(value) if is_columns else pd.DataFrame([value])
    rows = list(value) if isinstance(value, (list, tuple)) or is_array(value) else [value]
    if rows and all(isinstance(row, dict) for row in rows):
        return pd.DataFrame(rows)
    if columns:
        rows = [list(r) if isinstance(r, (list, tuple)) or is_array(r) else [r] for r in rows]
        if any(len(r) > len(columns) for r in rows):
            raise InvalidArgument(f"{where}: rows of more values than the table's {len(columns)} columns")
        return pd.DataFrame([r + [None] * (len(columns) - len(r)) for r in rows], columns=columns)
    raise InvalidArgument(
        f"{where}: a table takes a DataFrame (pandas or polars), records (dicts) or, once it has columns, "
        f"rows (lists, tuples, an array); got {type(value).__qualname__}"
    )
