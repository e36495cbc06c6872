"""``Scenario`` and its ``Sequence``s (named parts of its tasks, submitted alone): a
scenario holds its data nodes, tasks, sequences and submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from scenarium._core import (
    Engine,
    ScenarioRecord,
)
from scenarium._utils import arguments as _arguments
from scenarium.display import dag_svg as _dag_svg
from scenarium.entities import actions as _actions
from scenarium.entities import events as _events
from scenarium.entities import html as _entities_html

# What the core says of a version it refused because gc collected its object meanwhile
# (src/store/objects.rs, require_stored).
from scenarium.entities.base import _dt, _Entity, _label_of
from scenarium.entities.cycle import Cycle
from scenarium.entities.data_node import DataNode
from scenarium.entities.taipy_members import Labelled, Submittable
from scenarium.entities.task import Job, Submission, Task
from scenarium.exceptions import (
    InvalidArgument,
    NonExistingEntity,
    SequenceAlreadyExists,
)
from scenarium.storage import codec as _codec


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
        return _actions.submit(self, force=force, wait=wait, **options)

    @property
    def _owner_label(self) -> str | None:
        return self._scenario.get_label()

    def __repr__(self) -> str:
        return self.get_label()  # as Taipy's (see DataNode.__repr__)


class Scenario(_Entity[ScenarioRecord], Submittable, Labelled):
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

    def __init__(self, record: ScenarioRecord, engine: Engine) -> None:
        self.__dict__["_record"] = record
        self.__dict__["_engine"] = engine
        self.__dict__["id"] = record.id

    def _refresh(self) -> ScenarioRecord:
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
        _actions.export_scenario(self, output_path, override, include_data)

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
        if dry_run:
            return _actions.dry_run(self, force=force)
        return _actions.submit(self, force=force, wait=wait, timeout=timeout, on_event=on_event, progress=progress)

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
        return _dag_svg.Picture(*_entities_html.scenario_graph(self))

    def _repr_html_(self) -> str:
        return _entities_html.scenario(self)
