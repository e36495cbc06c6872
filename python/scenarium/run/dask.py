"""``mode="dask"``: jobs run on a Dask distributed cluster, Python and native tasks alike.

The registry stays with the submitting process: a job is sent to a worker as
plain data (the task's function reference, its input values and the data nodes
it writes), and the worker opens only the object store of the storage folder
(which must be the same path on every worker: a shared file system), runs the
function, stores the outputs there and hands back their stored values. The
submitting process records the job exactly as in local mode.

Example (skipped when the docs are tested: it needs a Dask scheduler at that address;
``tests/test_dask.py`` runs the same on a local cluster):
    >>> Config.configure_job_executions(mode="dask", address="tcp://scheduler:8786")  # doctest: +SKIP
    >>> scenario.submit()  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from scenarium._core import DataNodeRecord, Engine, ObjectStore, StoredValue, TaskRecord, VersionRecord
from scenarium.config import Config
from scenarium.exceptions import ConfigError, MissingOptionalDependency

_clients: dict[str, Any] = {}
_lock = threading.Lock()
_TASK_FIELDS = ("id", "config_id", "scenario_id", "function", "inputs", "outputs", "properties")
_NODE_FIELDS = ("id", "config_id", "storage_type", "properties")


class _Record:
    """A registry record's fields, as plain data that pickles to a worker."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)

    def __getattr__(self, name: str) -> Any:
        # Only for the type checker: every field is set in __init__.
        raise AttributeError(name)


def _fields(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(record, name) for name in names}


def _distributed() -> Any:
    try:
        import distributed  # optional dependency (scenarium[dask])
    except ImportError:
        raise MissingOptionalDependency(
            "job execution mode 'dask' needs dask's distributed scheduler: pip install 'scenarium[dask]'"
        ) from None
    return distributed


def client() -> Any:
    """The Dask client of ``Config.configure_job_executions(mode="dask", client=... or address=...)``."""
    properties = Config.job_config.properties
    if properties.get("client") is not None:
        return properties["client"]
    address = properties.get("address")
    if address is None:
        raise ConfigError("job execution mode 'dask' needs address='tcp://...' or client=distributed.Client(...)")
    distributed = _distributed()
    with _lock:
        found = _clients.get(address)
        if found is None or found.status in ("closed", "closing"):
            found = _clients[address] = distributed.Client(address, set_as_default=False)
        return found


def threads() -> int:
    """How many jobs the cluster can run at once."""
    return max(1, sum(client().nthreads().values()))


def run(
    engine: Engine,
    task: TaskRecord,
    inputs: list[VersionRecord],
    outputs: list[DataNodeRecord],
    timeout: float | None,
) -> tuple[list[StoredValue] | None, str | None, str | None, dict[str, Any] | None]:
    """Runs one job on the cluster; (stored outputs, failure reason, traceback, what the
    run touched) as ``_runtime.run_task``."""
    refused = _refused_outputs(task, outputs)
    if refused is not None:
        return None, refused, None, None
    distributed = _distributed()
    nodes = {dn: _fields(engine.data_node(dn), _NODE_FIELDS) for _, dn in task.inputs}
    job = {
        "task": _fields(task, _TASK_FIELDS),
        "values": [v.value for v in inputs],
        "input_nodes": [nodes[dn] for _, dn in task.inputs],
        "output_nodes": [_fields(n, _NODE_FIELDS) for n in outputs],
    }
    key = f"{task.config_id}-{uuid.uuid4().hex}"  # unique, and names the task in Dask's dashboard
    future: Any = None
    try:
        spread = _spread_native_partitions(engine, task, job, key, timeout)
        if spread is not None:
            return spread
        future = client().submit(_run_on_worker, str(engine.storage_folder), job, pure=False, key=key)
        return future.result(timeout=timeout)
    except distributed.TimeoutError:
        if future is not None:
            future.cancel()
        return None, f"task {task.config_id!r} timed out after {timeout:g} s on the Dask cluster", None, None
    except KeyboardInterrupt:
        if future is not None:
            future.cancel()
        raise
    except Exception as e:  # noqa: BLE001  (the cluster's failure, reported as the job's)
        return None, _cluster_failure(task, e, distributed), None, None


def _refused_outputs(task: TaskRecord, outputs: list[Any]) -> str | None:
    """Why a job cannot run on the cluster: in_memory outputs a worker cannot hand back."""
    memory = [n.config_id for n in outputs if n.storage_type == "in_memory"]
    if not memory:
        return None
    return (
        f"task {task.config_id!r} writes in_memory data node(s) {', '.join(memory)}, which a Dask worker "
        "cannot hand back; use another storage_type"
    )


def _cluster_failure(task: TaskRecord, error: Exception, distributed: Any) -> str:
    """A job's (or a partition's) failure that is the cluster's, not the task's."""
    if isinstance(error, distributed.KilledWorker):
        return f"task {task.config_id!r}: the Dask worker running it died ({error})"
    return f"task {task.config_id!r}: the Dask cluster failed to run it: {type(error).__name__}: {error}"


def _spread_native_partitions(
    engine: Engine, task: TaskRecord, job: dict[str, Any], key: str, timeout: float | None
) -> tuple[None, str, None, None] | None:
    """A native task with ``partitioned=True``: its partitions are made side by side, one
    stride of them per worker thread (``run_native(..., stride=(i, n))`` remembers each
    partition it makes); the job that follows on one worker takes them all. Returns the
    failure of a stride, or None when every stride made its share (or there is one thread)."""
    if task.function.get("kind") != "native" or task.properties.get("partitioned") is not True:
        return None
    count = threads()
    if count < 2:
        return None
    cluster = client()
    futures = [
        cluster.submit(
            _run_on_worker,
            str(engine.storage_folder),
            {**job, "stride": (i, count)},
            pure=False,
            key=f"{key}[partitions {i} mod {count}]",
        )
        for i in range(count)
    ]
    try:
        for i, future in enumerate(futures):
            _, reason, *_ = future.result(timeout=timeout)
            if reason is not None:
                return None, f"partitions {i} mod {count} of {task.config_id!r}: {reason}", None, None
    finally:
        for future in futures:
            future.cancel()  # those still running when one failed, timed out or was interrupted
    return None


def partition_calls(engine: Engine, timeout: float | None) -> Any:
    """``TaskRunner.run_partitions``'s ``calls`` on the cluster: every partition to
    run is sent at once, as its own Dask task (named ``<task>[<partition>]`` in the
    dashboard), and each outcome is handed back as it ends. A partition whose worker
    died is run again by Dask's scheduler (``distributed.scheduler.allowed-failures``
    times); one that fails is named in the job's failure, and the others still finish
    (and are kept)."""

    def calls_for(task: TaskRecord, plan: Any, input_nodes: list[Any], outputs: list[DataNodeRecord]) -> Any:
        def calls(todo: list[int]) -> Any:
            if not todo:
                return
            refused = _refused_outputs(task, outputs)
            if refused is not None:
                yield todo[0], (None, refused, None, None)
                return
            distributed = _distributed()
            base = {
                "task": _fields(task, _TASK_FIELDS),
                "input_nodes": [_fields(n, _NODE_FIELDS) for n in input_nodes],
                "output_nodes": [_fields(n, _NODE_FIELDS) for n in outputs],
            }
            tag = uuid.uuid4().hex
            cluster = client()
            futures = {
                cluster.submit(
                    _run_on_worker,
                    str(engine.storage_folder),
                    {**base, "values": plan.calls[k], "partition": True},
                    pure=False,
                    key=f"{task.config_id}[{plan.names[k]}]-{tag}",
                ): k
                for k in todo
            }
            pending = set(futures)
            try:
                for future in distributed.as_completed(list(futures), loop=cluster.loop, timeout=timeout):
                    pending.discard(future)
                    yield futures[future], _outcome(task, future, distributed)
            except (distributed.TimeoutError, TimeoutError):
                reason = f"task {task.config_id!r} timed out after {timeout:g} s on the Dask cluster"
                yield min(futures[f] for f in pending), (None, reason, None, None)
            finally:
                for future in pending:
                    future.cancel()

        return calls

    return calls_for


def _outcome(task: TaskRecord, future: Any, distributed: Any) -> Any:
    try:
        return future.result()
    except Exception as e:  # noqa: BLE001  (the cluster's failure, reported as the partition's)
        return None, _cluster_failure(task, e, distributed), None, None


_stores: dict[str, ObjectStore] = {}


def _run_on_worker(storage_folder: str, job: dict[str, Any]) -> Any:
    """On a Dask worker: the job's function on its inputs, outputs stored in the object store."""
    # Imported where it runs, on the worker, after the tasks' folders are on sys.path.
    from scenarium.run import runtime as _runtime

    store = _stores.get(storage_folder)
    if store is None:
        store = _stores[storage_folder] = ObjectStore(storage_folder)
    task = _Record(job["task"])
    ref = task.function
    if ref["kind"] == "native":  # runs in Rust, without the GIL, as it would locally
        partitioned = job["task"]["properties"].get("partitioned") is True
        stride = job.get("stride")
        values, reason = store.run_native(ref["name"], job["values"], partitioned, tuple(stride) if stride else None)
        return values, reason, None, None
    return _runtime.run_task(
        store,
        task,
        job["values"],
        [_Record(n) for n in job["input_nodes"]],
        [_Record(n) for n in job["output_nodes"]],
        partition=job.get("partition", False),
    )
