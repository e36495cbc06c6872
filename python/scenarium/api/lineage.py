"""Questions to the registry (which is src/store/registry.rs): where a value came
from (lineage), how scenarios differ, which pipeline versions exist, and clean-up.

Example:
    >>> sc.lineage(scenario.high_value_summary_df)
    high_value_summary_df@1 written by high_value_cust_summary_statistics (COMPLETED, JOB_...) <- ...
      segmented_customer_df@1 written by featurization_and_segmentation (COMPLETED, JOB_...) <- ...
    ...
    >>> sorted(sc.compare_scenarios(baseline, generous).differences)
    ['payment_threshold', 'segment_result', 'segmented_customer_df']
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Union

from scenarium._utils import arguments as _arguments
from scenarium.config import Config
from scenarium.display import dag_svg as _dag_svg
from scenarium.display import html as _html
from scenarium.entities import DataNode, Scenario
from scenarium.entities.cycle import Cycle
from scenarium.exceptions import ConfigError, InvalidArgument, NoData, NonExistingEntity
from scenarium.run import runtime as _runtime


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


class Lineage:
    """Where a data-node version came from: one row per version, from the one
    asked about back to the values a user (or a default) wrote.

    Example:
        >>> lin = sc.lineage(scenario.high_value_summary_df)
        >>> lin.to_frame()["node"].to_list()[:3]
        ['high_value_summary_df@1', 'segmented_customer_df@1', 'scored_df@1']
    """

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    @property
    def edges(self) -> list[tuple[str, str, str]]:
        """(input "node@version", output "node@version", task) for each step."""
        return [(i, r["node"], r["task"]) for r in self.rows for i in r["inputs"]]

    def to_frame(self) -> Any:
        """The rows as a polars DataFrame."""
        import polars as pl  # on first use: keeps `import scenarium` fast

        return pl.DataFrame([{**r, "inputs": ", ".join(r["inputs"])} for r in self.rows])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        lines = []
        for r in self.rows:
            origin = f"{r['task']} ({r['job_status']}, {r['job_id']})" if r["task"] else r["writer"]
            inputs = f" <- {', '.join(r['inputs'])}" if r["inputs"] else ""
            lines.append(f"{'  ' * r['depth']}{r['node']} written by {origin}{inputs}")
        return "\n".join(lines)

    def dag(self) -> _dag_svg.Picture:
        """The lineage as a picture: each version and the job that wrote it, coloured by the job's status.

        Example:
            >>> sc.lineage(scenario.high_value_summary_df).dag()
            Picture of 13 nodes: high_value_cust_summary_statistics -> high_value_summary_df@1; ...
        """
        nodes, edges = [], []
        for r in self.rows:
            nodes.append(_dag_svg.Node(r["node"], r["node"], "data", "data", f"written by {r['writer']}"))
            if r["job_id"] is not None:
                tip = f"{r['task']} ({r['job_status']}), {r['job_id']} in {r['submission_id']}"
                nodes.append(_dag_svg.Node(r["job_id"], r["task"], "task", r["job_status"], tip))
                edges.append((r["job_id"], r["node"]))
                edges += [(i, r["job_id"]) for i in r["inputs"]]
        known = {n.id for n in nodes}
        return _dag_svg.Picture(nodes, [(a, b) for a, b in edges if a in known and b in known])

    def _repr_html_(self) -> str:
        rows = [
            [
                f"<span style='padding-left:{r['depth']}em'><code>{_html.esc(r['node'])}</code></span>",
                _html.esc(r["task"] or r["writer"]),
                "" if r["job_status"] is None else _html.status_badge(r["job_status"]),
                _html.esc(r["submission_id"] or ""),
                _html.esc(", ".join(r["inputs"])),
            ]
            for r in self.rows
        ]
        table = _html.table(["version", "written by", "job", "submission", "from"], rows)
        layout = '<div style="display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap">'
        return _html.panel("<b>Lineage</b>", f"{layout}<div>{self.dag().svg}</div><div>{table}</div></div>")


def lineage(data_node: DataNode, version: int | None = None) -> Lineage:
    """Which job wrote this version (latest by default), in which submission,
    with which code, from which input versions, recursively."""
    engine = _runtime.engine()
    config_ids: dict[str, str] = {}

    def config_id(dn_id: str) -> str:
        if dn_id not in config_ids:
            try:
                config_ids[dn_id] = engine.data_node(dn_id).config_id
            except NonExistingEntity:
                config_ids[dn_id] = dn_id
        return config_ids[dn_id]

    _arguments.instance("lineage", "data_node", data_node, (DataNode,), "a DataNode")
    version = _arguments.version_number("lineage", "version", version)
    start = engine.version(data_node.id, version) if version is not None else engine.latest_version(data_node.id)
    if start is None:
        raise NoData(f"data node {data_node.config_id!r} ({data_node.id}) has no data, so no lineage")
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    stack: list[tuple[str, int, int]] = [(data_node.id, start.version, 0)]
    while stack:
        dn_id, number, depth = stack.pop()
        if (dn_id, number) in seen:
            continue
        seen.add((dn_id, number))
        v = engine.version(dn_id, number)
        row: dict[str, Any] = {
            "depth": depth,
            "node": f"{config_id(dn_id)}@{number}",
            "data_node_id": dn_id,
            "version": number,
            "written_at": _dt(v.written_at),
            "writer": v.writer,
            "fingerprint": v.fingerprint,
            "task": None,
            "job_id": None,
            "job_status": None,
            "submission_id": None,
            "code_fingerprint": None,
            "inputs": [],
        }
        if v.writer.startswith("JOB_"):
            try:
                job = engine.job(v.writer)
            except NonExistingEntity:
                row["writer"] = f"{v.writer} (deleted)"
            else:
                row.update(
                    task=job.task_config_id,
                    job_id=job.id,
                    job_status=job.status,
                    submission_id=job.submission_id,
                    code_fingerprint=job.code_fingerprint,
                    inputs=[f"{config_id(i)}@{n}" for i, n, _ in job.inputs],
                )
                stack.extend((i, n, depth + 1) for i, n, _ in reversed(job.inputs))
        rows.append(row)
    return Lineage(rows)


def _label(s: Scenario) -> str:
    return s._record.name or s.id


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "columns"):
        return f"{type(value).__module__.split('.')[0]} DataFrame {shape[0]}×{shape[1]}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _frame_details(values: list[Any], labels: list[str]) -> Any:
    """Per column: dtype and mean in each scenario, and the largest difference
    between the first scenario and each other when shapes match."""
    import polars as pl  # on first use: keeps `import scenarium` fast

    frames = [v if isinstance(v, pl.DataFrame) else pl.from_pandas(v) for v in values]
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    rows = []
    for column in columns:
        row: dict[str, Any] = {"column": column}
        for label, frame in zip(labels, frames):
            present = column in frame.columns
            row[f"dtype [{label}]"] = str(frame[column].dtype) if present else "missing"
            numeric = present and frame[column].dtype.is_numeric()
            row[f"mean [{label}]"] = frame[column].cast(pl.Float64).mean() if numeric else None
        base = frames[0]
        diffs = []
        for frame in frames[1:]:
            comparable = (
                column in base.columns
                and column in frame.columns
                and base.height == frame.height
                and base[column].dtype.is_numeric()
                and frame[column].dtype.is_numeric()
            )
            if comparable:
                diff = (frame[column].cast(pl.Float64) - base[column].cast(pl.Float64)).abs().max()
                diffs.append(diff)
            elif column in base.columns and column in frame.columns and base.height == frame.height:
                diffs.append(float((base[column] != frame[column]).sum()))
            else:
                diffs.append(None)
        row["max_abs_diff"] = max((d for d in diffs if d is not None), default=None)
        rows.append(row)
    return pl.DataFrame(rows)


class Comparison(dict):  # dict[str, dict[str, Any]]: Taipy's result itself
    """How scenarios differ. It *is* Taipy's result, a dict (data node id ->
    {comparator name: result}, for the comparators configured on the ScenarioConfig),
    and prints as that dict does; ``table`` and ``details`` are the built-in comparison
    of every data node, ``summary`` its text and the notebook shows it (``_repr_html_``).

    Example:
        >>> cmp = sc.compare_scenarios(baseline, generous)
        >>> cmp  # the configured comparators' results ({'price': {'compare': [3.6, 3.84]}}): none here
        {}
        >>> cmp.table.filter(cmp.table["differs"])["data_node"].to_list()
        ['payment_threshold', 'segment_result', 'segmented_customer_df']
    """

    def __init__(
        self,
        labels: list[str],
        custom: dict[str, dict[str, Any]],
        table: Any,
        details: dict[str, Any],
        numbers: dict[str, list[float]] | None = None,
    ) -> None:
        super().__init__(custom)
        self.labels = labels
        self.table = table
        self.details = details
        self.numbers = numbers or {}
        """The numeric data nodes' values, one per scenario."""

    @property
    def custom(self) -> dict[str, dict[str, Any]]:
        """The configured comparators' results (the dict itself, as a plain dict)."""
        return dict(self)

    @property
    def differences(self) -> list[str]:
        """Data nodes whose values differ between the scenarios."""
        return [r["data_node"] for r in self.table.iter_rows(named=True) if r["differs"]]

    @property
    def summary(self) -> str:
        """The built-in comparison as text: what differs, and the table."""
        differs = ", ".join(self.differences) or "nothing"
        return f"Comparison of {', '.join(self.labels)}: differs in {differs}\n{self.table}"

    def _repr_html_(self) -> str:
        parts = [self.table._repr_html_()]
        differing = set(self.differences)
        for dn, frame in self.details.items():
            if dn not in differing:
                continue
            parts.append(f"<h4>{_html.esc(dn)}</h4>{frame._repr_html_()}")
        return _html.panel(f"<b>Comparison</b> of {_html.esc(', '.join(self.labels))}", *parts)

    def plot(self, data_nodes: list[str] | None = None) -> Any:
        """A matplotlib figure: one panel per data node that differs (or each of
        ``data_nodes``): a bar per scenario for numbers; for tables, how much each
        numeric column's mean changed from the first scenario's, in percent. Needs ``pip install 'scenarium[plot]'``.

        Example:
            >>> sc.compare_scenarios(baseline, generous).plot()
            <Figure size ... with 3 Axes>
        """
        from scenarium.display import plots as _plots  # matplotlib is optional: loaded when a plot is asked for

        return _plots.comparison(self, data_nodes)


def _equal(a: Any, b: Any) -> bool:
    if hasattr(a, "equals") and type(a) is type(b):
        try:
            return bool(a.equals(b))
        except TypeError:
            return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def compare_scenarios(*scenarios: Scenario, data_node_config_id: str | None = None) -> Comparison:
    """Compares scenarios of one ScenarioConfig: the comparators configured on it
    (as Taipy does), and a built-in side-by-side of every data node."""
    if len(scenarios) < 2:
        raise ConfigError("compare_scenarios needs at least two scenarios")
    config_ids = {s.config_id for s in scenarios}
    if len(config_ids) > 1:
        raise ConfigError(f"cannot compare scenarios of different configs: {', '.join(sorted(config_ids))}")
    config = Config.scenarios.get(scenarios[0].config_id)
    names = list(scenarios[0]._record.data_nodes)
    if data_node_config_id is not None:
        if data_node_config_id not in names:
            raise NonExistingEntity(
                f"scenario config {scenarios[0].config_id!r} has no data node "
                f"{data_node_config_id!r} (it has {', '.join(names)})"
            )
        names = [data_node_config_id]
    labels = [_label(s) for s in scenarios]
    written = {dn for s in scenarios[:1] for t in s.tasks.values() for dn in t._record.outputs}
    custom: dict[str, dict[str, Any]] = {}
    rows, details = [], {}
    numbers: dict[str, list[float]] = {}
    for name in names:
        nodes = [getattr(s, name) for s in scenarios]
        try:
            values = [n.read_or_raise() for n in nodes]
        except NoData:
            values = None
        comparators: list[Callable[..., Any]] = list(config.comparators.get(name, [])) if config else []
        if comparators and values is not None:
            custom[name] = {getattr(f, "__name__", repr(f)): f(*values) for f in comparators}
        row: dict[str, Any] = {"data_node": name, "kind": "output" if nodes[0].id in written else "parameter"}
        for label, value in zip(labels, values or [None] * len(labels)):
            row[label] = "<no data>" if values is None else _describe(value)
        row["differs"] = values is not None and not all(_equal(values[0], v) for v in values[1:])
        rows.append(row)
        if values is not None and all(hasattr(v, "columns") and hasattr(v, "shape") for v in values):
            details[name] = _frame_details(values, labels)
        elif values is not None and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            numbers[name] = [float(v) for v in values]
    import polars as pl  # on first use: keeps `import scenarium` fast

    # keys in the order the comparators were configured, as Taipy's dict has them
    order = list(config.comparators) if config else []
    ordered = {name: custom[name] for name in order if name in custom}
    return Comparison(labels, ordered, pl.DataFrame(rows), details, numbers)


def get_versions() -> list[dict[str, Any]]:
    """Every configuration version: id, config id, when first used, number of scenarios."""
    return [
        {"version": v, "config_id": c, "created_at": _dt(t), "scenarios": n}
        for v, c, t, n in _runtime.engine().config_versions()
    ]


def duplicate_scenario(scenario: Scenario, name: str | None = None) -> Scenario:
    """A new scenario with the same parameters and outputs (shared, not copied, on disk)."""
    _arguments.instance("duplicate_scenario", "scenario", scenario, (Scenario,), "a Scenario")
    name = None if name is None else _arguments.text("duplicate_scenario", "name", name)
    engine = _runtime.engine()
    return Scenario(engine.duplicate_scenario(scenario.id, name), engine)


def tag(scenario: Scenario, tag: str) -> None:
    _arguments.instance("tag", "scenario", scenario, (Scenario,), "a Scenario").add_tag(tag)


def untag(scenario: Scenario, tag: str) -> None:
    _arguments.instance("untag", "scenario", scenario, (Scenario,), "a Scenario").remove_tag(tag)


def get_primary(config: Union[str, Any]) -> Scenario | None:
    """The primary scenario of a cycle (Taipy's use), or of a ScenarioConfig (or
    config id), if any."""
    engine = _runtime.engine()
    if isinstance(config, Cycle):
        found = [r for r in engine.scenarios() if r.cycle_id == config.id and r.is_primary]
        return Scenario(found[-1], engine) if found else None
    config_id = config if isinstance(config, str) else getattr(config, "id", None)
    if not isinstance(config_id, str):
        raise TypeError(f"get_primary: config must be a ScenarioConfig, its id or a Cycle, got {type(config).__name__}")
    found = [r for r in engine.scenarios() if r.config_id == config_id and r.is_primary]
    return Scenario(found[-1], engine) if found else None


@dataclass(frozen=True)
class GcReport:
    objects_deleted: int
    bytes_freed: int
    objects_kept: int
    cache_entries_dropped: int
    temporary_files_deleted: int = 0


def gc(grace_period: timedelta | float = timedelta(hours=1)) -> GcReport:
    """Deletes stored objects no data-node version refers to, and temporary files a
    killed writer left, older than ``grace_period`` (a timedelta or seconds >= 0, so
    that a write in flight in another process is never lost); reports bytes freed.
    Symbolic links are never followed: nothing outside the storage folder is touched.
    Temporary files younger than two minutes are always left (writes in flight); a
    write whose stored value a short grace period collected is refused, not recorded
    dangling (``DataNode.write`` stores it again).

    Example:
        >>> sc.delete(generous.id)
        >>> sc.gc(timedelta(days=1)).objects_deleted  # all younger than a day: kept
        0
        >>> sc.gc(0).objects_deleted > 0
        True
    """
    if isinstance(grace_period, bool) or not isinstance(grace_period, (timedelta, int, float)):
        raise TypeError(f"grace_period must be a timedelta or a number of seconds, got {grace_period!r}")
    seconds = grace_period.total_seconds() if isinstance(grace_period, timedelta) else float(grace_period)
    if not (seconds >= 0 and math.isfinite(seconds)):
        raise InvalidArgument(f"gc: grace_period must be a finite duration >= 0, got {grace_period!r}")
    if seconds > time.time():
        # A cutoff before 1970 is not a time the file system can compare with.
        raise InvalidArgument(
            f"gc: grace_period {grace_period!r} reaches back before 1970; keep everything by not calling gc"
        )
    return GcReport(*_runtime.engine().gc(seconds))


def integrity_check(full: bool = False) -> str:
    """ "ok" when the store is sound, else one problem per line.

    Without ``full``: SQLite's check of the registry file and that every object a
    version refers to is there (not read: fast). With ``full``:
    every stored object is read and hashed again, and versions of missing data
    nodes, links or folders where objects belong are problems; objects no version
    refers to and temporary files left by a killed process are counted after
    "ok" (``sc.gc()`` removes them).

    Example:
        >>> sc.integrity_check(full=True)
        'ok'
    """
    if not isinstance(full, bool):
        raise TypeError(f"integrity_check: full must be True or False, got {full!r}")
    return _runtime.engine().integrity_check(full)


__all__ = [
    "Comparison",
    "GcReport",
    "Lineage",
    "compare_scenarios",
    "duplicate_scenario",
    "gc",
    "get_primary",
    "get_versions",
    "integrity_check",
    "lineage",
    "tag",
    "untag",
]
