"""What entities look like in a notebook: the ``_repr_html_`` bodies of a data node,
a job, a submission and a scenario (its graph with each task's last job), drawn with
``display.html``'s pieces and ``display.dag_svg``."""

from __future__ import annotations

from typing import Any

from scenarium.display import dag_svg as _dag_svg
from scenarium.display.html import esc, panel, preview, seconds, short_value, status_badge, table, when

# The entities are typed Any here: their classes import this module to draw themselves,
# so naming them, even for the type checker, would close a circle.


def data_node(dn: Any) -> str:
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


def job(j: Any) -> str:
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


def submission(sub: Any) -> str:
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


def scenario_graph(scenario: Any) -> tuple[list[_dag_svg.Node], list[tuple[str, str]]]:
    """Data nodes and tasks of a scenario, tasks styled by their last job."""
    return _scenario_graph(scenario, _latest_versions(scenario))


def _latest_versions(scenario: Any) -> dict[str, Any]:
    """Each data node's latest version record (None if never written), read once per picture."""
    return {dn_id: scenario._engine.latest_version(dn_id) for dn_id in scenario._record.data_nodes.values()}


def _scenario_graph(scenario: Any, latests: dict[str, Any]) -> tuple[list[_dag_svg.Node], list[tuple[str, str]]]:
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


def scenario(s: Any) -> str:
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
