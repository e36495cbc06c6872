"""What scenarium's objects look like in a notebook: the ``_repr_html_`` bodies.

Everything here reads the registry and renders; nothing writes. Values are
previewed cheaply: a stored Parquet object shows its first rows and its shape
from the file's metadata, never a full read.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from scenarium.display import dag_svg as _dag_svg
from scenarium.storage import codec as _codec

if TYPE_CHECKING:
    from scenarium._core import Engine, StoredValue
    from scenarium.config import ScenarioConfig
    from scenarium.entities import DataNode, Job, Scenario, Submission

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
    if stored.kind == "object" and fmt.split("/")[0] in ("parquet", "arrow"):
        import polars as pl  # on first use: keeps `import scenarium` fast

        path = engine.object_path(stored.hash or "")
        lazy = pl.scan_parquet(path) if fmt.startswith("parquet/") else pl.scan_ipc(path)
        columns = len(lazy.collect_schema())
        rows = lazy.select(pl.len()).collect().item()
        return _frame_html(lazy.head(PREVIEW_ROWS).collect()), f"{rows:,} rows × {columns} columns"
    if stored.kind == "recipe":
        return '<span class="muted">a table computed from its inputs when read (call read())</span>', ""
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


# ---- entities -------------------------------------------------------------


def data_node(dn: DataNode) -> str:
    latest = dn._latest()
    head = f"<b>DataNode</b> <code>{esc(dn.config_id)}</code> <span class='muted'>{esc(dn.id)}</span>"
    if latest is None:
        return panel(head, f"<p class='muted'>no data yet ({esc(dn.storage_type)} storage)</p>")
    body, shape = preview(dn._engine, latest.value, dn._record)
    facts = table(
        ["version", "written", "by", "storage", "shape"],
        [[str(latest.version), when(latest.written_at), esc(latest.writer), esc(dn.storage_type), esc(shape)]],
    )
    return panel(head, facts, body)


def job(j: Job) -> str:
    r = j._record
    head = f"<b>Job</b> <code>{esc(r.id)}</code> of task <code>{esc(r.task_config_id)}</code> {status_badge(r.status)}"
    rows = [
        ["submission", f"<code>{esc(r.submission_id)}</code>"],
        ["started", when(r.started_at)],
        ["duration", seconds(j.duration)],
        ["why", esc(r.reason or "")],
        ["inputs", esc(", ".join(f"{i}@{n}" for i, n, _ in r.inputs))],
        ["outputs", esc(", ".join(f"{o}@{n}" for o, n in r.outputs))],
    ]
    trace = f"<pre style='color:#c62828'>{esc(r.stacktrace)}</pre>" if r.stacktrace else ""
    return panel(head, table(["", ""], [row for row in rows if row[1]]), trace)


def submission(sub: Submission) -> str:
    jobs = sub.jobs
    longest = max((j.duration or 0.0 for j in jobs), default=0.0) or 1.0
    rows = []
    for j in jobs:
        d = j.duration
        bar = "" if d is None else f'<span class="bar" style="width:{max(1, int(120 * d / longest))}px"></span> '
        timing = f'<span style="white-space:nowrap">{bar}{seconds(d)}</span>'
        rows.append([esc(j.task_config_id), status_badge(j.status.name), timing, esc(j.reason or "")])
    r = sub._record
    total = "" if r.finished_at is None else f", {seconds(r.finished_at - r.created_at)}"
    head = f"<b>Submission</b> <code>{esc(r.id)}</code> {status_badge(r.status)}<span class='muted'>{total}</span>"
    return panel(head, table(["task", "status", "duration", "why"], rows))


def scenario_graph(scenario: Scenario) -> tuple[list[_dag_svg.Node], list[tuple[str, str]]]:
    """Data nodes and tasks of a scenario, tasks styled by their last job."""
    return _scenario_graph(scenario, _latest_versions(scenario))


def _latest_versions(scenario: Scenario) -> dict[str, Any]:
    """Each data node's latest version record (None if never written), read once per picture."""
    return {dn_id: scenario._engine.latest_version(dn_id) for dn_id in scenario._record.data_nodes.values()}


def _scenario_graph(scenario: Scenario, latests: dict[str, Any]) -> tuple[list[_dag_svg.Node], list[tuple[str, str]]]:
    engine = scenario._engine
    record = scenario._record
    last: dict[str, Any] = {}
    submissions = engine.submissions(scenario.id)
    if submissions:
        for job_id in submissions[-1].job_ids:
            j = engine.job(job_id)
            last[j.task_config_id] = j
    nodes: list[_dag_svg.Node] = []
    for config_id, dn_id in record.data_nodes.items():
        latest = latests[dn_id]
        tip = "no data" if latest is None else f"version {latest.version}, written by {latest.writer}"
        if latest is not None and latest.value.kind == "inline":
            tip += f": {latest.value.json}"
        nodes.append(_dag_svg.Node(dn_id, config_id, "data", "no data" if latest is None else "data", tip))
    edges = []
    for config_id, task_id in record.tasks:
        t = engine.task(task_id)
        ended = last.get(config_id)
        status = ended.status if ended is not None else "NOT RUN"
        tip = f"{config_id}: {status}" + (f" ({ended.reason})" if ended is not None and ended.reason else "")
        nodes.append(_dag_svg.Node(task_id, config_id, "task", status, tip))
        edges += [(dn, task_id) for _, dn in t.inputs] + [(task_id, dn) for dn in t.outputs]
    return nodes, edges


def scenario(s: Scenario) -> str:
    record = s._refresh()
    latests = _latest_versions(s)
    nodes, edges = _scenario_graph(s, latests)
    task_ids = {n.id for n in nodes if n.kind == "task"}
    written = {b for a, b in edges if a in task_ids}
    params, outputs = [], []
    config_id_of = {dn_id: config_id for config_id, dn_id in record.data_nodes.items()}
    in_pipeline_order = [n.id for n in nodes if n.kind == "data"]
    by_use = sorted(config_id_of, key=lambda dn_id: _first_use(dn_id, edges, in_pipeline_order))
    for dn_id in by_use:
        config_id = config_id_of[dn_id]
        latest = latests[dn_id]
        value = '<span class="muted">no data</span>' if latest is None else short_value(latest.value)
        if dn_id in written:
            version = "" if latest is None else str(latest.version)
            outputs.append([f"<code>{esc(config_id)}</code>", version, value])
        else:
            params.append([f"<code>{esc(config_id)}</code>", value])
    tags = "".join(f" {status_badge(t)}" for t in sorted(record.tags))
    title = (
        f"<b>Scenario</b> {esc(record.name or record.config_id)} <code>{esc(record.id)}</code>{tags}"
        f"<div class='muted'>config {esc(record.config_id)} (version {esc(record.config_version[:12])}), "
        f"created {when(record.creation_date)}</div>"
    )
    side = (
        f"<div><h4>Parameters</h4>{table(['data node', 'value'], params)}"
        f"<h4>Outputs</h4>{table(['data node', 'version', 'latest'], outputs)}</div>"
    )
    graph = f"<div>{_dag_svg.svg(nodes, edges)}</div>"
    return panel(title, f'<div style="display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap">{graph}{side}</div>')


def _first_use(dn_id: str, edges: list[tuple[str, str]], fallback: list[str]) -> tuple[int, int]:
    """Sort key: the index of the first edge touching the data node (edges follow the
    tasks' order), so tables list data nodes in the order the pipeline uses them."""
    for i, (a, b) in enumerate(edges):
        if dn_id in (a, b):
            return (i, 0)
    return (len(edges), fallback.index(dn_id) if dn_id in fallback else 0)


def config_graph(config: ScenarioConfig) -> tuple[list[_dag_svg.Node], list[tuple[str, str]]]:
    nodes = [
        _dag_svg.Node(
            "dn:" + d.id,
            d.id,
            "data",
            "no data" if d.default_data is None else "data",
            "" if d.default_data is None else f"default: {d.default_data!r}",
        )
        for d in config.data_node_configs
    ]
    edges = []
    for t in config.task_configs:
        nodes.append(_dag_svg.Node("task:" + t.id, t.id, "task", "NOT RUN", getattr(t.function, "__qualname__", "")))
        edges += [("dn:" + d.id, "task:" + t.id) for d in t.input_configs]
        edges += [("task:" + t.id, "dn:" + d.id) for d in t.output_configs]
    return nodes, edges


def scenario_config(config: ScenarioConfig) -> str:
    nodes, edges = config_graph(config)
    rows = [
        [f"<code>{esc(t.id)}</code>", esc(_function_name(t.function)), "yes" if t.skippable else "no"]
        for t in config.task_configs
    ]
    title = f"<b>ScenarioConfig</b> <code>{esc(config.id)}</code>"
    side = f"<div><h4>Tasks</h4>{table(['task', 'function', 'skippable'], rows)}</div>"
    graph = f"<div>{_dag_svg.svg(nodes, edges, legend=False)}</div>"
    return panel(title, f'<div style="display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap">{graph}{side}</div>')


def _function_name(function: Any) -> str:
    module = getattr(function, "__module__", None) or ""
    name = getattr(function, "__qualname__", None) or repr(function)
    return f"{module}.{name}" if module else name
