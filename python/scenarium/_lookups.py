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

from scenarium import _runtime
from scenarium._api import get, get_scenarios
from scenarium._cycle import Cycle
from scenarium.entities import DataNode, Job, Scenario, Submission, Task
from scenarium.exceptions import NonExistingEntity


def get_cycles() -> list[Cycle]:
    """Every cycle some scenario was created in, oldest first."""
    ids = {r.cycle_id for r in _runtime.engine().scenarios() if r.cycle_id}
    return sorted((Cycle(i) for i in ids), key=lambda c: (c.start_date, c.id))


def get_cycles_scenarios() -> dict[Cycle, list[Scenario]]:
    """The scenarios of each cycle."""
    found: dict[Cycle, list[Scenario]] = {}
    for scenario in get_scenarios():
        if scenario.cycle_id:
            found.setdefault(Cycle(scenario.cycle_id), []).append(scenario)
    return found


def get_tasks() -> list[Task]:
    """Every task of every scenario."""
    return [task for scenario in get_scenarios() for task in scenario.tasks.values()]


def get_latest_job(task: Union[Task, str]) -> Job | None:
    """The last job created for ``task`` (or the task with that id), if any."""
    task_id = task if isinstance(task, str) else task.id
    engine = _runtime.engine()
    jobs = [r for r in engine.jobs() if r.task_id == task_id]
    return Job(max(jobs, key=lambda r: r.created_at), engine) if jobs else None


def get_latest_submission(entity: Union[Scenario, Task, str]) -> Submission | None:
    """The last submission of a scenario or task (or its id), if any."""
    entity_id = entity if isinstance(entity, str) else entity.id
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
