"""What every entity shares: the view over a registry record (``_Entity``), job and
submission statuses, ``Explanation`` (a dry run's or a submission's decisions), dates
and owner labels as Taipy prints them."""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Any, Generic, Iterator, TypeVar

from scenarium._core import (
    Engine,
)
from scenarium.display import html as _html
from scenarium.entities.cycle import Cycle

# What the core says of a version it refused because gc collected its object meanwhile
# (src/store/objects.rs, require_stored).


# What the core says of a version it refused because gc collected its object meanwhile
# (src/store/objects.rs, require_stored).
_NOT_RECORDED = "the version that names it was not recorded"

# Storage types that hold a table: rows written to them get column names.
_TABLE_STORAGE = ("csv", "excel", "parquet", "sql_table")


_R = TypeVar("_R")


def _dt(ts: float | None) -> datetime | None:
    # naive local time, as Taipy's dates (datetime.now()): printed and compared alike
    return None if ts is None else datetime.fromtimestamp(ts)


# How the core words a reused result (src/store/mod.rs, skip_job): "same code and inputs as JOB_...".
_REUSED = re.compile(r"same code and inputs as (JOB_[A-Za-z0-9_-]+)")


def _label_of(owner_id: str | None, engine: Engine) -> str | None:
    """The label of an entity's owner (Taipy's label prefix: cycle > scenario > task)."""
    if not owner_id:
        return None
    if owner_id.startswith("CYCLE_"):
        return Cycle(owner_id, engine).get_label()
    if owner_id.startswith("SCENARIO_"):
        return _kind("Scenario")(engine.scenario(owner_id), engine).get_label()
    if owner_id.startswith("TASK_"):
        return _kind("Task")(engine.task(owner_id), engine).get_label()
    return None


class Status(enum.Enum):
    """A job's status, with Taipy's names."""

    SUBMITTED = "SUBMITTED"
    BLOCKED = "BLOCKED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    SKIPPED = "SKIPPED"
    ABANDONED = "ABANDONED"


class SubmissionStatus(enum.Enum):
    SUBMITTED = "SUBMITTED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    # A job's input was never written: it and what depends on it wait (as in Taipy).
    BLOCKED = "BLOCKED"


class Explanation:
    """Why each task of a submission ran or was skipped (or, for a dry run, would be).

    Example:
        >>> scenario.payment_threshold.write(1234)
        >>> print(scenario.submit().explain())
        Submission SUBMISSION_scenario_...: COMPLETED
        preprocess_and_score                SKIPPED  outputs are up to date: same code and inputs as JOB_...
        featurization_and_segmentation      RAN      input "payment_threshold" changed: 1000 -> 1234
        segment_analysis                    RAN      ...
        high_value_cust_summary_statistics  RAN      ...
    """

    def __init__(self, rows: list[tuple[str, str, str]], title: str) -> None:
        self.rows = rows
        self.title = title

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, task_config_id: str) -> tuple[str, str]:
        """(decision, reason) for one task."""
        for task, decision, reason in self.rows:
            if task == task_config_id:
                return decision, reason
        raise KeyError(task_config_id)

    def __str__(self) -> str:
        width = max((len(t) for t, _, _ in self.rows), default=0)
        dwidth = max((len(d) for _, d, _ in self.rows), default=0)
        lines = [f"{t:<{width}}  {d:<{dwidth}}  {r}" for t, d, r in self.rows]
        return "\n".join([self.title, *lines])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        badge = {"RAN": "COMPLETED", "run": "RUNNING", "skip": "SKIPPED", "may run": "PENDING", "fail": "FAILED"}
        rows = [[_html.esc(t), _html.status_badge(badge.get(d, d)), _html.esc(r)] for t, d, r in self.rows]
        return _html.panel(f"<b>{_html.esc(self.title)}</b>", _html.table(["task", "decision", "why"], rows))


class _Entity(Generic[_R]):
    """An entity: a registry record (``_record``) and the engine it came from."""

    _engine: Engine
    id: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _KINDS[cls.__name__] = cls

    def __init__(self, record: _R, engine: Engine) -> None:
        self._record = record
        self._engine = engine
        self.id = record.id  # type: ignore[attr-defined]  # every record has an id

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


_KINDS: dict[str, Any] = {}


def _kind(name: str) -> Any:
    """The entity class named ``name`` (``Scenario``, ``Task``), for the few places a
    lower module builds an entity of a higher one (a data node's scenarios, a task's
    scenario, an owner's label): each class adds itself when it is defined, so no
    module imports one that imports it."""
    return _KINDS[name]
