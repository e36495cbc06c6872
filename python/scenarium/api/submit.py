"""Making and running scenarios, with Taipy's names: ``create_scenario``, ``submit`` (it
waits for the submission's jobs unless ``wait=False``: ``engine.run_submission`` runs them,
``_job_listener`` turns the core's job events into Taipy's events and the progress
display), ``subscribe_scenario`` and the like, ``cancel_job``, ``dry_run``, ``why``, ``Orchestrator``.
"""

from __future__ import annotations

import threading
import warnings
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Union

from scenarium._core import Engine, JobRecord, StoredValue
from scenarium._utils import arguments as _arguments
from scenarium.config import Config, ScenarioConfig
from scenarium.config import check as _config_check
from scenarium.display import progress as _progress
from scenarium.entities import (
    Explanation,
    Job,
    Scenario,
    Sequence,
    Status,
    Submission,
    SubmissionStatus,
    Task,
)
from scenarium.entities import actions as _actions
from scenarium.entities import events as _events
from scenarium.entities.events import EventEntityType, EventOperation
from scenarium.exceptions import ConfigError
from scenarium.identity.why import KeyReport
from scenarium.run import dask as _dask
from scenarium.run import external_sync as _external_sync
from scenarium.run import modes as _modes
from scenarium.run import runtime as _runtime
from scenarium.storage import codec as _codec

if TYPE_CHECKING:  # the payload types exist only in the stub
    from scenarium._core import DataNodeSpec, ScenarioSpec
from scenarium.api.functions import get, get_scenarios, get_sequences


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


def _default_values(engine: Engine, config: ScenarioConfig, spec: ScenarioSpec, skip: Any) -> dict[str, StoredValue]:
    """The first values of the data nodes of ``spec`` (but those in ``skip``): their
    default_data."""
    by_id = {d.id: d for d in config.data_node_configs}
    defaults: dict[str, StoredValue] = {}
    for dn_spec in spec["data_nodes"]:
        cfg = by_id[dn_spec["id"]]
        if cfg.id in skip:
            continue
        # A file-backed node's existing file becomes its first version when the
        # node is first read or submitted (the core copies it into the store).
        if cfg.default_data is not None:
            defaults[cfg.id] = _codec.encode(engine, cfg.default_data, _DefaultTarget(dn_spec))
    return defaults


def _follow_config(engine: Engine, scenario: Scenario) -> None:
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
    runner = _modes.TaskRunner(engine, mode=Config.job_config.mode, submitting=True, force=force)
    callback = _job_listener(engine, entity, on_event, record.id)
    callback.announce_submitted(created)  # type: ignore[attr-defined]
    workers = _workers()

    def submitted() -> None:  # Taipy publishes it once the orchestrator has the jobs (after they ran, waiting)
        _events.publish(_ENTITY_TYPE[type(entity)], EventOperation.SUBMISSION, entity.id, submission_id=record.id)

    if wait:
        where = _progress.wanted(progress, Config.core.properties.get("progress"))
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

    def report(job: JobRecord) -> None:
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

    def __init__(self, record: JobRecord, engine: Engine, status: Status) -> None:
        super().__init__(record, engine)
        self._announced = status

    @property
    def status(self) -> Status:
        return self._announced


def _job_listener(
    engine: Engine,
    entity: Scenario | Sequence | Task,
    on_event: Callable[[Job], None] | None,
    submission_id: str | None = None,
) -> Callable[[JobRecord], None]:
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

    def listen(record: JobRecord) -> None:
        if record.id in blocked and record.status in _STARTED:
            blocked.discard(record.id)
            deliver(_AnnouncedJob(record, engine, Status.PENDING))  # its inputs are ready now
        deliver(Job(record, engine))

    def announce_submitted(records: list[JobRecord]) -> None:
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


class Orchestrator:
    """Taipy's service object. scenarium needs no service: ``run()`` does nothing."""

    def run(self, *args: Any, **kwargs: Any) -> None:
        return None

    def stop(self, *args: Any, **kwargs: Any) -> None:
        return None


Core = Orchestrator


# What the entities' methods call (entities/actions.py: they cannot import this layer).
_actions.submit, _actions.dry_run = submit, dry_run
