"""Pictures drawn with matplotlib, an optional extra: ``pip install 'scenarium[plot]'``.

Each function returns the Figure, which a notebook shows; nothing is drawn on
a global pyplot figure, so calls do not leak into each other.
"""

from __future__ import annotations

import functools
import importlib
import io
from typing import Any

from scenarium.display import dag_svg as _dag_svg
from scenarium.display import html as _html
from scenarium.exceptions import MissingOptionalDependency

# What is drawn (a Submission, a lineage Comparison) is typed Any: those classes call
# these functions, so naming them here, even for the type checker, would close a circle.

MAX_COLUMNS = 8


@functools.lru_cache(maxsize=1)
def _figure_class() -> Any:
    figure_module = importlib.import_module("matplotlib.figure")

    class Figure(figure_module.Figure):  # type: ignore[name-defined]
        """A matplotlib Figure that shows itself in a notebook without pyplot or %matplotlib."""

        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
            return buffer.getvalue()

    return Figure


def _figure(what: str, width: float, height: float) -> Any:
    try:
        figure_class = _figure_class()
    except ImportError:
        raise MissingOptionalDependency(
            f"{what} draws with matplotlib, which is not installed: pip install 'scenarium[plot]'"
        ) from None
    return figure_class(figsize=(width, height), layout="constrained")


def timeline(submission: Any) -> Any:
    """A Gantt chart of a submission's jobs: one row per job, from its start to its
    end, coloured by status; skipped jobs are a tick at the moment they were decided."""
    jobs = submission.jobs
    start = submission._record.created_at
    fig = _figure("Submission.timeline()", 8, 0.45 * max(len(jobs), 2) + 1.1)
    ax = fig.add_subplot()
    for row, job in enumerate(jobs):
        r = job._record
        fill, edge = _dag_svg.STYLES.get(r.status, _dag_svg.STYLES["NOT RUN"])
        if r.started_at is not None:
            end = r.finished_at if r.finished_at is not None else r.started_at
            ax.barh(row, max(end - r.started_at, 1e-4), left=r.started_at - start, color=fill, edgecolor=edge)
            at = end - start
        else:
            at = (r.finished_at or r.created_at) - start
            ax.plot([at], [row], marker="|", markersize=14, color=edge)
        label = r.status.lower() if job.duration is None else f"{r.status.lower()}, {_html.seconds(job.duration)}"
        ax.annotate(label, (at, row), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8, color=edge)
    ax.set_yticks(range(len(jobs)), [j.task_config_id for j in jobs])
    ax.invert_yaxis()
    ax.set_xlabel("seconds since submission")
    ax.margins(x=0.25)
    ax.set_title(f"{submission.id}: {submission._record.status.lower()}", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def comparison(result: Any, data_nodes: list[str] | None = None) -> Any:
    """One panel per data node: a bar per scenario for a number; for a table, the
    change of each numeric column's mean from the first scenario's (up to MAX_COLUMNS)."""
    plottable = set(result.numbers) | set(result.details)
    wanted = data_nodes if data_nodes is not None else [d for d in result.differences if d in plottable]
    missing = [d for d in wanted if d not in plottable]
    if missing:
        raise ValueError(
            f"cannot plot {', '.join(missing)}: only numbers and tables can be drawn "
            f"(these can: {', '.join(sorted(plottable)) or 'none'})"
        )
    if not wanted:
        raise ValueError("the scenarios differ in no number or table; pass data_nodes=[...] to draw some anyway")
    fig = _figure("Comparison.plot()", min(4.0 * len(wanted), 16), 3.6)
    axes = fig.subplots(1, len(wanted), squeeze=False)[0]
    colours = [f"C{i}" for i in range(len(result.labels))]
    for ax, name in zip(axes, wanted):
        if name in result.numbers:
            values = result.numbers[name]
            ax.bar(range(len(values)), values, color=colours)
            ax.set_xticks(range(len(values)), result.labels, rotation=20, ha="right")
        else:
            _relative_changes(ax, result.details[name], result.labels, colours)
        ax.set_title(name, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    return fig


def _relative_changes(ax: Any, details: Any, labels: list[str], colours: list[str]) -> None:
    """Columns on very different scales compare well only as changes: the change
    of each numeric column's mean from the first scenario's, in percent."""
    base = f"mean [{labels[0]}]"
    rows = [r for r in details.iter_rows(named=True) if r[base] not in (None, 0.0)][:MAX_COLUMNS]
    others = list(zip(labels[1:], colours[1:]))
    width = 0.8 / max(len(others), 1)
    for k, (label, colour) in enumerate(others):
        xs = [i + (k - (len(others) - 1) / 2) * width for i in range(len(rows))]
        changes = [100.0 * ((r[f"mean [{label}]"] or 0.0) - r[base]) / abs(r[base]) for r in rows]
        ax.bar(xs, changes, width=width, color=colour, label=label)
    ax.axhline(0, color="#546e7a", linewidth=0.8)
    ax.set_xticks(range(len(rows)), [r["column"] for r in rows], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"column mean, % change from {labels[0]}", fontsize=8)
    ax.legend(fontsize=8)
