"""The glue between the core and Python: the engine of the configured storage
folder, task functions (found, fingerprinted and called) and their values."""

from __future__ import annotations

import inspect
import os
import sys
import threading
import time
import traceback
import types
import typing
import weakref
from typing import Any, Callable, Iterator

from scenarium._core import DataNodeRecord, Engine, StoredValue, TaskRecord, VersionRecord
from scenarium.config import Config
from scenarium.identity import code as _code_identity
from scenarium.identity import recording as _recording
from scenarium.run import external_sync as _external_sync
from scenarium.run import partitions as _partitions
from scenarium.run.resolve import resolve
from scenarium.storage import codec as _codec
from scenarium.storage import dask_frames as _dask_frames

_engines: dict[str, Engine] = {}


_engines_lock = threading.Lock()


def engine() -> Engine:
    """The engine for ``Config.core.storage_folder``, opened once per process."""
    folder = os.path.abspath(Config.core.storage_folder)
    with _engines_lock:
        found = _engines.get(folder)
        if found is None:
            found = _engines[folder] = Engine(folder)
        return found


def code_identity_of(
    task: TaskRecord,
    function: Callable[..., Any],
    engine: Engine,
    recorded: dict[str, list[str]] | None = None,
) -> dict[str, str]:
    """The named parts of a Python task's code identity (``identity.code``), with
    the extra dependencies the task declares (``depends_on``; files are fingerprinted
    by ``engine``) and what its earlier runs were seen to touch (``recorded``)."""
    depends_on = task.properties.get("depends_on") or []
    return _code_identity.identity(function, depends_on, engine, recorded)


def recording_key(task: TaskRecord) -> str:
    """Under which name what a task's runs touched is kept: its function, shared by
    every task and scenario that runs it, as cached results are (two tasks of one
    function must find the same identity to share a result)."""
    ref = task.function
    return f"{ref.get('module')}:{ref.get('qualname')}"


class _TaskTimeout(BaseException):
    """Raised inside a task's thread when its timeout passes (a BaseException, so
    that the task's own ``except Exception`` does not swallow it)."""


def _raise_in_thread(ident: int, exception: type[BaseException]) -> None:
    """Raises ``exception`` in thread ``ident`` at its next Python instruction."""
    import ctypes  # rarely needed

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exception))


def _absorb_pending_timeout() -> None:
    """Lets a timeout raised in this thread but not yet delivered land here, where
    it is dropped, rather than in the submitter's code after the task. (Taking it
    back with ``PyThreadState_SetAsyncExc(id, NULL)`` leaves CPython 3.11's eval
    breaker set for good: every later instruction of the thread spins.)"""
    try:
        for _ in range(3):  # a backward jump: where a pending exception is raised
            pass
    except _TaskTimeout:
        pass


def run_task(
    store: Any,
    task: Any,
    values: list[StoredValue],
    input_nodes: list[Any],
    output_nodes: list[Any],
    partition: bool = False,
) -> tuple[list[StoredValue] | None, str | None, str | None, dict[str, Any] | None]:
    """Runs a task's function on its stored inputs and stores its outputs in ``store``
    (an Engine, or an ObjectStore on a worker); (outputs, failure reason, traceback,
    what the run touched: ``{"items": ..., "problem": why not reusable or None}``).
    ``partition``: one call of a partitioned task, whose outputs must be tables."""
    touched: dict[str, Any] | None = None
    try:
        function = resolve(task)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        kinds = frame_parameters(function)
        for (param, _), value, node in zip(task.inputs, values, input_nodes):
            kind = kinds.get(param if param is not None else len(args))
            if kind == "dask":
                decoded = _dask_frames.as_dask(store, value, node)
            else:
                decoded = _codec.decode(store, value, node, kind == "lazy" or None)
            if param is None:
                args.append(decoded)
            else:
                kwargs[param] = decoded
        storage = os.fspath(getattr(store, "storage_folder", "") or "")
        # Storing the outputs is recorded too: a LazyFrame's plan runs the task's own
        # functions (map_elements, pipe) only when it is written.
        with _recording.recording(exclude=(storage,) if storage else ()) as seen:
            try:
                result = function(*args, **kwargs)
            finally:
                keep_standard_descriptors()
            results = TaskRunner._outputs(task, result)
            if partition:
                _partitions.refuse_non_tables(task, results, output_nodes)
            stored = [_codec.encode(store, v, dn) for v, dn in zip(results, output_nodes)]
        touched = _touched(seen, _code_identity.covered_code(function))
        # A database or generic output is written out before the job can complete:
        # when that fails, the job fails and records no version.
        for value, dn in zip(results, output_nodes):
            if _external_sync.is_external(dn):
                _external_sync.write_out(dn, value)
        return stored, None, None, touched
    except (KeyboardInterrupt, _TaskTimeout):
        raise
    except Exception as e:
        reason = f"task {task.config_id!r} failed: {type(e).__name__}: {e}"
        return None, reason, "".join(traceback.format_exception(type(e), e, e.__traceback__)), None


def _touched(seen: _recording.Recording, covered: frozenset[types.CodeType]) -> dict[str, Any]:
    """A run's recording as it crosses processes: its items beyond the code its
    identity already covered, and why its result must not be reused when it cannot
    be trusted."""
    problem = seen.problem
    changed = seen.changed_while_running()
    if problem is None and changed:
        problem = f"file(s) it read changed while it ran: {', '.join(changed[:3])}"
    return {"items": seen.items(covered), "problem": problem}


# A function's frame parameters, with what they were found from: reading a signature
# and evaluating its annotations cost ~0.13 ms, a tenth of a trivial job.
_frame_parameters_found: weakref.WeakKeyDictionary[
    Callable[..., Any], tuple[tuple[int, int, bool], dict[int | str, str]]
] = weakref.WeakKeyDictionary()


def frame_parameters(function: Callable[..., Any]) -> dict[int | str, str]:
    """The positions and names of the parameters annotated ``pl.LazyFrame`` ("lazy":
    a LazyFrame over the stored file, as ``exposed_type`` asks too) or
    ``dask.dataframe.DataFrame`` ("dask": partitions read from it on demand).
    Remembered per plain function while its code, its annotations and whether polars
    is imported stay the same."""
    if not isinstance(function, types.FunctionType):
        return _frame_parameters(function)
    basis = (id(function.__code__), id(function.__annotations__), "polars" in sys.modules)
    known = _frame_parameters_found.get(function)
    if known is not None and known[0] == basis:
        return dict(known[1])
    found = _frame_parameters(function)
    _frame_parameters_found[function] = (basis, dict(found))
    return found


def _frame_parameters(function: Callable[..., Any]) -> dict[int | str, str]:
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return {}
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # noqa: BLE001  (an annotation that does not evaluate: read it as text)
        hints = {}
    polars = sys.modules.get("polars")
    found: dict[int | str, str] = {}
    for index, parameter in enumerate(parameters):
        annotation = hints.get(parameter.name, parameter.annotation)
        is_lazy = (polars is not None and annotation is polars.LazyFrame) or (
            isinstance(annotation, str) and annotation.split(".")[-1] == "LazyFrame"
        )
        kind = "lazy" if is_lazy else "dask" if _dask_frames.wants_dask(annotation) else None
        if kind:
            found[index] = found[parameter.name] = kind
    return found


# The label suffix that says a value is as the task's own last run (in this process)
# left it: the task runs again (what it reaches changed), and the reason says why.
LEFT_BY_ITS_RUN = " as the task's own last run left it"


# recording key -> {label: what the task's last run in this process left there}
_left_by_runs: dict[str, dict[str, str]] = {}


def _changed_by_run(before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    """The code and values a run changed itself (a list it appends to)."""
    kinds = ("task", "value ", "function ", "class ")
    return {k: v for k, v in after.items() if k.startswith(kinds) and k in before and before[k] != v}


def keep_standard_descriptors() -> None:
    """Opens /dev/null on descriptors 0, 1 and 2 where a task closed them: the next file
    opened would get that number, and what still writes to "stdout" (or a task that
    closes it again) would write into (or close) a stored object or the registry; Rust's
    owned descriptors abort the process when closed under them."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
            except OSError:
                pass  # nothing better to do: the task's own choice stands


class _ProcessState:
    """sys.stdout, sys.stderr, the current folder and sys.path as the submitter had them."""

    def __init__(self, stdout: Any, stderr: Any, cwd: str | None, path: list[str]) -> None:
        self.stdout, self.stderr, self.cwd, self.path = stdout, stderr, cwd, path

    @classmethod
    def now(cls) -> _ProcessState:
        try:
            cwd: str | None = os.getcwd()
        except OSError:  # the folder was removed
            cwd = None
        return cls(sys.stdout, sys.stderr, cwd, list(sys.path))

    def restore(self) -> None:
        """Puts back what a task replaced (a stream it closed stays closed: the
        progress display copes with that, _progress.py)."""
        sys.stdout, sys.stderr = self.stdout, self.stderr
        if sys.path != self.path:
            sys.path[:] = self.path
        if self.cwd is not None:
            try:
                if os.getcwd() != self.cwd:
                    os.chdir(self.cwd)
            except OSError:
                os.chdir(self.cwd)


class TaskRunner:
    """Called by the core for each job: fingerprint a task's code, run it."""

    def __init__(
        self,
        engine: Engine,
        standalone: bool = False,
        mode: str | None = None,
        submitting: bool = False,
        force: bool = False,
    ) -> None:
        self.engine = engine
        # submit(force=True): a partitioned task's calls all run again, none taken as made before.
        self.force = force
        # A submission (not a dry run or sc.why, which write nothing): where each named
        # task function was imported from is recorded for processes that did not configure it.
        self.submitting = submitting
        # standalone: Python tasks run in worker processes (scenarium.run.workers);
        # dask: on a Dask cluster (scenarium.run.dask).
        self.mode = mode or ("standalone" if standalone else "development")
        self.standalone = self.mode == "standalone"
        # Native tasks go to the cluster too (the core asks before running one here).
        self.native_remote = self.mode == "dask"
        # Per submission only: a module edited and reloaded between submissions
        # must be fingerprinted again.
        self._identities: dict[str, dict[str, str]] = {}
        # task id -> what earlier runs touched, as its identity was computed with
        self._recorded: dict[str, dict[str, list[str]]] = {}
        # task id -> what its run in this submission touched (_touched)
        self._runs: dict[str, dict[str, Any] | None] = {}
        # task id -> a partitioned task's partitions, whose memos wait for its identity
        self._plans: dict[str, _partitions.Plan] = {}
        # Threads running a task now (worker threads when max_nb_of_workers > 1).
        self._running: set[int] = set()
        self._running_lock = threading.Lock()
        # What a task run in this process may change and the submitter relies on
        # (its streams, folder, import path): put back after each task.
        self._home = _ProcessState.now()

    def interrupt_running(self) -> None:
        """Raises KeyboardInterrupt in every thread running a task of this submission
        (called on Ctrl-C). It lands at the task's next Python instruction; a
        blocking C call (a long sleep, a query) finishes first."""
        for ident in list(self._running):
            if ident != threading.get_ident():
                _raise_in_thread(ident, KeyboardInterrupt)

    def code_identity(self, task: TaskRecord) -> dict[str, str]:
        found = self._identities.get(task.id)
        if found is None:
            _recording.mark_own_thread()
            recorded = _recording.load(str(self.engine.storage_folder), recording_key(task))
            try:
                function = resolve(task, str(self.engine.storage_folder), remember=self.submitting)
                found = code_identity_of(task, function, self.engine, recorded)
            except LookupError as e:
                raise RuntimeError(str(e)) from None
            left = _left_by_runs.get(recording_key(task), {})
            found.update({f"{k}{LEFT_BY_ITS_RUN}": v for k, v in left.items() if found.get(k) == v})
            self._identities[task.id] = found
            self._recorded[task.id] = recorded
        return found

    def identity_after_run(self, task: TaskRecord) -> dict[str, str] | None:
        """The task's identity with what its run touched, when that adds to what
        earlier runs had (then kept for the next submit); None when the identity it
        was decided with stands. Raises when the run's result must not be reused.
        A partitioned task's partitions are remembered under that identity."""
        decided_with = dict(self._identities.get(task.id) or {})
        plan = self._plans.pop(task.id, None)
        grown = self._identity_after_run(task)
        if plan is not None:
            plan.remember(self.engine, grown if grown is not None else decided_with, decided_with)
        return grown

    def _identity_after_run(self, task: TaskRecord) -> dict[str, str] | None:
        touched = self._runs.pop(task.id, None)
        if touched is None:
            raise RuntimeError("the run was not recorded (it ran where nothing could record it)")
        if touched["problem"] is not None:
            raise RuntimeError(touched["problem"])
        before = self._recorded.get(task.id) or {}
        before_run = self._identities.get(task.id) or {}
        folder, key = str(self.engine.storage_folder), recording_key(task)
        grew = _recording.merge(before, touched["items"]) != _recording.merge(before)
        merged = _recording.merge(_recording.load(folder, key), before, touched["items"]) if grew else before
        parts = code_identity_of(task, resolve(task), self.engine, merged)
        _left_by_runs[key] = _changed_by_run(before_run, parts)
        if not grew:
            return None
        # With what other processes kept meanwhile: the next submit reads that.
        _recording.save(folder, key, merged)
        # What the identity it was decided with already covered counts as it was
        # before the run: a list the task appends to is not a change of its own
        # making for the next process, which starts from the same state.
        parts.update((label, value) for label, value in before_run.items() if label in parts)
        self._identities[task.id], self._recorded[task.id] = parts, merged
        return parts

    def execute(
        self, task: TaskRecord, inputs: list[VersionRecord], outputs: list[DataNodeRecord]
    ) -> tuple[list[StoredValue] | None, str | None, str | None, str | None]:
        """(outputs, failure reason, traceback, why the result must not be reused);
        what the run touched is kept for ``identity_after_run``."""
        self._plans.pop(task.id, None)
        result = self._execute(task, inputs, outputs)
        if result[0] is None and task.id in self._plans:
            # A failed partitioned job: the partitions it made stay reusable.
            try:
                self.identity_after_run(task)
            except RuntimeError:
                pass  # not recorded, or not reusable: nothing is remembered
        return result

    def _execute(
        self, task: TaskRecord, inputs: list[VersionRecord], outputs: list[DataNodeRecord]
    ) -> tuple[list[StoredValue] | None, str | None, str | None, str | None]:
        self._runs.pop(task.id, None)
        _recording.mark_own_thread()
        timeout = task.properties.get("timeout")
        if timeout is not None and float(timeout) >= threading.TIMEOUT_MAX:
            timeout = None  # past what a wait can take (a file's "1e300"): no limit, as submit's
        elsewhere = self._execute_elsewhere(task, inputs, outputs, timeout)
        if elsewhere is not None:
            return elsewhere
        if timeout is None:
            *result, self._runs[task.id] = self._execute_here(task, inputs, outputs)
            return (*result, None)  # type: ignore[return-value]
        return self._execute_with_timeout(task, inputs, outputs, float(timeout))

    def _execute_elsewhere(
        self, task: TaskRecord, inputs: list[VersionRecord], outputs: list[DataNodeRecord], timeout: Any
    ) -> tuple[list[StoredValue] | None, str | None, str | None, str | None] | None:
        """The result of running the task in worker processes or on Dask, or None to run
        it in this process: ``run.modes.TaskRunner`` runs elsewhere (this module cannot
        import the workers, which import it)."""
        return None

    def _execute_with_timeout(
        self,
        task: TaskRecord,
        inputs: list[VersionRecord],
        outputs: list[DataNodeRecord],
        timeout: float,
    ) -> tuple[list[StoredValue] | None, str | None, str | None, str | None]:
        """A task past its timeout fails, whatever it does with the interrupt: one that
        catches it (a bare ``except:``) and returns late has its result discarded (its
        objects become orphans for gc), not recorded nor cached (ARCHITECTURE.md, Timeouts)."""
        ident = threading.get_ident()
        lock = threading.Lock()
        state = {"running": True, "fired": False}
        started = time.monotonic()

        def fire() -> None:
            with lock:
                if state["running"]:
                    state["fired"] = True
                    _raise_in_thread(ident, _TaskTimeout)

        timer = threading.Timer(timeout, fire)
        timer.start()
        reason = f"task {task.config_id!r} timed out after {timeout:g} s"
        try:
            try:
                *result, touched = self._execute_here(task, inputs, outputs)
            finally:
                # Inside the try: an interrupt raised just before lands here, and is caught.
                with lock:
                    state["running"] = False
                if state["fired"]:
                    _absorb_pending_timeout()
        except _TaskTimeout:
            return None, reason, None, None
        finally:
            timer.cancel()
        if state["fired"] or time.monotonic() - started > timeout:
            late = time.monotonic() - started
            return (
                None,
                f"{reason} (it ran {late:.1f} s, catching the interrupt: its late result is discarded)",
                None,
                None,
            )
        self._runs[task.id] = touched
        return (*result, None)  # type: ignore[return-value]

    def _execute_here(
        self, task: TaskRecord, inputs: list[VersionRecord], outputs: list[DataNodeRecord]
    ) -> tuple[list[StoredValue] | None, str | None, str | None, dict[str, Any] | None]:
        with self._running_lock:
            self._running.add(threading.get_ident())
        try:
            input_nodes = [self.engine.data_node(dn_id) for _, dn_id in task.inputs]
            values = [v.value for v in inputs]
            if _partitions.is_partitioned(task):
                return self.run_partitions(task, values, input_nodes, outputs, self._calls_here)
            return run_task(self.engine, task, values, input_nodes, outputs)
        finally:
            with self._running_lock:
                self._running.discard(threading.get_ident())
                # Not under a task still running on another thread: it may rely on the
                # folder it moved to. The last one to end puts everything back.
                if not self._running:
                    self._home.restore()

    def run_partitions(
        self,
        task: TaskRecord,
        values: list[StoredValue],
        input_nodes: list[Any],
        outputs: list[DataNodeRecord],
        calls: Callable[[TaskRecord, _partitions.Plan, list[Any], list[DataNodeRecord]], _partitions.Calls],
    ) -> tuple[list[StoredValue] | None, str | None, str | None, dict[str, Any] | None]:
        """A partitioned task's job: its partitions cut, those made before taken, the
        others run by ``calls`` (``run.partitions``)."""
        try:
            plan = _partitions.Plan.of(task, values, input_nodes, outputs)
        except _partitions.PlanProblem as e:
            return None, str(e), None, None
        self._plans[task.id] = plan
        code = self.code_identity(task)
        return _partitions.run(self.engine, plan, code, calls(task, plan, input_nodes, outputs), not self.force)

    def _calls_here(
        self, task: TaskRecord, plan: _partitions.Plan, input_nodes: list[Any], outputs: list[DataNodeRecord]
    ) -> _partitions.Calls:
        """Runs partitions one after the other in this thread, stopping at the first failure."""

        def calls(todo: list[int]) -> Iterator[tuple[int, _partitions.Outcome]]:
            for k in todo:
                outcome = run_task(self.engine, task, plan.calls[k], input_nodes, outputs, partition=True)
                yield k, outcome
                if outcome[1] is not None:
                    return

        return calls

    @staticmethod
    def _outputs(task: TaskRecord, result: Any) -> list[Any]:
        n = len(task.outputs)
        if n == 0:
            return []
        if n == 1:
            return [result]
        if not isinstance(result, (tuple, list)) or len(result) != n:
            got = (
                f"a {type(result).__name__} of length {len(result)}"
                if isinstance(result, (tuple, list))
                else f"a single {type(result).__name__}"
            )
            raise ValueError(
                f"task {task.config_id!r} has {n} outputs and must return a tuple of {n} values; it returned {got}"
            )
        return list(result)
