"""Taipy's look-ups over the registry: cycles and their scenarios, the latest job or
submission, entities by config id, whether an id exists.

Example:
    >>> sc.get_latest_submission(scenario).entity_id == scenario.id
    True
    >>> [type(e).__name__ for e in sc.get_entities_by_config_id("payment_threshold")][:1]
    ['DataNode']
"""

from __future__ import annotations

from typing import Any, Union

from scenarium._utils import arguments as _arguments
from scenarium.api.functions import get, get_scenarios
from scenarium.api.submit import _DefaultTarget
from scenarium.config import DataNodeConfig
from scenarium.entities import DataNode, Job, Scenario, Sequence, Submission, Task
from scenarium.entities import events as _events
from scenarium.entities.cycle import Cycle
from scenarium.entities.events import EventEntityType, EventOperation
from scenarium.exceptions import InvalidArgument, NonExistingEntity
from scenarium.run import runtime as _runtime
from scenarium.storage import codec as _codec


def get_cycles() -> list[Cycle]:
    """Every cycle some scenario was created in, oldest first."""
    engine = _runtime.engine()
    ids = {r.cycle_id for r in engine.scenarios() if r.cycle_id}
    return sorted((Cycle(i, engine) for i in ids), key=lambda c: (c.start_date, c.id))


def get_cycles_scenarios() -> dict[Cycle, list[Scenario]]:
    """The scenarios of each cycle."""
    found: dict[Cycle, list[Scenario]] = {}
    for scenario in get_scenarios():
        if scenario.cycle_id:
            found.setdefault(Cycle(scenario.cycle_id, scenario._engine), []).append(scenario)
    return found


def get_tasks() -> list[Task]:
    """Every task of every scenario."""
    return [task for scenario in get_scenarios() for task in scenario.tasks.values()]


def get_latest_job(task: Union[Task, str]) -> Job | None:
    """The last job created for ``task`` (or the task with that id), if any."""
    task_id = _arguments.entity_id("get_latest_job", "task", task)
    engine = _runtime.engine()
    jobs = [r for r in engine.jobs() if r.task_id == task_id]
    return Job(max(jobs, key=lambda r: r.created_at), engine) if jobs else None


def get_latest_submission(entity: Union[Scenario, Task, str]) -> Submission | None:
    """The last submission of a scenario or task (or its id), if any."""
    entity_id = _arguments.entity_id("get_latest_submission", "entity", entity)
    engine = _runtime.engine()
    found = engine.submissions(entity_id)
    return Submission(max(found, key=lambda r: r.created_at), engine) if found else None


def get_entities_by_config_id(config_id: str) -> list[Union[Scenario, Task, DataNode]]:
    """The scenarios, tasks and data nodes made from the config with this id."""
    engine = _runtime.engine()
    scenarios = get_scenarios()
    found: list[Any] = [s for s in scenarios if s.config_id == config_id]
    found += [t for s in scenarios for t in s.tasks.values() if t.config_id == config_id]
    found += [DataNode(r, engine) for r in engine.data_nodes() if r.config_id == config_id]
    return found


def exists(entity_id: str) -> bool:
    """Whether the registry holds an entity (or a cycle) with this id."""
    try:
        get(entity_id)
    except NonExistingEntity:
        return False
    return True


def create_global_data_node(config: DataNodeConfig) -> DataNode:
    """The GLOBAL data node of ``config``, created (with its ``default_data``) if it does
    not exist yet, as Taipy's; a config of another scope raises ``InvalidArgument``.

    Example:
        >>> cfg = Config.configure_data_node("exchange_rate", scope=sc.Scope.GLOBAL, default_data=1.1)
        >>> sc.create_global_data_node(cfg).read()
        1.1
    """
    if not isinstance(config, DataNodeConfig):
        raise TypeError(f"create_global_data_node takes a DataNodeConfig, got {config!r}")
    engine = _runtime.engine()
    spec = config._spec()
    default = None
    if config.default_data is not None:
        default = _codec.encode(engine, config.default_data, _DefaultTarget(spec))
    try:
        record = engine.create_global_data_node(spec, default)
    except ValueError as e:
        raise InvalidArgument(str(e)) from None
    _events.publish(EventEntityType.DATA_NODE, EventOperation.CREATION, record.id)
    return DataNode(record, engine)


def clean_all_entities(version_number: str | None = None) -> bool:
    """Deletes every scenario (with its own data nodes, tasks, submissions and jobs) and
    every other submission and job, as Taipy's ``clean_all_entities``; GLOBAL data nodes
    stay (scenarium has no application versions: ``version_number`` is accepted).
    Stored objects go at the next ``gc()``."""
    engine = _runtime.engine()
    for scenario in get_scenarios():
        engine.delete_scenario(scenario.id)
        _events.publish(EventEntityType.SCENARIO, EventOperation.DELETION, scenario.id)
    for submission in engine.submissions():
        engine.delete_submission(submission.id, True)
    return True


def is_submittable(entity: Union[Scenario, Sequence, Task, str]) -> bool:
    """Whether submitting ``entity`` can run: every data node its tasks read, and no
    task of it writes, holds a value (Taipy's ``is_submittable``)."""
    found = get(entity) if isinstance(entity, str) else entity
    if not isinstance(found, (Scenario, Sequence, Task)):
        return False
    tasks = [found] if isinstance(found, Task) else list(found.tasks.values())
    written = {dn.id for task in tasks for dn in task.output.values()}
    nodes = [dn for task in tasks for dn in (*task.input.values(), *task.output.values())]
    if any(dn.edit_in_progress for dn in nodes):
        return False  # as Taipy: a data node locked by an editor is not written by a job
    return all(dn.is_ready_for_reading for task in tasks for dn in task.input.values() if dn.id not in written)


def is_promotable(scenario: Union[Scenario, str]) -> bool:
    """Whether ``scenario`` can become the primary of its cycle (it has one and is not it)."""
    found = get(scenario) if isinstance(scenario, str) else scenario
    return isinstance(found, Scenario) and found.cycle_id is not None and not found.is_primary


def is_deletable(entity: Any) -> bool:
    """Whether ``sc.delete`` takes ``entity``: a scenario, unless it is the primary of a
    cycle that has other scenarios (Taipy's rule); a finished job or submission."""
    found = get(entity) if isinstance(entity, str) else entity
    if isinstance(found, Scenario):
        return found.is_deletable()
    if isinstance(found, Job):
        return found.is_finished()
    if isinstance(found, Submission):
        return found.is_finished()
    return False


def is_readable(entity: Any) -> bool:
    """Whether ``entity`` can be read: anything this process can open (no access control)."""
    return exists(entity) if isinstance(entity, str) else True


def is_editable(entity: Any) -> bool:
    """Whether ``entity`` can be edited: anything this process can open (no access control)."""
    return is_readable(entity)


def can_create(config: Any = None) -> bool:
    """Whether scenarios can be created (always: no access control)."""
    return True
