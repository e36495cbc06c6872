"""``DataNode``: a data node's value, read and written through its storage type
(``storage.codec``, ``storage.external``), its history of versions, edits and locks,
filters and appends as Taipy has them."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from scenarium._core import (
    DataNodeRecord,
    Engine,
    VersionRecord,
)
from scenarium._utils import arguments as _arguments
from scenarium.config import Scope
from scenarium.entities import events as _events
from scenarium.entities import filters as _filter
from scenarium.entities import html as _entities_html

# What the core says of a version it refused because gc collected its object meanwhile
# (src/store/objects.rs, require_stored).
from scenarium.entities.base import _NOT_RECORDED, _TABLE_STORAGE, _dt, _Entity, _kind, _label_of
from scenarium.entities.events import EventEntityType, EventOperation
from scenarium.entities.filters import JoinOperator
from scenarium.entities.taipy_members import Labelled
from scenarium.exceptions import (
    DataNodeIsBeingEdited,
    InvalidArgument,
    NoData,
    NoDataWarning,
    StorageError,
)
from scenarium.run import external_sync as _external_sync
from scenarium.storage import codec as _codec
from scenarium.storage import exposed as _exposed
from scenarium.storage import frames as _frames


class DataNode(_Entity[DataNodeRecord], Labelled):
    """A data node of a scenario: ``read()`` its latest value, ``write()`` a new version.

    Example:
        >>> scenario.payment_threshold.read()
        1000
        >>> scenario.payment_threshold.write(1600)
    """

    @classmethod
    def _from_id(cls, id: str, engine: Engine) -> DataNode:
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

    def _latest(self) -> VersionRecord | None:
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
        if "columns" in edit and self.storage_type in _TABLE_STORAGE and _exposed.frame_kind(value) is None:
            value = _frames.as_table(value, self._record, list(edit.pop("columns")))  # as Taipy's docs write rows
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
        self.write(_frames.as_table(data, self._record, columns), job_id, **edit)

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
        scenarios = {
            _kind("Scenario")(r, self._engine) for r in self._engine.scenarios() if self.id in r.data_nodes.values()
        }
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
        return _entities_html.data_node(self)
