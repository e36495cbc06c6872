"""``sql_table`` and ``sql`` data nodes: a database table, or a read query with write and
append query builders, through SQLAlchemy (an optional dependency); one engine (a
connection pool) per database, per process. Also how rows become a table, as Taipy
reads them (``as_table``), for appends to any table.

Example:
    >>> from scenarium.storage import sql as _sql
    >>> _sql.connection_url({"db_engine": "sqlite", "db_name": "sales", "sqlite_folder_path": "db"})
    'sqlite:///db/sales.db'
"""

from __future__ import annotations

import importlib
import os
import re
import threading
import urllib.parse
from typing import Any

from scenarium.exceptions import InvalidArgument, MissingOptionalDependency
from scenarium.storage import exposed as _exposed
from scenarium.storage import shared as _shared

# One SQLAlchemy engine (a connection pool) per database, per process.
_engines: dict[str, Any] = {}
_engines_lock = threading.Lock()


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


def read(storage_type: str, props: dict[str, Any]) -> Any:
    """The table (``sql_table``) or the read query's rows (``sql``), as the node's exposed type."""
    sa = _sqlalchemy()
    query = props["read_query"] if storage_type == "sql" else f"SELECT * FROM {_quoted(props['table_name'])}"
    with _engine(props).connect() as connection:
        result = connection.execute(sa.text(query))
        return _frame(list(result), list(result.keys()), props)


def write(where: str, storage_type: str, props: dict[str, Any], value: Any, append: bool) -> None:
    """The write (or append) query builder's queries (``sql``), or the table's rows
    replaced or appended to (``sql_table``), in one transaction: all of it or none."""
    sa = _sqlalchemy()
    with _engine(props).begin() as connection:  # one transaction: all of it or none
        if storage_type == "sql":
            key = "append_query_builder" if append else "write_query_builder"
            if props.get(key) is None:
                raise InvalidArgument(f"{where}: this sql data node has no {key}")
            for query in _shared.function(props[key], key, where)(value) or []:
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
