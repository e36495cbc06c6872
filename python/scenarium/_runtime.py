"""The glue between the core and Python: the engine of the configured storage
folder, task functions (found, fingerprinted and called) and their values."""

from __future__ import annotations

import importlib
import json
import os
import threading
import traceback
import types
from typing import Any, Callable

from scenarium import _codec, _core

_engines: dict[str, _core.Engine] = {}
_engines_lock = threading.Lock()


def engine() -> _core.Engine:
    """The engine for ``Config.core.storage_folder``, opened once per process."""
    from scenarium.config import Config

    folder = os.path.abspath(Config.core.storage_folder)
    with _engines_lock:
        found = _engines.get(folder)
        if found is None:
            found = _engines[folder] = _core.Engine(folder)
        return found


def function_ref(function: Callable[..., Any]) -> dict[str, Any]:
    native = getattr(function, "__scenarium_native__", None)
    if native is not None:
        name, version = native
        return {"kind": "native", "name": name, "version": version}
    module = getattr(function, "__module__", None) or "__main__"
    qualname = getattr(function, "__qualname__", None) or getattr(function, "__name__", None) or repr(function)
    return {"kind": "python", "module": module, "qualname": qualname}


def _configured_function(ref: dict[str, Any]) -> Callable[..., Any] | None:
    """A callable configured in this process with this reference, e.g. a
    function defined in a notebook, which cannot be imported."""
    from scenarium.config import Config

    for task in Config._tasks.values():
        if function_ref(task.function) == ref:
            return task.function
    return None


def resolve(task: _core.TaskRecord) -> Callable[..., Any]:
    ref = json.loads(task.function_json)
    found = _configured_function(ref)
    if found is not None:
        return found
    if ref["kind"] == "native":
        from scenarium.tasks import by_name

        return by_name(ref["name"])
    module_name, qualname = ref["module"], ref["qualname"]
    where = f"{module_name}.{qualname}"
    if "<" in qualname or module_name == "__main__":
        raise LookupError(
            f"task {task.config_id!r} calls {where}, which cannot be imported; configure the task "
            f"again in this process (Config.configure_task) before submitting"
        )
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as e:
        raise LookupError(
            f"task {task.config_id!r} calls {where}, which cannot be found: {e}. Was it renamed "
            f"or moved since the scenario was created?"
        ) from e
    return target


_SIMPLE = (int, float, complex, str, bytes, bool, type(None))
_CO_HAS_DOCSTRING = getattr(__import__("inspect"), "CO_HAS_DOCSTRING", None)  # Python >= 3.14


def code_fingerprint_of(function: Callable[..., Any]) -> str:
    """blake3 of what decides a task's result besides its inputs: its identity,
    its code (recursively over nested code objects and constants, ignoring
    docstrings and line numbers), its defaults, the values its closure and its
    module-level names hold when those are plain constants, and, recursively,
    the functions of its own module that it calls."""
    ref = function_ref(function)
    if ref["kind"] == "native":
        return f"native:{ref['name']}:{ref['version']}"
    parts: list[bytes] = [json.dumps(ref, sort_keys=True).encode()]
    _hash_callable(function, parts, set(), getattr(function, "__module__", None))
    return _core.Engine.blake3_hex(b"\0".join(parts))


def _hash_callable(function: Any, parts: list[bytes], seen: set[int], module: str | None) -> None:
    code = getattr(function, "__code__", None)
    if code is None:
        # A callable object: its class's __call__ holds the code.
        call = type(function).__dict__.get("__call__")
        code = getattr(call, "__code__", None)
        function = call if code is not None else function
    if code is None:
        parts.append(repr(function).encode())
        return
    if id(code) in seen:
        return
    seen.add(id(code))
    _hash_code(code, parts, doc=getattr(function, "__doc__", None))
    parts.append(repr((getattr(function, "__defaults__", None), getattr(function, "__kwdefaults__", None))).encode())
    for cell in getattr(function, "__closure__", None) or ():
        try:
            _hash_reference(cell.cell_contents, parts, seen, module)
        except ValueError:  # an empty cell
            parts.append(b"<empty cell>")
    module_globals = getattr(function, "__globals__", {})
    for name in sorted(_names_used(code)):
        if name in module_globals:
            parts.append(name.encode())
            _hash_reference(module_globals[name], parts, seen, module)


def _hash_reference(value: Any, parts: list[bytes], seen: set[int], module: str | None) -> None:
    if isinstance(value, _SIMPLE) or (
        isinstance(value, (tuple, frozenset)) and all(isinstance(v, _SIMPLE) for v in value)
    ):
        parts.append(repr(value).encode())
    elif isinstance(value, types.FunctionType) and value.__module__ == module:
        _hash_callable(value, parts, seen, module)
    # Modules, classes and other modules' functions count by name only (their
    # names are in the code); hashing all of a library would cost too much.


def _names_used(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names_used(const)
    return names


def _hash_code(code: types.CodeType, parts: list[bytes], doc: Any = None) -> None:
    parts.append(code.co_code)
    parts.append(repr((code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars)).encode())
    consts = code.co_consts
    if _CO_HAS_DOCSTRING is not None:
        has_doc = bool(code.co_flags & _CO_HAS_DOCSTRING)
    elif doc is not None:
        has_doc = bool(consts) and consts[0] == doc
    else:  # a nested function: up to 3.13, co_consts[0] is the docstring slot of a def
        has_doc = bool(consts) and isinstance(consts[0], str) and code.co_name != "<lambda>"
    for i, const in enumerate(consts):
        if i == 0 and has_doc:
            continue
        if isinstance(const, types.CodeType):
            _hash_code(const, parts)
        else:
            parts.append(repr(const).encode())


class _TaskTimeout(BaseException):
    """Raised inside a task's thread when its timeout passes (a BaseException, so
    that the task's own ``except Exception`` does not swallow it)."""


def _raise_in_thread(ident: int, exception: type[BaseException]) -> None:
    """Raises ``exception`` in thread ``ident`` at its next Python instruction."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exception))


def run_task(
    store: Any, task: Any, values: list[_core.StoredValue], input_nodes: list[Any], output_nodes: list[Any]
) -> tuple[list[_core.StoredValue] | None, str | None, str | None]:
    """Runs a task's function on its stored inputs and stores its outputs in ``store``
    (an Engine, or an ObjectStore on a worker); (outputs, failure reason, traceback)."""
    try:
        function = resolve(task)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for (param, _), value, node in zip(task.inputs, values, input_nodes):
            decoded = _codec.decode(store, value, node)
            if param is None:
                args.append(decoded)
            else:
                kwargs[param] = decoded
        result = function(*args, **kwargs)
        results = TaskRunner._outputs(task, result)
        return [_codec.encode(store, v, dn) for v, dn in zip(results, output_nodes)], None, None
    except (KeyboardInterrupt, _TaskTimeout):
        raise
    except Exception as e:
        reason = f"task {task.config_id!r} failed: {type(e).__name__}: {e}"
        return None, reason, "".join(traceback.format_exception(type(e), e, e.__traceback__))


class TaskRunner:
    """Called by the core for each job: fingerprint a task's code, run it."""

    def __init__(self, engine: _core.Engine, standalone: bool = False, mode: str | None = None) -> None:
        self.engine = engine
        # standalone: Python tasks run in worker processes (scenarium._workers);
        # dask: on a Dask cluster (scenarium._dask).
        self.mode = mode or ("standalone" if standalone else "development")
        self.standalone = self.mode == "standalone"
        # Native tasks go to the cluster too (the core asks before running one here).
        self.native_remote = self.mode == "dask"
        # Per submission only: a module edited and reloaded between submissions
        # must be fingerprinted again.
        self._fingerprints: dict[str, str] = {}
        # Threads running a task now (worker threads when max_nb_of_workers > 1).
        self._running: set[int] = set()

    def interrupt_running(self) -> None:
        """Raises KeyboardInterrupt in every thread running a task of this submission
        (called on Ctrl-C). It lands at the task's next Python instruction; a
        blocking C call (a long sleep, a query) finishes first."""
        for ident in list(self._running):
            if ident != threading.get_ident():
                _raise_in_thread(ident, KeyboardInterrupt)

    def code_fingerprint(self, task: _core.TaskRecord) -> str:
        found = self._fingerprints.get(task.function_json)
        if found is None:
            try:
                found = code_fingerprint_of(resolve(task))
            except LookupError as e:
                raise RuntimeError(str(e)) from None
            self._fingerprints[task.function_json] = found
        return found

    def execute(
        self, task: _core.TaskRecord, inputs: list[_core.VersionRecord], outputs: list[_core.DataNodeRecord]
    ) -> tuple[list[_core.StoredValue] | None, str | None, str | None]:
        timeout = json.loads(task.properties_json).get("timeout")
        if self.mode == "dask":
            from scenarium import _dask

            return _dask.run(self.engine, task, inputs, outputs, timeout)
        if self.standalone:
            from scenarium import _workers

            return _workers.pool(str(self.engine.storage_folder)).run(task, inputs, outputs, timeout)
        if timeout is None:
            return self._execute_here(task, inputs, outputs)
        ident = threading.get_ident()
        timer = threading.Timer(timeout, _raise_in_thread, (ident, _TaskTimeout))
        timer.start()
        try:
            return self._execute_here(task, inputs, outputs)
        except _TaskTimeout:
            return None, f"task {task.config_id!r} timed out after {timeout:g} s", None
        finally:
            timer.cancel()

    def _execute_here(
        self, task: _core.TaskRecord, inputs: list[_core.VersionRecord], outputs: list[_core.DataNodeRecord]
    ) -> tuple[list[_core.StoredValue] | None, str | None, str | None]:
        self._running.add(threading.get_ident())
        try:
            input_nodes = [self.engine.data_node(dn_id) for _, dn_id in task.inputs]
            return run_task(self.engine, task, [v.value for v in inputs], input_nodes, outputs)
        finally:
            self._running.discard(threading.get_ident())

    @staticmethod
    def _outputs(task: _core.TaskRecord, result: Any) -> list[Any]:
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
