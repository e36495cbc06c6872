"""Scenarios, data nodes, tasks, jobs and submissions as a notebook user sees them.

Each class is a thin view over a registry record held by the core; reads go
to the registry, so an object always shows what is stored now.
"""

from __future__ import annotations

import enum
import queue
import re
import threading
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Generic, Iterator, TypeVar

from scenarium import _arguments, _codec, _core, _dag_svg, _events, _external_sync, _filter, _html, _runtime
from scenarium._cycle import Cycle
from scenarium._events import EventEntityType, EventOperation
from scenarium._filter import JoinOperator
from scenarium._taipy_members import JobTimes, Labelled, SubmissionFacts, Submittable
from scenarium.config import Scope
from scenarium.exceptions import (
    BlockedJobWarning,
    DataNodeIsBeingEdited,
    InvalidArgument,
    JobFailed,
    NoData,
    NoDataWarning,
    NonExistingEntity,
    SequenceAlreadyExists,
    StorageError,
)

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


def _label_of(owner_id: str | None, engine: _core.Engine) -> str | None:
    """The label of an entity's owner (Taipy's label prefix: cycle > scenario > task)."""
    if not owner_id:
        return None
    if owner_id.startswith("CYCLE_"):
        return Cycle(owner_id, engine).get_label()
    if owner_id.startswith("SCENARIO_"):
        return Scenario(engine.scenario(owner_id), engine).get_label()
    if owner_id.startswith("TASK_"):
        return Task(engine.task(owner_id), engine).get_label()
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

    _engine: _core.Engine
    id: str

    def __init__(self, record: _R, engine: _core.Engine) -> None:
        self._record = record
        self._engine = engine
        self.id = record.id  # type: ignore[attr-defined]  # every record has an id

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


class DataNode(_Entity[_core.DataNodeRecord], Labelled):
    """A data node of a scenario: ``read()`` its latest value, ``write()`` a new version.

    Example:
        >>> scenario.payment_threshold.read()
        1000
        >>> scenario.payment_threshold.write(1600)
    """

    @classmethod
    def _from_id(cls, id: str, engine: _core.Engine) -> DataNode:
        return cls(engine.data_node(id), engine)

    @property
    def config_id(self) -> str:
        return self._record.config_id

    @property
    def scope(self) -> Scope:
        return Scope(self._record.scope)

    @property
    def storage_type(self) -> str:
        return self._record.storage_type

    @property
    def owner_id(self) -> str | None:
        return self._record.owner_id

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self._record.properties)

    @property
    def path(self) -> str | None:
        return _codec.file_path_of(self._record)

    @property
    def validity_period(self) -> timedelta | None:
        s = self._record.validity_period_s
        return None if s is None else timedelta(seconds=s)

    def _latest(self) -> _core.VersionRecord | None:
        return self._engine.latest_version(self.id)

    def read(self, version: int | None = None, lazy: bool | None = None) -> Any:
        """The latest value, or the given version.

        A node that holds nothing (never written and no default, or a file that is gone)
        reads as None with a ``NoDataWarning``, as in Taipy; ``read_or_raise()`` raises
        ``NoData`` instead. A sql, sql_table or generic node reads its source for the
        latest value: content that changed there becomes a new version (writer
        ``"external"``) first. With ``lazy=True`` (or ``exposed_type="polars.LazyFrame"``)
        a table comes as a polars LazyFrame over the stored file, read only when collected.

        Example:
            >>> scenario.payment_threshold.read()
            1000
        """
        return self._or_none(lambda: self.read_or_raise(version, lazy))

    @staticmethod
    def _or_none(read: Callable[[], Any]) -> Any:
        """What ``read`` returns, or None with a ``NoDataWarning`` (Taipy's ``read``)."""
        try:
            return read()
        except NoData as e:
            warnings.warn(str(e), NoDataWarning, stacklevel=3)
            return None

    def read_or_raise(self, version: int | None = None, lazy: bool | None = None) -> Any:
        """As ``read()``, but a node that holds nothing raises ``NoData`` naming it."""
        return self._read_as(self._record, version, lazy)

    def _read_as(self, as_record: Any, version: int | None = None, lazy: bool | None = None) -> Any:
        version = _arguments.version_number("read", "version", version)
        if version is None and _external_sync.is_external(self._record):
            _external_sync.take_in(self._engine, self._record)
        record = self._engine.version(self.id, version) if version is not None else self._latest()
        if record is None:
            raise NoData(
                f"data node {self.config_id!r} ({self.id}) has no data: it was never written and has no default_data"
            )
        return _codec.decode(self._engine, record.value, as_record, lazy)

    def write(
        self,
        value: Any,
        job_id: str | None = None,
        editor_id: str | None = None,
        comment: str | None = None,
        **edit: Any,
    ) -> None:
        """Stores ``value`` as a new version; earlier versions stay readable. The
        version's writer is ``job_id``, else ``editor_id``, else ``"user"`` (Taipy's
        parameters); other keyword arguments are kept in the edit (``edits``). A sql,
        sql_table or generic node writes its source first: when that fails, nothing
        is recorded.

        Example:
            >>> scenario.payment_threshold.write(1200, editor_id="ana", comment="what if")
            >>> scenario.payment_threshold.history()[-1]["writer"]
            'ana'
        """
        self._write(value, self._record, job_id, editor_id, comment, **edit)

    def _write(
        self, value: Any, as_record: Any, job_id: str | None, editor_id: str | None, comment: str | None, **edit: Any
    ) -> None:
        for name, given in (("job_id", job_id), ("editor_id", editor_id), ("comment", comment)):
            if given is not None:
                _arguments.text("DataNode.write", name, given)
        self._check_lock(editor_id if job_id is None else None, job_id is not None)
        if "columns" in edit and self.storage_type in _TABLE_STORAGE and _codec._frame_kind(value) is None:
            value = _codec.as_table(value, self._record, list(edit.pop("columns")))  # as Taipy's docs write rows
        stored = _codec.encode(self._engine, value, as_record)
        if _external_sync.is_external(self._record):
            _external_sync.write_out(self._record, value)
        extra = _codec.json_safe(edit) if edit else None
        for attempt in range(3):
            try:
                self._engine.write_data_node(self.id, stored, job_id or editor_id or "user", comment, extra)
                break
            except StorageError as e:
                # A gc with a grace period shorter than this write collected the object
                # between storing and recording it (nothing was recorded): store it again.
                if _NOT_RECORDED not in str(e) or attempt == 2:
                    raise
                stored = _codec.encode(self._engine, value, as_record)
        _events.publish(
            EventEntityType.DATA_NODE, EventOperation.UPDATE, self.id, "last_edit_date", self.last_edit_date
        )

    def write_with_kwargs(self, data: Any, job_id: str | None = None, **write_kwargs: Any) -> None:
        """Writes ``data`` with more of pandas' ``to_parquet`` arguments than the node's
        ``write_kwargs`` (a parquet node, as Taipy's ``ParquetDataNode.write_with_kwargs``).

        Example:
            >>> import pandas as pd
            >>> node = sc.create_global_data_node(Config.configure_parquet_data_node(
            ...     "sales", default_path="sales.parquet", scope=sc.Scope.GLOBAL))
            >>> node.write_with_kwargs(pd.DataFrame({"a": [1]}), compression="gzip")
        """
        self._require_storage("write_with_kwargs", "parquet")
        merged = {**(self.properties.get("write_kwargs") or {}), **write_kwargs}
        self._write(data, _codec.with_properties(self._record, write_kwargs=merged), job_id, None, None)

    def read_with_kwargs(self, **read_kwargs: Any) -> Any:
        """The latest value read with more of pandas' ``read_parquet`` arguments than the
        node's ``read_kwargs`` (``columns=[...]``: only those columns), as Taipy's.

        Example:
            >>> import pandas as pd
            >>> node = sc.create_global_data_node(Config.configure_parquet_data_node(
            ...     "sales", default_path="sales.parquet", scope=sc.Scope.GLOBAL))
            >>> node.write(pd.DataFrame({"date": ["12/24/2018"], "nb_sales": [1550]}))
            >>> list(node.read_with_kwargs(columns=["nb_sales"]).columns)
            ['nb_sales']
        """
        self._require_storage("read_with_kwargs", "parquet")
        merged = {**(self.properties.get("read_kwargs") or {}), **read_kwargs}
        return self._or_none(lambda: self._read_as(_codec.with_properties(self._record, read_kwargs=merged)))

    def _require_storage(self, method: str, *storage_types: str) -> None:
        if self.storage_type not in storage_types:
            raise InvalidArgument(
                f"{method} is for {' and '.join(storage_types)} data nodes; data node {self.config_id!r} "
                f"({self.id}) is {self.storage_type}"
            )

    def write_with_column_names(
        self, data: Any, columns: list[str] | None = None, job_id: str | None = None, **edit: Any
    ) -> None:
        """Writes rows (lists, tuples or an array) as a table with these column names.

        Example:
            >>> scenario.payment_threshold.write_with_column_names([[1, 2]], columns=["a", "b"])
            >>> list(scenario.payment_threshold.read().columns)
            ['a', 'b']
        """
        self.write(_codec.as_table(data, self._record, columns), job_id, **edit)

    def track_edit(
        self, job_id: str | None = None, editor_id: str | None = None, comment: str | None = None, **edit: Any
    ) -> None:
        """Records an edit made outside scenarium (a new version holding what the node
        holds now, with who, why and any other keys), as Taipy's ``track_edit``."""
        self.write(self.read_or_raise(), job_id, editor_id, comment, **edit)

    # How long lock_edit holds a data node unless unlocked (Taipy's default).
    EDIT_LOCK = timedelta(minutes=30)

    def lock_edit(self, editor_id: str | None = None) -> None:
        """Locks the data node for ``editor_id`` for 30 minutes, as Taipy's: other
        editors' writes raise ``DataNodeIsBeingEdited`` until it is unlocked or expires
        (kept in the registry, so every process sees it).

        Example:
            >>> scenario.payment_threshold.lock_edit("ana")
            >>> scenario.payment_threshold.edit_in_progress, scenario.payment_threshold.editor_id
            (True, 'ana')
            >>> scenario.payment_threshold.unlock_edit("ana")
        """
        if editor_id is not None:
            _arguments.text("DataNode.lock_edit", "editor_id", editor_id)
        expires = (datetime.now(timezone.utc) + self.EDIT_LOCK).timestamp()
        try:
            self._engine.lock_edit(self.id, editor_id, expires)
        except ValueError as e:
            raise DataNodeIsBeingEdited(str(e)) from None

    def unlock_edit(self, editor_id: str | None = None) -> None:
        """Removes the lock (``editor_id``'s, or any when None)."""
        if editor_id is not None:
            _arguments.text("DataNode.unlock_edit", "editor_id", editor_id)
        self._engine.unlock_edit(self.id, editor_id)

    @property
    def edit_in_progress(self) -> bool:
        return self._engine.edit_lock(self.id) is not None

    @property
    def editor_id(self) -> str | None:
        lock = self._engine.edit_lock(self.id)
        return None if lock is None else lock[0]

    @property
    def editor_expiration_date(self) -> datetime | None:
        lock = self._engine.edit_lock(self.id)
        return None if lock is None else _dt(lock[1])

    def _check_lock(self, editor_id: str | None, by_job: bool) -> None:
        lock = self._engine.edit_lock(self.id)
        if lock is None or by_job:
            return
        holder, until = lock
        if holder is not None and holder != editor_id:
            raise DataNodeIsBeingEdited(
                f"data node {self.config_id!r} ({self.id}) is being edited by {holder!r} until {_dt(until)}; "
                "nothing was written (write with that editor_id, or unlock_edit)"
            )

    @property
    def expiration_date(self) -> datetime | None:
        """When the latest value stops being valid (``validity_period`` after its write)."""
        last = self.last_edit_date
        period = self.validity_period
        return None if last is None or period is None else last + period

    @property
    def is_valid(self) -> bool:
        """Whether the node holds a value that has not expired."""
        expires = self.expiration_date
        return self.is_ready_for_reading and (expires is None or datetime.now() < expires)  # naive, as _dt

    def append(
        self, data: Any, job_id: str | None = None, editor_id: str | None = None, comment: str | None = None
    ) -> None:
        """Adds ``data`` to the value, as a new version: rows to a table (sql_table, sql
        with an append_query_builder, csv, parquet, or a DataFrame in any node), items
        to a list (json, pickle). A sql or sql_table node appends in its database and
        records what the database then holds.

        Example:
            >>> scenario.payment_threshold.write([1, 2])
            >>> scenario.payment_threshold.append([3])
            >>> scenario.payment_threshold.read()
            [1, 2, 3]
        """
        writer = job_id or editor_id or "user"
        if _external_sync.is_external(self._record):
            _external_sync.write_out(self._record, data, append=True)
            _external_sync.take_in(self._engine, self._record, writer, comment)
            return
        latest = self._latest()
        # The whole value: a parquet node's read_kwargs (a filter, some columns) are for reading it.
        whole = _codec.with_properties(self._record, read_kwargs={})
        current = None if latest is None else _codec.decode(self._engine, latest.value, whole)
        self.write(_codec.appended(current, data, self._record), job_id, editor_id, comment)

    def filter(self, operators: Any = None, join_operator: JoinOperator = JoinOperator.AND) -> Any:
        """The rows of the latest value that meet ``operators`` (``(key, value, Operator)``
        conditions), all of them or, with ``JoinOperator.OR``, any, as Taipy's.

        Example:
            >>> scenario.payment_threshold.write([{"id": 1, "paid": 900}, {"id": 2, "paid": 1500}])
            >>> scenario.payment_threshold.filter(("paid", 1000, sc.Operator.GREATER_THAN))
            [{'id': 2, 'paid': 1500}]
        """
        return _filter.rows_where(self.read_or_raise(), operators, join_operator)

    def __getitem__(self, key: Any) -> Any:
        """``dn["column"]`` (or any index the latest value takes)."""
        return self.read_or_raise()[key]

    @property
    def name(self) -> str | None:
        """Its ``name`` property, as Taipy's."""
        return self.properties.get("name")

    @property
    def parent_ids(self) -> set[str]:
        """The ids of the tasks that read or write it."""
        return {t.id for t in self.get_parents().get("task", set())}

    @property
    def job_ids(self) -> list[str]:
        """The jobs that wrote it, oldest first."""
        return [e["job_id"] for e in self.edits if "job_id" in e]

    def get_last_edit(self) -> dict[str, Any] | None:
        edits = self.edits
        return edits[-1] if edits else None

    @property
    def is_up_to_date(self) -> bool:
        """Valid, and not older than any input of a task that writes it (Taipy's rule)."""
        if not self.is_valid:
            return False
        mine = self.last_edit_date
        writers = [t for t in self.get_parents().get("task", set()) if self.id in t._record.outputs]
        inputs = [dn for t in writers for dn in t.input.values()]
        return all(dn.last_edit_date is None or mine is None or dn.last_edit_date <= mine for dn in inputs)

    def get_parents(self) -> dict[str, set[Any]]:
        """The scenarios and tasks this data node belongs to, as Taipy's ``get_parents``."""
        scenarios = {Scenario(r, self._engine) for r in self._engine.scenarios() if self.id in r.data_nodes.values()}
        tasks = {
            task
            for scenario in scenarios
            for task in scenario.tasks.values()
            if self.id in task._record.outputs or any(dn == self.id for _, dn in task._record.inputs)
        }
        sequences = {
            sequence
            for scenario in scenarios
            for sequence in scenario.sequences.values()
            if any(task in tasks for task in sequence.tasks.values())
        }
        return {"scenario": scenarios, "task": tasks, **({"sequence": sequences} if sequences else {})}

    @property
    def is_ready_for_reading(self) -> bool:
        return self._latest() is not None

    @property
    def version(self) -> int:
        """The number of the latest version (0 when never written)."""
        latest = self._latest()
        return 0 if latest is None else latest.version

    @property
    def last_edit_date(self) -> datetime | None:
        latest = self._latest()
        return None if latest is None else _dt(latest.written_at)

    def history(self) -> list[dict[str, Any]]:
        """Every version: number, time, writer (a job id, "user" or "default"), comment, fingerprint."""
        return [
            {
                "version": v.version,
                "written_at": _dt(v.written_at),
                "writer": v.writer,
                "comment": v.comment,
                "fingerprint": v.fingerprint,
            }
            for v in self._engine.versions(self.id)
        ]

    @property
    def edits(self) -> list[dict[str, Any]]:
        """Taipy's edit log: one dict per write with ``timestamp``, ``writer``, ``job_id``
        or ``editor_id``, ``comment`` and the keys the writer added.

        Example:
            >>> scenario.payment_threshold.write(1200, editor="John", comment="manual", reason="audit")
            >>> {k: v for k, v in scenario.payment_threshold.edits[-1].items() if k != "timestamp"}
            {'writer': 'user', 'comment': 'manual', 'editor': 'John', 'reason': 'audit'}
        """
        out = []
        for v in self._engine.versions(self.id):
            edit: dict[str, Any] = {"timestamp": _dt(v.written_at), "writer": v.writer}
            if v.writer.startswith("JOB_"):
                edit["job_id"] = v.writer
            elif v.writer not in ("user", "default", "external", "file"):
                edit["editor_id"] = v.writer
            if v.comment:
                edit["comment"] = v.comment
            edit.update(v.extra)
            out.append(edit)
        return out

    @property
    def _owner_label(self) -> str | None:
        return _label_of(self.owner_id, self._engine)

    def __repr__(self) -> str:
        # Taipy's entities print as their label ("December 2024 > my_scenario > sales")
        return self.get_label()

    def _repr_html_(self) -> str:
        return _html.data_node(self)


class Task(_Entity[_core.TaskRecord], Submittable, Labelled):
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
        from scenarium._api import submit  # the API is a layer up; see tests/test_layers.py

        return submit(self, force=force, wait=wait, **options)

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
        scenario = Scenario(self._engine.scenario(self.scenario_id), self._engine)
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


class Job(_Entity[_core.JobRecord], JobTimes, Labelled):
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
        from scenarium._api import get  # the API is a layer up; see tests/test_layers.py

        return get(self.submit_entity_id)

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
        return _html.job(self)


class Submission(_Entity[_core.SubmissionRecord], SubmissionFacts, Labelled):
    """A submission of a scenario or task: its jobs and their statuses.

    Example:
        >>> sub = scenario.submit()
        >>> {j.task_config_id: j.status.name for j in sub.jobs}
        {'preprocess_and_score': 'SKIPPED', ...}
    """

    def __init__(self, record: _core.SubmissionRecord, engine: _core.Engine) -> None:
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
                f"submission {self.id} is BLOCKED: {'; '.join(blocked)}; write the data node, then submit again",
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
        from scenarium import _plots  # upward (tests/test_layers.py): matplotlib is optional

        return _plots.timeline(self)

    def _repr_html_(self) -> str:
        return _html.submission(self)


class Sequence(_Entity[None], Submittable, Labelled):  # no record of its own: a part of its scenario
    """A named part of a scenario's tasks that can be submitted on its own (Taipy's
    sequences): ``scenario.sequences["sales"].submit()`` runs its tasks only, with the
    same skipping and records as a whole submission.

    Example:
        >>> seq = scenario.add_sequence("scoring", [scenario.preprocess_and_score])
        >>> seq.submit().jobs[0].status.name
        'SKIPPED'
    """

    def __init__(self, scenario: Scenario, name: str) -> None:
        self._scenario = scenario
        self._engine = scenario._engine
        self.name = name
        self.id = f"SEQUENCE_{name}_{scenario.id}"

    @property
    def owner_id(self) -> str:
        return self._scenario.id

    @property
    def parent_ids(self) -> set[str]:
        return {self._scenario.id}

    @property
    def properties(self) -> dict[str, Any]:
        """The properties given to ``add_sequence`` (or ``update_sequence``), and its name."""
        given = self._scenario._refresh().sequence_properties.get(self.name, {})
        return {**given, "name": self.name}

    @property
    def subscribers(self) -> list[tuple[Callable[..., Any], list[Any]]]:
        """(callback, params) of each subscription to this sequence (``sc.subscribe_sequence``)."""
        return _events.subscribers(self.id)

    def subscribe(self, callback: Callable[..., Any], params: list[Any] | None = None) -> None:
        """Calls ``callback(sequence, job, *params)`` on each status change of its jobs."""
        _events.subscribe(callback, params, [self.id])

    def unsubscribe(self, callback: Callable[..., Any], params: list[Any] | None = None) -> None:
        _events.unsubscribe(callback, params, [self.id])

    @property
    def tasks(self) -> dict[str, Task]:
        names = self._scenario._refresh().sequences.get(self.name, [])
        return {cfg: task for cfg, task in self._scenario.tasks.items() if cfg in names}

    @property
    def data_nodes(self) -> dict[str, DataNode]:
        found: dict[str, DataNode] = {}
        for task in self.tasks.values():
            found.update(task.input)
            found.update(task.output)
        return found

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            tasks = self.tasks
            if name in tasks:
                return tasks[name]
            nodes = self.data_nodes
            if name in nodes:
                return nodes[name]
        raise AttributeError(f"sequence {self.__dict__.get('id')!r} has no attribute, task or data node {name!r}")

    def get_parents(self) -> dict[str, set[Any]]:
        return {"scenario": {self._scenario}}

    def submit(self, force: bool = False, wait: bool = True, **options: Any) -> Submission:
        """Submits the sequence's tasks (see ``sc.submit``)."""
        from scenarium._api import submit  # the API is a layer up; see tests/test_layers.py

        return submit(self, force=force, wait=wait, **options)

    @property
    def _owner_label(self) -> str | None:
        return self._scenario.get_label()

    def __repr__(self) -> str:
        return self.get_label()  # as Taipy's (see DataNode.__repr__)


class Scenario(_Entity[_core.ScenarioRecord], Submittable, Labelled):
    """A scenario: its data nodes (also as attributes), tasks and submissions.

    Example:
        >>> s = sc.create_scenario(scenario_cfg, name="another")
        >>> s.submit()  # the first scenario's results, reused without running: COMPLETED as Taipy says
        Submission(id='SUBMISSION_scenario_...', status=COMPLETED, jobs=[preprocess_and_score=COMPLETED, ...])
        >>> s.submit().jobs[0].status.name  # this scenario's outputs hold them now
        'SKIPPED'
        >>> s.high_value_summary_df.read().columns
        ['SummaryStatisticType', 'AveragePurchaseHighValue', 'MedianScoreHighValue', 'SegmentAnalysisHighValue']
    """

    def __init__(self, record: _core.ScenarioRecord, engine: _core.Engine) -> None:
        self.__dict__["_record"] = record
        self.__dict__["_engine"] = engine
        self.__dict__["id"] = record.id

    def _refresh(self) -> _core.ScenarioRecord:
        record = self._engine.scenario(self.id)
        self.__dict__["_record"] = record
        return record

    def __getattr__(self, name: str) -> Any:
        record = self.__dict__["_record"]
        if name in record.data_nodes:
            return DataNode._from_id(record.data_nodes[name], self.__dict__["_engine"])
        for config_id, task_id in record.tasks:
            if config_id == name:
                return Task(self.__dict__["_engine"].task(task_id), self.__dict__["_engine"])
        if name in record.sequences:
            return Sequence(self, name)
        raise AttributeError(
            f"scenario {record.config_id!r} has no attribute, data node or task {name!r}, nor a sequence of that name "
            f"(data nodes: {', '.join(record.data_nodes)}; tasks: {', '.join(c for c, _ in record.tasks)}; "
            f"sequences: {', '.join(record.sequences) or 'none'})"
        )

    @property
    def owner_id(self) -> str | None:
        """Its cycle's id, as Taipy's."""
        return self._refresh().cycle_id

    @property
    def additional_data_nodes(self) -> dict[str, DataNode]:
        """Its data nodes that no task reads or writes."""
        used = {dn.id for t in self.tasks.values() for dn in t.data_nodes.values()}
        return {k: v for k, v in self.data_nodes.items() if v.id not in used}

    def set_primary(self) -> None:
        """Makes it its cycle's primary scenario (``sc.set_primary``)."""
        r = self._refresh()
        self.__dict__["_record"] = self._engine.update_scenario(r.id, r.name, r.tags, True)

    def is_deletable(self) -> bool:
        """Whether ``sc.delete`` takes it: unless it is the primary of a cycle that has
        other scenarios (Taipy's rule)."""
        record = self._refresh()
        if not record.is_primary or record.cycle_id is None:
            return True
        return sum(r.cycle_id == record.cycle_id for r in self._engine.scenarios()) == 1

    def rename_sequence(self, old_name: str, new_name: str) -> None:
        """Gives sequence ``old_name`` a new name, with its tasks and properties."""
        record = self._refresh()
        if old_name not in record.sequences:
            raise NonExistingEntity(f"scenario {self.id} has no sequence {old_name!r}")
        if new_name in record.sequences:
            raise SequenceAlreadyExists(f"scenario {self.id} already has a sequence {new_name!r}")
        sequences = {new_name if k == old_name else k: v for k, v in record.sequences.items()}
        given = {new_name if k == old_name else k: v for k, v in record.sequence_properties.items()}
        self._store_sequences(sequences, given)

    @property
    def properties(self) -> dict[str, Any]:
        """Taipy's scenario properties: its ``name`` (a copy: set ``scenario.name``)."""
        name = self._refresh().name
        return {} if name is None else {"name": name}

    def get_parents(self) -> dict[str, set[Any]]:
        """The cycle the scenario belongs to, if any (Taipy's ``get_parents``)."""
        cycle = self.cycle
        return {"cycle": {cycle}} if cycle is not None else {}

    @property
    def subscribers(self) -> list[tuple[Callable[..., Any], list[Any]]]:
        """(callback, params) of each subscription to this scenario (``subscribe``)."""
        return _events.subscribers(self.id)

    def subscribe(self, callback: Callable[..., Any], params: list[Any] | None = None) -> None:
        """Calls ``callback(scenario, job, *params)`` on each status change of its jobs."""
        _events.subscribe(callback, params, [self.id])

    def unsubscribe(self, callback: Callable[..., Any], params: list[Any] | None = None) -> None:
        _events.unsubscribe(callback, params, [self.id])

    def export(self, output_path: Any, override: bool = False, include_data: bool = False) -> None:
        """Writes the scenario to a zip file (see ``sc.export_scenario``)."""
        from scenarium._transfer import export_scenario  # a layer up; see tests/test_layers.py

        export_scenario(self, output_path, override, include_data)

    @property
    def sequences(self) -> dict[str, Sequence]:
        """The scenario's sequences by name: parts of its tasks that can be submitted alone."""
        return {name: Sequence(self, name) for name in self._refresh().sequences}

    def add_sequence(
        self,
        name: str,
        tasks: list[Any],
        properties: dict[str, Any] | None = None,
        subscribers: list[Any] | None = None,
    ) -> Sequence:
        """Adds sequence ``name`` of ``tasks`` (Task entities, TaskConfigs or config ids of
        this scenario's tasks) with its ``properties``, as Taipy's; a name the scenario
        already has a sequence of raises ``SequenceAlreadyExists`` (``update_sequence``
        replaces one).

        Example:
            >>> seq = scenario.add_sequence("scoring", [scenario.preprocess_and_score], {"owner": "ana"})
            >>> [t for t in seq.tasks], seq.properties["owner"]
            (['preprocess_and_score'], 'ana')
        """
        if name in self._refresh().sequences:
            raise SequenceAlreadyExists(
                f"scenario {self.id} already has a sequence {name!r}; update_sequence replaces it"
            )
        return self._set_sequence(name, tasks, properties, subscribers)

    def update_sequence(
        self,
        name: str,
        tasks: list[Any],
        properties: dict[str, Any] | None = None,
        subscribers: list[Any] | None = None,
    ) -> Sequence:
        """Replaces the tasks and properties of sequence ``name``, as Taipy's."""
        if name not in self._refresh().sequences:
            raise NonExistingEntity(f"scenario {self.id} has no sequence {name!r}")
        return self._set_sequence(name, tasks, properties, subscribers)

    def _set_sequence(
        self, name: str, tasks: list[Any], properties: dict[str, Any] | None, subscribers: list[Any] | None
    ) -> Sequence:
        record = self._refresh()
        sequences = {**record.sequences, str(name): self._task_config_ids(tasks)}
        given = {**record.sequence_properties, str(name): _codec.json_safe(dict(properties or {}))}
        self._store_sequences(sequences, given)
        sequence = Sequence(self, name)
        for subscriber in subscribers or []:
            callback, params = subscriber if isinstance(subscriber, tuple) else (subscriber, None)
            _events.subscribe(callback, params, [sequence.id])
        return sequence

    def add_sequences(self, sequences: dict[str, list[Any]]) -> None:
        """Adds several sequences, ``{name: tasks}``, all or none (as ``add_sequence``)."""
        if not isinstance(sequences, dict):
            raise TypeError(f"add_sequences: sequences must be a dict of name: tasks, got {type(sequences).__name__}")
        record = self._refresh()
        taken = [name for name in sequences if name in record.sequences]
        if taken:
            raise SequenceAlreadyExists(f"scenario {self.id} already has sequence(s) {', '.join(map(repr, taken))}")
        added = {str(name): self._task_config_ids(tasks) for name, tasks in sequences.items()}
        self._store_sequences({**record.sequences, **added}, record.sequence_properties)

    @staticmethod
    def _task_config_ids(tasks: list[Any]) -> list[str]:
        return [t if isinstance(t, str) else t.config_id if isinstance(t, Task) else t.id for t in tasks]

    def _store_sequences(self, sequences: dict[str, list[str]], properties: dict[str, dict[str, Any]]) -> None:
        try:
            self.__dict__["_record"] = self._engine.set_sequences(self.id, sequences, properties)
        except ValueError as e:
            raise InvalidArgument(str(e)) from None

    def remove_sequence(self, name: str) -> None:
        """Removes sequence ``name`` (its tasks stay in the scenario)."""
        self.remove_sequences([name])

    def remove_sequences(self, names: str | list[str]) -> None:
        """Removes the named sequences (one name or a list)."""
        wanted = [names] if isinstance(names, str) else list(names)
        current = dict(self._refresh().sequences)
        missing = [n for n in wanted if n not in current]
        if missing:
            raise NonExistingEntity(f"scenario {self.id} has no sequence {', '.join(map(repr, missing))}")
        self._store_sequences(
            {k: v for k, v in current.items() if k not in wanted}, self._refresh().sequence_properties
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__["_record"].data_nodes:
            raise AttributeError(f"use scenario.{name}.write(value) to change data node {name!r}")
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        record = self.__dict__["_record"]
        return sorted({*super().__dir__(), *record.data_nodes, *(c for c, _ in record.tasks)})

    @property
    def config_id(self) -> str:
        return self._record.config_id

    @property
    def name(self) -> str | None:
        return self._refresh().name

    @name.setter
    def name(self, value: str | None) -> None:
        value = None if value is None else _arguments.text("Scenario.name", "name", value)
        r = self._refresh()
        self.__dict__["_record"] = self._engine.update_scenario(self.id, value, r.tags, r.is_primary)

    @property
    def creation_date(self) -> datetime:
        return _dt(self._record.creation_date)  # type: ignore[return-value]

    @property
    def is_primary(self) -> bool:
        return self._refresh().is_primary

    @property
    def tags(self) -> set[str]:
        return set(self._refresh().tags)

    def add_tag(self, tag: str) -> None:
        _arguments.text("Scenario.add_tag", "tag", tag)
        r = self._refresh()
        tags = sorted({*r.tags, tag})
        self.__dict__["_record"] = self._engine.update_scenario(self.id, r.name, tags, r.is_primary)

    def remove_tag(self, tag: str) -> None:
        _arguments.text("Scenario.remove_tag", "tag", tag)
        r = self._refresh()
        tags = sorted(set(r.tags) - {tag})
        self.__dict__["_record"] = self._engine.update_scenario(self.id, r.name, tags, r.is_primary)

    def has_tag(self, tag: str) -> bool:
        return tag in self.tags

    @property
    def version(self) -> str:
        """The configuration version the scenario was created from."""
        return self._record.config_version

    @property
    def cycle_id(self) -> str | None:
        return self._record.cycle_id

    @property
    def cycle(self) -> Cycle | None:
        """The cycle the scenario was created in (its config has a ``frequency``)."""
        return None if self._record.cycle_id is None else Cycle(self._record.cycle_id, self._engine)

    @property
    def data_nodes(self) -> dict[str, DataNode]:
        return {cfg: DataNode._from_id(dn, self._engine) for cfg, dn in self._record.data_nodes.items()}

    @property
    def tasks(self) -> dict[str, Task]:
        return {cfg: Task(self._engine.task(t), self._engine) for cfg, t in self._record.tasks}

    @property
    def submissions(self) -> list[Submission]:
        return [Submission(r, self._engine) for r in self._engine.submissions(self.id)]

    def submit(
        self,
        force: bool = False,
        wait: bool = True,
        timeout: float | None = None,
        on_event: Callable[[Job], None] | None = None,
        dry_run: bool = False,
        progress: bool | None = None,
    ) -> Any:
        """Runs the scenario's tasks, skipping those whose inputs and code are unchanged.

        ``force=True`` re-runs skippable tasks. With ``wait=True`` (the default)
        a failed task raises :class:`JobFailed`; with ``wait=False`` the
        submission runs in the background and ``Submission.wait()`` joins it.
        ``dry_run=True`` runs nothing and returns an :class:`Explanation` of
        what would run and why (see :func:`scenarium.dry_run`).
        While it waits, progress shows in Jupyter and in a terminal;
        ``progress=False`` (or ``Config.configure_core(progress=False)``) turns
        it off, ``progress=True`` shows it even when the output is not a terminal.
        """
        from scenarium._api import dry_run as plan  # the API is a layer up; see tests/test_layers.py
        from scenarium._api import submit  # (the same)

        if dry_run:
            return plan(self, force=force)
        return submit(self, force=force, wait=wait, timeout=timeout, on_event=on_event, progress=progress)

    @property
    def _owner_label(self) -> str | None:
        return _label_of(self.owner_id, self._engine)

    def __repr__(self) -> str:
        return self.get_label()  # as Taipy's (see DataNode.__repr__)

    def dag(self) -> _dag_svg.Picture:
        """The scenario's graph as a picture: data nodes and tasks, each task coloured
        by the status of its job in the latest submission.

        Example:
            >>> scenario.dag()
            Picture of 13 nodes: path_to_data -> preprocess_and_score; ...
            >>> scenario.dag().save("pipeline.svg")
        """
        return _dag_svg.Picture(*_html.scenario_graph(self))

    def _repr_html_(self) -> str:
        return _html.scenario(self)
