"""The pieces scenarium's objects are drawn with in a notebook (panels, tables, badges,
a stored value's preview); each entity and configuration draws itself with them
(``entities/html.py``, ``config/html.py``).

Everything here reads and renders; nothing writes. Values are
previewed cheaply: a stored Parquet object shows its first rows and its shape
from the file's metadata, never a full read.
"""

from __future__ import annotations

import html
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from scenarium.display import dag_svg as _dag_svg
from scenarium.storage import codec as _codec

if TYPE_CHECKING:
    from scenarium._core import Engine, StoredValue

STYLE = (
    "<style>.scn{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:13px;line-height:1.4}"
    ".scn table{border-collapse:collapse;margin:4px 0 8px 0}"
    ".scn th{text-align:left;background:#eceff1;font-weight:600}"
    ".scn th,.scn td{padding:2px 10px;border-bottom:1px solid #e0e0e0;vertical-align:top;text-align:left!important}"
    ".scn .muted{color:#78909c}.scn code{font-size:12px}.scn h4{margin:6px 0 2px 0;font-size:13px}"
    ".scn .bar{display:inline-block;height:9px;background:#66bb6a;border-radius:2px}</style>"
)
PREVIEW_ROWS = 5


def esc(value: Any) -> str:
    return html.escape(str(value))


def table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table of already-escaped cells."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def panel(title: str, *parts: str) -> str:
    return f'{STYLE}<div class="scn"><div>{title}</div>{"".join(parts)}</div>'


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def seconds(s: float | None) -> str:
    if s is None:
        return ""
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def status_badge(status: str, label: str | None = None) -> str:
    """A small coloured label in the colours of ``status`` (a key of ``_dag_svg.STYLES``)."""
    fill, stroke = _dag_svg.STYLES.get(status, _dag_svg.STYLES["NOT RUN"])
    return (
        f'<span style="background:{fill};border:1px solid {stroke};border-radius:3px;'
        f'padding:0 5px;font-size:11px">{esc(status if label is None else label)}</span>'
    )


# ---- values ---------------------------------------------------------------


def short_value(stored: StoredValue) -> str:
    """A one-line description of a stored value, without reading it."""
    if stored.kind == "inline":
        text = stored.json or "null"
        return esc(text if len(text) <= 60 else text[:57] + "...")
    if stored.kind == "recipe":
        return '<span class="muted">table, computed when read</span>'
    if stored.kind == "external":
        return f"<code>{esc(stored.path)}</code>"
    if stored.kind == "memory":
        return '<span class="muted">in memory</span>'
    if stored.kind == "parts":
        count = len(json.loads(stored.json or "{}").get("parts") or [])
        return f'<span class="muted">{esc(stored.format)}, {_bytes(stored.size or 0)} in {count:,} partitions</span>'
    size = "" if stored.size is None else f", {_bytes(stored.size)}"
    return f'<span class="muted">{esc(stored.format or stored.kind)}{size}</span>'


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def preview(engine: Engine, stored: StoredValue, dn: Any) -> tuple[str, str]:
    """(HTML of the first rows or the value, shape text) for a data node's value."""
    fmt = stored.format or ""
    if stored.kind == "recipe":
        return '<span class="muted">a table computed from its inputs when read (call read())</span>', ""
    tabular = stored.kind == "object" and fmt.split("/")[0] in ("parquet", "arrow")
    if tabular or stored.kind == "parts":
        import polars as pl  # on first use: keeps `import scenarium` fast

        if stored.kind == "parts":
            paths = _codec.part_paths(engine, stored, dn)
            lazy, where = pl.scan_ipc(paths), f" in {len(paths):,} partitions"
        else:
            path = engine.object_path(stored.hash or "")
            lazy, where = (pl.scan_parquet(path) if fmt.startswith("parquet/") else pl.scan_ipc(path)), ""
        columns = len(lazy.collect_schema())
        rows = lazy.select(pl.len()).collect().item()
        return _frame_html(lazy.head(PREVIEW_ROWS).collect()), f"{rows:,} rows × {columns} columns{where}"
    value = _codec.decode(engine, stored, dn)
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "columns") and len(shape) == 2:
        return _frame_html(value.head(PREVIEW_ROWS)), f"{shape[0]:,} rows × {shape[1]} columns"
    text = repr(value)
    return f"<code>{esc(text if len(text) <= 400 else text[:397] + '...')}</code>", type(value).__name__


def _frame_html(frame: Any) -> str:
    if hasattr(frame, "_repr_html_"):
        return frame._repr_html_()
    return f"<pre>{esc(frame)}</pre>"
