"""Entities looked up, saved and deleted, with Taipy's names: ``get``, ``get_parents``,
``get_scenarios`` and the other ``get_*``, ``set_primary``, ``save``, ``delete``,
``delete_job(s)``. Making and running scenarios is ``submit.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

from scenarium._utils import arguments as _arguments
from scenarium.entities import (
    DataNode,
    Job,
    Scenario,
    Sequence,
    Submission,
    Task,
)
from scenarium.entities import actions as _actions
from scenarium.entities import events as _events
from scenarium.entities.cycle import Cycle
from scenarium.entities.events import EventEntityType, EventOperation
from scenarium.exceptions import InvalidArgument, NonExistingEntity
from scenarium.run import runtime as _runtime

if TYPE_CHECKING:  # the payload types exist only in the stub
    pass


_PREFIXES = {
    "SCENARIO": "scenario", "DATANODE": "data_node", "TASK": "task", "JOB": "job", "SUBMISSION": "submission",
    "CYCLE": "cycle", "SEQUENCE": "sequence",
}  # fmt: skip


def get(entity_id: str) -> Any:
    """The scenario, data node, task, job or submission with this id (``TypeError``
    when ``entity_id`` is not a string, ``NonExistingEntity`` when nothing has it)."""
    if not isinstance(entity_id, str):
        raise TypeError(f"get takes an entity id (a str such as 'SCENARIO_...'), got {entity_id!r}")
    _arguments.entity_id("get", "entity_id", entity_id)
    engine = _runtime.engine()
    kind = _PREFIXES.get(entity_id.split("_", 1)[0])
    if kind == "scenario":
        return Scenario(engine.scenario(entity_id), engine)
    if kind == "data_node":
        return DataNode(engine.data_node(entity_id), engine)
    if kind == "task":
        return Task(engine.task(entity_id), engine)
    if kind == "job":
        return Job(engine.job(entity_id), engine)
    if kind == "submission":
        return Submission(engine.submission(entity_id), engine)
    if kind == "sequence":
        found = [s for s in get_sequences() if s.id == entity_id]
        if not found:
            raise NonExistingEntity(f"no scenario has a sequence with id {entity_id!r}")
        return found[0]
    if kind == "cycle":
        if not any(r.cycle_id == entity_id for r in engine.scenarios()):
            raise NonExistingEntity(f"no scenario was created in cycle {entity_id!r}")
        return Cycle(entity_id, engine)
    raise NonExistingEntity(
        f"{entity_id!r} is not an id scenarium makes (they start with {', '.join(p + '_' for p in _PREFIXES)})"
    )


def get_parents(entity: Union[DataNode, Task, Sequence, Scenario, str]) -> dict[str, set[Any]]:
    """The entities ``entity`` (or the entity with that id) belongs to, by kind, as
    Taipy's ``get_parents``: scenarios, tasks and sequences of a data node; the scenario
    and sequences of a task; the scenario of a sequence; the cycle of a scenario.

    Example:
        >>> sorted(t.config_id for t in sc.get_parents(scenario.payment_threshold)["task"])
        ['featurization_and_segmentation']
    """
    found = get(entity) if isinstance(entity, str) else entity
    if not isinstance(found, (DataNode, Task, Sequence, Scenario)):
        raise TypeError(f"get_parents takes a data node, task, sequence or scenario (or its id), got {entity!r}")
    return found.get_parents()


def get_scenarios(
    cycle: Cycle | None = None,
    tag: str | None = None,
    is_sorted: bool = False,
    descending: bool = False,
    sort_key: str = "name",
) -> list[Scenario]:
    """Every scenario in the registry, oldest first, as Taipy's: only those of ``cycle``
    and with ``tag`` if given; with ``is_sorted``, by ``sort_key`` ("name", "id",
    "config_id", "creation_date" or "tags").

    Example:
        >>> [s.name for s in sc.get_scenarios(is_sorted=True)]
        ['article', 'baseline', 'generous']
    """
    if cycle is not None:
        _arguments.instance("get_scenarios", "cycle", cycle, (Cycle,), "a Cycle or None")
    engine = _runtime.engine()
    found = [
        Scenario(r, engine)
        for r in engine.scenarios()
        if (tag is None or tag in r.tags) and (cycle is None or r.cycle_id == cycle.id)
    ]
    return _sorted(found, sort_key, descending) if is_sorted else found


def _sorted(scenarios: list[Scenario], sort_key: str, descending: bool) -> list[Scenario]:
    keys = {
        "name": lambda s: (s.name or "", s.creation_date),
        "id": lambda s: s.id,
        "config_id": lambda s: (s.config_id, s.creation_date),
        "creation_date": lambda s: s.creation_date,
        "tags": lambda s: (sorted(s.tags), s.creation_date),
    }
    if sort_key not in keys:
        raise InvalidArgument(f"sort_key {sort_key!r} is not one of {', '.join(keys)}")
    return sorted(scenarios, key=keys[sort_key], reverse=descending)


def get_sequences() -> list[Sequence]:
    """Every sequence of every scenario."""
    return [seq for scenario in get_scenarios() for seq in scenario.sequences.values()]


def get_primary_scenarios(is_sorted: bool = False, descending: bool = False, sort_key: str = "name") -> list[Scenario]:
    """The primary scenario of each config and cycle."""
    found = [s for s in get_scenarios() if s._record.is_primary]
    return _sorted(found, sort_key, descending) if is_sorted else found


def set_primary(scenario: Scenario) -> None:
    """Makes ``scenario`` the primary scenario of its cycle."""
    _arguments.instance("set_primary", "scenario", scenario, (Scenario,), "a Scenario").set_primary()


def save(entity: Any) -> None:
    """Taipy's ``tp.set``: saves an entity changed in memory. scenarium records every
    change when it is made (a write, a tag, a name), so there is nothing left to save."""
    if not isinstance(entity, (Scenario, Sequence, Task, DataNode, Job, Submission, Cycle)):
        raise TypeError(f"set takes a scenario, sequence, task, data node, job, submission or cycle, got {entity!r}")


def get_data_nodes() -> list[DataNode]:
    engine = _runtime.engine()
    return [DataNode(r, engine) for r in engine.data_nodes()]


def get_jobs() -> list[Job]:
    """Every job of every submission, oldest first."""
    engine = _runtime.engine()
    return [Job(r, engine) for r in engine.jobs()]


def get_submissions() -> list[Submission]:
    engine = _runtime.engine()
    return [Submission(r, engine) for r in engine.submissions()]


def delete(entity: Union[str, Scenario, Submission, Job]) -> None:
    """Deletes a scenario (or its id) with its own data nodes, tasks, jobs and
    submissions (shared data nodes stay; stored objects go at the next ``gc()``), or a
    finished submission with its jobs, or a finished job.

    Example:
        >>> sc.delete(sc.get_latest_submission(scenario).id)
    """
    entity_id = _arguments.entity_id("delete", "entity", entity)
    engine = _runtime.engine()
    kind = entity_id.split("_", 1)[0]
    try:
        if kind == "SCENARIO":
            engine.delete_scenario(entity_id)
            _events.publish(EventEntityType.SCENARIO, EventOperation.DELETION, entity_id)
        elif kind == "SUBMISSION":
            engine.delete_submission(entity_id)
            _events.publish(EventEntityType.SUBMISSION, EventOperation.DELETION, entity_id)
        elif kind == "JOB":
            engine.delete_job(entity_id)
            _events.publish(EventEntityType.JOB, EventOperation.DELETION, entity_id)
        elif kind == "SEQUENCE":
            sequence = get(entity_id)
            sequence._scenario.remove_sequence(sequence.name)
            _events.publish(EventEntityType.SEQUENCE, EventOperation.DELETION, entity_id)
        elif kind == "CYCLE":
            # As Taipy: a cycle goes with its scenarios.
            for scenario in get_scenarios(cycle=get(entity_id)):
                delete(scenario)
            _events.publish(EventEntityType.CYCLE, EventOperation.DELETION, entity_id)
        else:
            raise NonExistingEntity(
                f"scenarios, sequences, cycles, submissions and jobs can be deleted, not {entity_id!r} (a task or "
                "data node goes with its scenario)"
            )
    except ValueError as e:
        raise InvalidArgument(str(e)) from None


def delete_job(job: Union[Job, str], force: bool = False) -> None:
    """Deletes a finished job (any job with ``force``); what it computed stays cached."""
    job_id = _arguments.entity_id("delete_job", "job", job)
    try:
        _runtime.engine().delete_job(job_id, force)
    except ValueError as e:
        raise InvalidArgument(str(e)) from None
    _events.publish(EventEntityType.JOB, EventOperation.DELETION, job_id)


def delete_jobs() -> None:
    """Deletes every finished job."""
    for job in get_jobs():
        if job.is_finished():
            delete_job(job)


_actions.get = get  # Job.submit_entity (entities/actions.py: the entities cannot import this layer)
