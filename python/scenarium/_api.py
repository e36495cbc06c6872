"""Module-level functions, with Taipy's names: create_scenario, submit, get, ..."""

from __future__ import annotations

import threading
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Union

from scenarium import _arguments, _codec, _config_check, _core, _dask, _events, _external_sync, _progress, _runtime
from scenarium._cycle import Cycle
from scenarium._events import EventEntityType, EventOperation
from scenarium._why import KeyReport
from scenarium.config import Config, ScenarioConfig
from scenarium.entities import (
    DataNode,
    Explanation,
    Job,
    Scenario,
    Sequence,
    Status,
    Submission,
    SubmissionStatus,
    Task,
)
from scenarium.exceptions import ConfigError, InvalidArgument, NonExistingEntity

if TYPE_CHECKING:  # the payload types exist only in the stub
    from scenarium._core import DataNodeSpec, ScenarioSpec


class _DefaultTarget:
    """Stands in for a data node record while its default value is encoded."""

    def __init__(self, spec: DataNodeSpec) -> None:
        self.id = f"(new data node {spec['id']})"
        self.config_id = spec["id"]
        self.storage_type = spec["storage_type"]
        self.properties = spec["properties"]


def create_scenario(config: ScenarioConfig, creation_date: datetime | None = None, name: str | None = None) -> Scenario:
    """Creates a scenario from a ScenarioConfig, with its data nodes holding their defaults.

    Example:
        >>> s = sc.create_scenario(scenario_cfg, name="baseline")
    """
    if not isinstance(config, ScenarioConfig):
        raise ConfigError(f"create_scenario takes a ScenarioConfig, got {config!r}")
    _config_check.raise_if_invalid(Config._state, config)
    engine = _runtime.engine()
    spec = config._spec()
    defaults = _default_values(engine, config, spec, skip=())
    date = _arguments.moment("create_scenario", "creation_date", creation_date)
    name = None if name is None else _arguments.text("create_scenario", "name", name)
    record = engine.create_scenario(spec, defaults, name, date)
    if _events.Notifier._registrations:
        for dn_id in record.data_nodes.values():
            _events.publish(EventEntityType.DATA_NODE, EventOperation.CREATION, dn_id)
        for _, task_id in record.tasks:
            _events.publish(EventEntityType.TASK, EventOperation.CREATION, task_id)
        _events.publish(EventEntityType.SCENARIO, EventOperation.CREATION, record.id, config_id=record.config_id)
    return Scenario(record, engine)


def _default_values(
    engine: _core.Engine, config: ScenarioConfig, spec: ScenarioSpec, skip: Any
) -> dict[str, _core.StoredValue]:
    """The first values of the data nodes of ``spec`` (but those in ``skip``): their
    default_data."""
    by_id = {d.id: d for d in config.data_node_configs}
    defaults: dict[str, _core.StoredValue] = {}
    for dn_spec in spec["data_nodes"]:
        cfg = by_id[dn_spec["id"]]
        if cfg.id in skip:
            continue
        # A file-backed node's existing file becomes its first version when the
        # node is first read or submitted (the core copies it into the store).
        if cfg.default_data is not None:
            defaults[cfg.id] = _codec.encode(engine, cfg.default_data, _DefaultTarget(dn_spec))
    return defaults


def _follow_config(engine: _core.Engine, scenario: Scenario) -> None:
    """When this process configures the scenario's ScenarioConfig differently from
    the version the scenario was made with: upgrade the scenario if the change only
    adds tasks or data nodes, else raise ConfigVersionMismatch."""
    config = Config.scenarios.get(scenario.config_id)
    if config is None:
        return
    spec = config._spec()
    known = scenario._record.data_nodes
    defaults = _default_values(engine, config, spec, skip=known)
    record = engine.upgrade_scenario(scenario.id, spec, defaults)
    scenario.__dict__["_record"] = record


def submit(
    entity: Union[Scenario, Sequence, Task, str],
    force: bool = False,
    wait: bool = True,
    timeout: float | None = None,
    on_event: Callable[[Job], None] | None = None,
    progress: bool | None = None,
) -> Submission:
    """Submits a scenario (or a sequence, a single task, or their id) for execution; see
    :meth:`Scenario.submit`. Anything else raises ``TypeError``. With ``wait`` and a
    ``timeout`` (seconds), it waits at most that long, as Taipy's: the submission goes
    on in the background if it has not ended (``Submission.wait()`` joins it)."""
    timeout = _arguments.seconds("submit", "timeout", timeout)
    if wait and timeout is not None:
        submission = submit(entity, force, wait=False, on_event=on_event, progress=progress)
        submission.wait(timeout)
        if submission.is_finished():
            submission._warn_if_blocked()
            if submission.status is SubmissionStatus.FAILED:
                submission._raise_if_failed()
        return submission
    if isinstance(entity, str) and entity.split("_", 1)[0] in ("SCENARIO", "TASK", "SEQUENCE"):
        entity = get(entity)
    if not isinstance(entity, (Scenario, Sequence, Task)):
        raise TypeError(f"submit takes a Scenario, a Task or their id (or a Sequence), got {entity!r}")
    engine = _runtime.engine()
    if isinstance(entity, Scenario):
        _follow_config(engine, entity)
        tasks = [engine.task(task_id) for _, task_id in entity._record.tasks]
    elif isinstance(entity, Sequence):
        tasks = [t._record for t in entity.tasks.values()]
    else:
        tasks = [entity._record]
    # What databases and generic functions hold now is what this submission reads.
    _external_sync.take_in_inputs(engine, tasks)
    record = engine.create_submission(entity.id, force)
    _events.publish(EventEntityType.SUBMISSION, EventOperation.CREATION, record.id)
    created = [engine.job(job_id) for job_id in record.job_ids]
    for job in created:
        _events.publish(EventEntityType.JOB, EventOperation.CREATION, job.id)
    _events.publish(EventEntityType.SUBMISSION, EventOperation.UPDATE, record.id, "jobs", list(record.job_ids))
    runner = _runtime.TaskRunner(engine, mode=Config.job_config.mode, submitting=True)
    callback = _job_listener(engine, entity, on_event, record.id)
    callback.announce_submitted(created)  # type: ignore[attr-defined]
    workers = _workers()

    def submitted() -> None:  # Taipy publishes it once the orchestrator has the jobs (after they ran, waiting)
        _events.publish(_ENTITY_TYPE[type(entity)], EventOperation.SUBMISSION, entity.id, submission_id=record.id)

    if wait:
        where = _progress.wanted(progress)
        shown = None if where is None else _progress.Progress(where, record.id, len(record.job_ids))
        try:
            ended = engine.run_submission(record.id, runner, _progress.wrap(shown, callback), workers)
        finally:
            if shown is not None:
                shown.close()
        done = Submission(ended, engine)
        submitted()
        _external_sync.write_out_skipped(engine, [j._record for j in done.jobs])
        done._warn_if_blocked()
        if done.status is SubmissionStatus.FAILED:
            done._raise_if_failed()
        return done
    submission = Submission(record, engine)
    submitted()

    def report(job: _core.JobRecord) -> None:
        submission._events.put(Job(job, engine))
        callback(job)

    def run() -> None:
        try:
            ended = engine.run_submission(record.id, runner, report, workers)
            _external_sync.write_out_skipped(engine, [engine.job(j) for j in ended.job_ids])
        except BaseException as e:  # surfaced by Submission.wait()
            submission._error = e
        finally:
            submission._events.put(None)

    # Not a daemon: at exit Python waits for the submission to end, as Taipy does (the
    # jobs were asked for), and the core never runs on while the interpreter finalizes:
    # a daemon thread taking the GIL back then is ended by an unwind through Rust, an abort.
    submission._thread = threading.Thread(target=run, name=f"scenarium-{record.id}", daemon=False)
    submission._thread.start()
    return submission


_ENTITY_TYPE = {Scenario: EventEntityType.SCENARIO, Sequence: EventEntityType.SEQUENCE, Task: EventEntityType.TASK}


class _AnnouncedJob(Job):
    """A job as it was at a status change the core does not report (Taipy's PENDING once a
    BLOCKED job's inputs are ready): its status is that one."""

    def __init__(self, record: _core.JobRecord, engine: _core.Engine, status: Status) -> None:
        super().__init__(record, engine)
        self._announced = status

    @property
    def status(self) -> Status:
        return self._announced


def _job_listener(
    engine: _core.Engine,
    entity: Scenario | Sequence | Task,
    on_event: Callable[[Job], None] | None,
    submission_id: str | None = None,
) -> Callable[[_core.JobRecord], None]:
    """What each job status change goes to: ``on_event``, the scenario's (and the
    sequence's) subscribers with ``(scenario, job, *params)``, and the Notifier; in the
    order Taipy reports them (``announce_submitted`` first): a job blocked at submission
    goes through PENDING before it runs, and each change updates the submission too."""
    scenario = entity if isinstance(entity, Scenario) else entity._scenario if isinstance(entity, Sequence) else None
    if isinstance(entity, Task):
        scenario = Scenario(engine.scenario(entity.scenario_id), engine)
    assert scenario is not None
    owners: list[tuple[Any, str]] = [(scenario, scenario.id)]
    if isinstance(entity, Sequence):
        owners.append((entity, entity.id))

    blocked: set[str] = set()  # announced BLOCKED, not yet PENDING
    statuses: dict[str, str] = {}  # each job's last status delivered
    submission_status = ["SUBMITTED"]

    def deliver(job: Job) -> None:
        status = job.status.value
        _events.publish(EventEntityType.JOB, EventOperation.UPDATE, job.id, "status", status)
        if on_event is not None:
            on_event(job)
        for owner, owner_id in owners:
            for subscriber, params in _events.subscribers(owner_id):
                try:
                    subscriber(owner, job, *params)
                except Exception as e:  # noqa: BLE001  (a subscriber's failure must not stop the jobs)
                    warnings.warn(
                        f"subscriber {getattr(subscriber, '__qualname__', subscriber)!r} raised {e!r}", stacklevel=2
                    )
        statuses[job.id] = status
        now = _taipy_submission_status(statuses.values())
        if submission_id is not None and now != submission_status[0]:  # Taipy publishes the changes only
            submission_status[0] = now
            _events.publish(EventEntityType.SUBMISSION, EventOperation.UPDATE, submission_id, "submission_status", now)

    def listen(record: _core.JobRecord) -> None:
        if record.id in blocked and record.status in _STARTED:
            blocked.discard(record.id)
            deliver(_AnnouncedJob(record, engine, Status.PENDING))  # its inputs are ready now
        deliver(Job(record, engine))

    def announce_submitted(records: list[_core.JobRecord]) -> None:
        """Each job's first status, PENDING or BLOCKED, as Taipy reports it at submission."""
        for record in records:
            if record.status == "BLOCKED":
                blocked.add(record.id)
            deliver(Job(record, engine))

    listen.announce_submitted = announce_submitted  # type: ignore[attr-defined]
    return listen


def _taipy_submission_status(jobs: Iterable[str]) -> str:
    """A submission's status from its jobs' as Taipy computes it while they change."""
    found = set(jobs)
    for status in ("FAILED", "CANCELED", "RUNNING", "PENDING", "BLOCKED"):
        if status in found:
            return status
    return "COMPLETED" if found <= {"COMPLETED", "SKIPPED", "ABANDONED"} else "SUBMITTED"


# The statuses a job reaches once its inputs are ready (its PENDING comes before them).
_STARTED = frozenset({"RUNNING", "COMPLETED", "SKIPPED", "FAILED"})


def subscribe_scenario(
    callback: Callable[..., Any], params: list[Any] | None = None, scenario: Scenario | None = None
) -> None:
    """Calls ``callback(scenario, job, *params)`` on each status change of a job of
    ``scenario``, or of every scenario that exists now (Taipy's subscriptions).

    Example:
        >>> seen = []
        >>> sc.subscribe_scenario(lambda s, job: seen.append(job.status.name), scenario=scenario)
        >>> _ = scenario.submit()
        >>> "SKIPPED" in seen
        True
    """
    ids = [scenario.id] if scenario is not None else [s.id for s in get_scenarios()]
    _events.subscribe(callback, params, ids)


def unsubscribe_scenario(
    callback: Callable[..., Any], params: list[Any] | None = None, scenario: Scenario | None = None
) -> None:
    """Ends ``callback``'s subscription to ``scenario`` (or to every scenario)."""
    ids = [scenario.id] if scenario is not None else [s.id for s in get_scenarios()]
    _events.unsubscribe(callback, params, ids)


def subscribe_sequence(
    callback: Callable[..., Any], params: list[Any] | None = None, sequence: Sequence | None = None
) -> None:
    """As ``subscribe_scenario``, for the jobs of a sequence's submissions."""
    ids = [sequence.id] if sequence is not None else [s.id for s in get_sequences()]
    _events.subscribe(callback, params, ids)


def unsubscribe_sequence(
    callback: Callable[..., Any], params: list[Any] | None = None, sequence: Sequence | None = None
) -> None:
    ids = [sequence.id] if sequence is not None else [s.id for s in get_sequences()]
    _events.unsubscribe(callback, params, ids)


def _workers() -> int:
    """Jobs run at once: ``Config.configure_job_executions(max_nb_of_workers=...)``
    (default 1: one after another, as Taipy's development mode). Independent jobs
    then run on that many threads; native tasks run without the GIL."""
    if Config.job_config.mode == "dask" and Config.job_config.max_nb_of_workers == 1:
        return _dask.threads()
    return Config.job_config.max_nb_of_workers


def cancel_job(job: Job | str) -> None:
    """Keeps a job of a submission running in this process from starting: it ends
    CANCELED and its dependants ABANDONED; the rest of the submission goes on.

    Example:
        >>> sub = scenario.submit(wait=False)
        >>> sc.cancel_job(sub.jobs[-1])
    """
    engine = _runtime.engine()
    job_id = _arguments.entity_id("cancel_job", "job", job)
    record = engine.job(job_id)
    engine.cancel_job(record.submission_id, job_id)


def dry_run(entity: Union[Scenario, Task], force: bool = False) -> Explanation:
    """What a submit would do, without running or recording anything.

    Each task gets "run", "skip", "may run" (after an upstream task that will
    run: skipped only if that task's outputs come out unchanged) or "fail".

    Example:
        >>> scenario.payment_threshold.write(1234)
        >>> print(sc.dry_run(scenario))
        Dry run of SCENARIO_scenario_1_...
        preprocess_and_score                skip     same code and inputs as JOB_preprocess_and_score_...
        featurization_and_segmentation      run      input "payment_threshold" changed: 1000 -> 1234
        segment_analysis                    may run  ...
        high_value_cust_summary_statistics  may run  ...
    """
    engine = _runtime.engine()
    _arguments.instance("dry_run", "entity", entity, (Scenario, Sequence, Task), "a Scenario, Sequence or Task")
    rows = engine.plan(entity.id, _runtime.TaskRunner(engine), force)
    return Explanation(rows, f"Dry run of {entity.id}")


def why(entity: Union[Task, Scenario, str]) -> Any:
    """The whole cache key of a task, part by part: the functions, classes, values
    and packages its code reaches, the files and environment variables it declares,
    its inputs (with the files and folders they name), how its outputs are stored,
    what changed since its last job and what the next submit would do. For a
    scenario, a dict of these by task config id. Runs and writes nothing.

    Example:
        >>> scenario.payment_threshold.write(1234)
        >>> print(sc.why(scenario.tasks["featurization_and_segmentation"]))
        task featurization_and_segmentation: run (input "payment_threshold" changed: 1000 -> 1234)
          key ...
          code:
            native task customer_analysis.featurization_and_segmentation 1
          inputs:
            #0 scored_df@1 ...
            #1 payment_threshold@2 ...
            #2 score_threshold@1 ...
          outputs:
            segmented_customer_df {"properties": {}, "storage_type": "pickle"}
    """
    engine = _runtime.engine()
    runner = _runtime.TaskRunner(engine)
    if isinstance(entity, str):
        entity = get(entity)
    if isinstance(entity, Scenario):
        return {t.config_id: KeyReport(engine.key_report(t.id, runner)) for t in entity.tasks.values()}
    if not isinstance(entity, Task):
        raise TypeError(f"why() takes a Task, a Scenario or their id, not {type(entity).__name__}")
    return KeyReport(engine.key_report(entity.id, runner))


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


class Orchestrator:
    """Taipy's service object. scenarium needs no service: ``run()`` does nothing."""

    def run(self, *args: Any, **kwargs: Any) -> None:
        return None

    def stop(self, *args: Any, **kwargs: Any) -> None:
        return None


Core = Orchestrator
