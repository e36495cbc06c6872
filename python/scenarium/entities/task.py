"""``Task`` and what running it makes: ``Job`` (one run of a task, or its skip) and
``Submission`` (the jobs of one ``submit``, which ``Submission.wait`` waits for). The
three name each other (a task's ``submit`` returns a Submission, a job has its task),
so they share a module."""

from __future__ import annotations

import queue
import threading
import warnings
from datetime import datetime
from typing import Any, Callable, Iterator

from scenarium._core import (
    Engine,
    JobRecord,
    SubmissionRecord,
    TaskRecord,
)
from scenarium._utils import arguments as _arguments
from scenarium.config import Scope
from scenarium.entities import actions as _actions
from scenarium.entities import html as _entities_html

# What the core says of a version it refused because gc collected its object meanwhile
# (src/store/objects.rs, require_stored).
from scenarium.entities.base import _REUSED, Explanation, Status, SubmissionStatus, _dt, _Entity, _kind, _label_of
from scenarium.entities.data_node import DataNode
from scenarium.entities.taipy_members import JobTimes, Labelled, SubmissionFacts, Submittable
from scenarium.exceptions import (
    BlockedJobWarning,
    JobFailed,
)
from scenarium.run import runtime as _runtime


class Task(_Entity[TaskRecord], Submittable, Labelled):
    """A task of a scenario: its function and the data nodes it reads and writes."""

    @property
    def config_id(self) -> str:
        return self._record.config_id

    @property
    def scenario_id(self) -> str:
        return self._record.scenario_id

    def __getattr__(self, name: str) -> Any:
        """``task.<data node config id>``: an input or output, as in Taipy."""
        if not name.startswith("_"):
            for nodes in (self.input, self.output):
                if name in nodes:
                    return nodes[name]
        raise AttributeError(f"task {self.__dict__.get('id')!r} has no attribute, input or output {name!r}")

    def submit(self, force: bool = False, wait: bool = True, **options: Any) -> Submission:
        """Submits this task alone (see ``sc.submit``)."""
        return _actions.submit(self, force=force, wait=wait, **options)

    @property
    def owner_id(self) -> str:
        return self.scenario_id

    @property
    def parent_ids(self) -> set[str]:
        return {self.scenario_id}

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self._record.properties)

    @property
    def scope(self) -> Scope:
        return Scope.SCENARIO

    @property
    def data_nodes(self) -> dict[str, DataNode]:
        """Its inputs and outputs by config id."""
        return {**self.input, **self.output}

    @property
    def tasks(self) -> dict[str, Task]:
        """Itself, as what a submission of it runs."""
        return {self.config_id: self}

    def get_parents(self) -> dict[str, set[Any]]:
        """The scenario this task belongs to and its sequences that run it, as Taipy's
        ``get_parents``."""
        scenario = _kind("Scenario")(self._engine.scenario(self.scenario_id), self._engine)
        sequences = {s for s in scenario.sequences.values() if self.config_id in s.tasks}
        return {"scenario": {scenario}, "sequence": sequences} if sequences else {"scenario": {scenario}}

    @property
    def skippable(self) -> bool:
        return self._record.skippable

    @property
    def function(self) -> Callable[..., Any]:
        return _runtime.resolve(self._record, str(self._engine.storage_folder))

    @property
    def input(self) -> dict[str, DataNode]:
        nodes = [DataNode._from_id(dn, self._engine) for _, dn in self._record.inputs]
        return {n.config_id: n for n in nodes}

    @property
    def output(self) -> dict[str, DataNode]:
        nodes = [DataNode._from_id(dn, self._engine) for dn in self._record.outputs]
        return {n.config_id: n for n in nodes}

    @property
    def _owner_label(self) -> str | None:
        return _label_of(self.owner_id, self._engine)

    def __repr__(self) -> str:
        return self.get_label()  # as Taipy's (see DataNode.__repr__)


class Job(_Entity[JobRecord], JobTimes, Labelled):
    """One execution of one task in one submission."""

    @property
    def status(self) -> Status:
        return Status(self._record.status)

    @property
    def task(self) -> Task:
        return Task(self._engine.task(self._record.task_id), self._engine)

    @property
    def task_config_id(self) -> str:
        return self._record.task_config_id

    @property
    def submit_id(self) -> str:
        return self._record.submission_id

    @property
    def submit_entity_id(self) -> str:
        """The id of what was submitted: a scenario, a sequence or a task."""
        return self._engine.submission(self._record.submission_id).entity_id

    @property
    def submit_entity(self) -> Any:
        """What was submitted: the scenario, sequence or task (Taipy's ``submit_entity``)."""
        return _actions.get(self.submit_entity_id)

    @property
    def creation_date(self) -> datetime:
        return _dt(self._record.created_at)  # type: ignore[return-value]

    @property
    def start_time(self) -> datetime | None:
        return _dt(self._record.started_at)

    @property
    def end_time(self) -> datetime | None:
        return _dt(self._record.finished_at)

    @property
    def duration(self) -> float | None:
        """Seconds spent running (None unless it ran and finished)."""
        r = self._record
        return None if r.started_at is None or r.finished_at is None else r.finished_at - r.started_at

    @property
    def reason(self) -> str | None:
        """Why the job was skipped, abandoned or failed."""
        return self._record.reason

    @property
    def reused_from(self) -> str | None:
        """The job whose result this one reused without running, if it did: a SKIPPED
        job's (this task's own earlier result), or a COMPLETED one's that took another
        task's (another scenario's, or a task of the same code and inputs; README "When a
        task is skipped").

        Example:
            >>> twin = sc.create_scenario(scenario_cfg)
            >>> [(j.status.name, j.reused_from is not None) for j in twin.submit().jobs][:1]
            [('COMPLETED', True)]
        """
        found = _REUSED.search(self._record.reason or "") if self.status in (Status.SKIPPED, Status.COMPLETED) else None
        return found.group(1) if found else None

    @property
    def stacktrace(self) -> list[str]:
        return [] if not self._record.stacktrace else [self._record.stacktrace]

    @property
    def cache_key(self) -> str | None:
        return self._record.cache_key

    def is_completed(self) -> bool:
        return self.status is Status.COMPLETED

    def is_skipped(self) -> bool:
        return self.status is Status.SKIPPED

    def is_failed(self) -> bool:
        return self.status is Status.FAILED

    def is_abandoned(self) -> bool:
        return self.status is Status.ABANDONED

    def is_finished(self) -> bool:
        return self.status in (Status.COMPLETED, Status.SKIPPED, Status.FAILED, Status.CANCELED, Status.ABANDONED)

    @property
    def owner_id(self) -> str:
        """Its task's id, as Taipy's."""
        return self._record.task_id

    @property
    def _owner_label(self) -> str | None:
        return _label_of(self.owner_id, self._engine)

    def __repr__(self) -> str:
        return self.get_label()  # as Taipy's (see DataNode.__repr__)

    def _repr_html_(self) -> str:
        return _entities_html.job(self)


class Submission(_Entity[SubmissionRecord], SubmissionFacts, Labelled):
    """A submission of a scenario or task: its jobs and their statuses.

    Example:
        >>> sub = scenario.submit()
        >>> {j.task_config_id: j.status.name for j in sub.jobs}
        {'preprocess_and_score': 'SKIPPED', ...}
    """

    def __init__(self, record: SubmissionRecord, engine: Engine) -> None:
        super().__init__(record, engine)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._events: queue.Queue[Job | None] = queue.Queue()

    def _refresh(self) -> None:
        self._record = self._engine.submission(self.id)

    def events(self) -> Iterator[Job]:
        """The job state changes of a ``submit(wait=False)`` submission as they happen
        (each a Job snapshot: status, start and end time, reason), until it ends.

        Example:
            >>> sub = scenario.submit(wait=False)
            >>> for job in sub.events():
            ...     print(job.task_config_id, job.status.name)
            preprocess_and_score SKIPPED
            ...
        """
        if self._thread is None:
            return
        while True:
            event = self._events.get()
            if event is None:
                self._events.put(None)  # later calls end at once
                return
            yield event

    @property
    def entity_id(self) -> str:
        return self._record.entity_id

    @property
    def status(self) -> SubmissionStatus:
        self._refresh()
        return SubmissionStatus(self._record.status)

    @property
    def jobs(self) -> list[Job]:
        return [Job(self._engine.job(j), self._engine) for j in self._record.job_ids]

    @property
    def creation_date(self) -> datetime:
        return _dt(self._record.created_at)  # type: ignore[return-value]

    @property
    def finished_at(self) -> datetime | None:
        """When its last job ended (None while it runs)."""
        self._refresh()
        return _dt(self._record.finished_at)

    @property
    def duration(self) -> float | None:
        """Seconds from submission to the end of its last job."""
        self._refresh()
        r = self._record
        return None if r.finished_at is None else r.finished_at - r.created_at

    def __iter__(self) -> Iterator[Job]:
        return iter(self.jobs)

    def wait(self, timeout: float | None = None) -> Submission:
        """Blocks until a ``submit(wait=False)`` submission ends (or ``timeout`` seconds pass)."""
        timeout = _arguments.seconds("Submission.wait", "timeout", timeout)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._error is not None:
                raise self._error
        self._refresh()
        return self

    def cancel(self) -> Submission:
        """Starts no more of its jobs: those not started end CANCELED (their dependants
        ABANDONED); running jobs finish. For a submission running in this process.

        Example:
            >>> sub = scenario.submit(wait=False)
            >>> sub.cancel().wait().status
            <SubmissionStatus.CANCELED: 'CANCELED'>
        """
        self._engine.cancel_submission(self.id)
        return self

    def is_finished(self) -> bool:
        return self.status in (
            SubmissionStatus.COMPLETED,
            SubmissionStatus.FAILED,
            SubmissionStatus.CANCELED,
            SubmissionStatus.BLOCKED,  # nothing more happens to it here
        )

    def is_completed(self) -> bool:
        return self.status is SubmissionStatus.COMPLETED

    def _warn_if_blocked(self) -> None:
        """Taipy's behaviour for a job whose input was never written: a warning, no error."""
        if self.status is SubmissionStatus.BLOCKED:
            blocked = [f"{j.task_config_id} ({j.reason})" for j in self.jobs if j.status is Status.BLOCKED]
            warnings.warn(
                f"submission {self.id} is BLOCKED: {'; '.join(blocked)}; write the data node (or put its file "
                "or folder in place), then submit again",
                BlockedJobWarning,
                stacklevel=3,
            )

    def _raise_if_failed(self) -> None:
        for job in self.jobs:
            if job.status is Status.FAILED:
                r = job._record
                message = f"task {r.task_config_id!r} failed (job {r.id}): {r.reason}"
                if r.stacktrace:
                    message += "\n\nTask traceback:\n" + r.stacktrace
                raise JobFailed(
                    message,
                    job_id=r.id,
                    task_config_id=r.task_config_id,
                    stacktrace=r.stacktrace,
                    submission_id=self.id,
                )

    def summary(self) -> list[dict[str, Any]]:
        """One row per job: task, status, duration in seconds and reason."""
        return [
            {"task": j.task_config_id, "status": j.status.name, "duration_s": j.duration, "reason": j.reason}
            for j in self.jobs
        ]

    def explain(self) -> Explanation:
        """Per task: ran or skipped, and why (which input changed, code changed, first run, ...)."""
        rows = []
        for job in self.jobs:
            status = job.status
            decision = "RAN" if status is Status.COMPLETED else status.name
            rows.append((job.task_config_id, decision, job.reason or ""))
        return Explanation(rows, f"Submission {self.id}: {self._record.status}")

    def __repr__(self) -> str:
        jobs = ", ".join(f"{j.task_config_id}={j.status.name}" for j in self.jobs)
        return f"Submission(id={self.id!r}, status={self._record.status}, jobs=[{jobs}])"

    def timeline(self) -> Any:
        """A Gantt chart of the jobs (a matplotlib Figure): when each started and
        ended, coloured by status. Needs ``pip install 'scenarium[plot]'``.

        Example:
            >>> scenario.submit().timeline()
            <Figure size ... with 1 Axes>
        """
        from scenarium.display import plots as _plots  # matplotlib is optional: loaded when a plot is asked for

        return _plots.timeline(self)

    def _repr_html_(self) -> str:
        return _entities_html.submission(self)
