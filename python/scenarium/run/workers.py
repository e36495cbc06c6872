"""Worker processes for ``standalone`` mode: Python tasks run in separate
processes (spawned, never forked, so that the engine's threads are safe), so
CPU-bound pure-Python tasks run in parallel.

Nothing but ids crosses the pipe: a worker opens the same storage folder,
reads the task's inputs from the object store, runs the function and stores
its outputs there; the parent records them. A worker that exceeds a task's
timeout, or dies, is killed and replaced; its job fails with the reason.
"""

from __future__ import annotations

import atexit
import multiprocessing
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from scenarium._core import DataNodeRecord, Engine, TaskRecord, VersionRecord
from scenarium.config import Config

_SPAWN = multiprocessing.get_context("spawn")


def _serve(conn: Connection, storage_folder: str, path: list[str], extra_path: list[str]) -> None:
    """A worker's loop: one job at a time, until the pipe closes."""
    sys.path[:0] = [p for p in path if p not in sys.path]
    sys.path.extend(p for p in extra_path if p not in sys.path)
    from scenarium.run import runtime as _runtime  # after sys.path is set: the tasks' modules import through it

    engine = Engine(storage_folder)
    runner = _runtime.TaskRunner(engine)
    conn.send("ready")  # a task's timeout counts from here, not from the spawn
    while True:
        try:
            task_id, inputs, outputs, expected, run_anyway, recorded = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            task = engine.task(task_id)
            # This process imported the task's modules when it first ran one of
            # them: if they were edited since, it would run the old code under
            # the new code's key. Compare with what the submitting process saw.
            actual = _runtime.code_identity_of(task, _runtime.resolve(task), engine, recorded)
            # What the submitting process's own runs left is its note, not code.
            expected = {k: v for k, v in expected.items() if not k.endswith(_runtime.LEFT_BY_ITS_RUN)}
            if actual != expected and not run_anyway:
                conn.send(("stale code", None, None, None, None))
                continue
            note = None
            if actual != expected:
                changed = sorted(k for k in {*actual, *expected} if actual.get(k) != expected.get(k))
                note = f"the task's code changed between submit and run ({', '.join(changed[:5])})"
            versions = [engine.version(dn, v) for dn, v in inputs]
            nodes = [engine.data_node(dn) for dn in outputs]
            if any(n.storage_type == "in_memory" for n in nodes):
                names = ", ".join(n.config_id for n in nodes if n.storage_type == "in_memory")
                reply: Any = (
                    None,
                    f"task {task.config_id!r} writes in_memory data node(s) {names}, which a "
                    "standalone worker process cannot hand back; use another storage_type",
                    None,
                    None,
                    None,
                )
            else:
                outcome = runner.execute(task, versions, nodes)
                reply = (*outcome[:3], note or outcome[3], runner._runs.pop(task.id, None))
        except BaseException as e:  # noqa: BLE001  (reported to the parent, never lost)
            reply = (None, f"the worker process failed: {type(e).__name__}: {e}", None, None, None)
        conn.send(reply)


class _Worker:
    def __init__(self, storage_folder: str) -> None:
        self.conn, child = _SPAWN.Pipe()
        self.process = _SPAWN.Process(
            target=_serve,
            args=(child, storage_folder, list(sys.path), list(Config._state.function_dirs)),
            daemon=True,
            name="scenarium-worker",
        )
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            if self.conn.recv() != "ready":
                raise OSError("the worker process did not start")
            self.ready = True

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """Idle workers are reused across jobs and submissions of one storage folder."""

    def __init__(self, storage_folder: str) -> None:
        self.storage_folder = storage_folder
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def run(
        self,
        task: TaskRecord,
        inputs: list[VersionRecord],
        outputs: list[DataNodeRecord],
        timeout: float | None,
        expected: dict[str, str],
        recorded: dict[str, list[str]] | None = None,
    ) -> Any:
        """Runs a job on an idle worker; ``expected`` is the code identity the submitting
        process computed (with ``recorded``, what earlier runs touched). A worker that
        imported older code is replaced by a new one; if the code changed again
        meanwhile, the job runs and is marked not reusable. The reply ends with what
        the run touched."""
        inputs_ref = [(v.data_node_id, v.version) for v in inputs]
        for run_anyway in (False, True):
            message = (task.id, inputs_ref, [o.id for o in outputs], expected, run_anyway, recorded)
            reply = self._on_a_worker(task.config_id, message, timeout, fresh=run_anyway)
            if reply[0] != "stale code":
                break
        return reply

    def _on_a_worker(self, config_id: str, message: tuple[Any, ...], timeout: float | None, fresh: bool) -> Any:
        """Sends one job to an idle worker (a new one when ``fresh``) and waits for its reply."""
        with self._lock:
            worker = self._idle.pop() if self._idle and not fresh else None
        if worker is None or not worker.process.is_alive():
            worker = _Worker(self.storage_folder)
        try:
            worker.wait_ready()
            worker.conn.send(message)
            if not worker.conn.poll(timeout):
                worker.kill()
                return (
                    None,
                    f"task {config_id!r} timed out after {timeout:g} s (its worker process was stopped)",
                    None,
                    None,
                    None,
                )
            reply = worker.conn.recv()
        except KeyboardInterrupt:
            worker.kill()
            raise
        except (EOFError, OSError, BrokenPipeError) as e:
            worker.kill()
            code = worker.process.exitcode
            return None, f"task {config_id!r}: its worker process died (exit code {code}): {e}", None, None, None
        if reply[0] == "stale code":
            worker.kill()  # its imported modules are older than the files
        else:
            with self._lock:
                self._idle.append(worker)
        return reply

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_pools: dict[str, WorkerPool] = {}
_pools_lock = threading.Lock()


def pool(storage_folder: str) -> WorkerPool:
    with _pools_lock:
        found = _pools.get(storage_folder)
        if found is None:
            found = _pools[storage_folder] = WorkerPool(storage_folder)
        return found


@atexit.register
def _close_all() -> None:
    for p in list(_pools.values()):
        p.close()
