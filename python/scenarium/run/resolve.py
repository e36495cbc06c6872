"""How a stored task's function is found again, in this process or another one (a
worker, ``scenarium`` on the command line with no ``--config``): the configured
function, then by name on ``sys.path``, then the folder recorded in the store's
``function_dirs/`` when it was last imported, then the current folder.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Callable

from scenarium import tasks
from scenarium._core import TaskRecord
from scenarium.config import Config
from scenarium.identity import code as _code_identity
from scenarium.identity import hints as _hints


def resolve(task: TaskRecord, storage_folder: str | None = None, remember: bool = False) -> Callable[..., Any]:
    """The callable a task runs: the one configured in this process for the task's
    config id (a task's identity is its TaskConfig and its callable, never a name
    that two lambdas or two bound methods share), else imported by name.

    With ``storage_folder``, a name that does not import from ``sys.path`` is looked for
    in the folder its module was imported from when it was last submitted (recorded in
    ``function_dirs/`` there when ``remember``: a submission), then in the current folder: so that
    ``scenarium explain SCENARIO_...`` finds the functions of a scenario made from a
    TOML file (``Config.load`` imports them relative to the file's folder) without
    loading the file again, from any folder."""
    ref = task.function
    configured = Config._state.tasks.get(task.config_id)
    if configured is not None and _code_identity.function_ref(configured.function) == ref:
        if remember and storage_folder is not None:
            _remember_function_dir(storage_folder, ref, configured.function)
        return configured.function
    if ref["kind"] == "native":
        return tasks.by_name(ref["name"])
    module_name, qualname = ref["module"], ref["qualname"]
    where = f"{module_name}.{qualname}"
    if "<" in qualname:
        raise LookupError(
            f"task {task.config_id!r} calls {where}, which cannot be imported; configure the task "
            f"again in this process (Config.configure_task) before submitting"
        )
    # "__main__.fn": the running script's function (a spawned worker imports the parent's
    # script as its __main__, as multiprocessing does).
    try:
        target: Any = _import_function(module_name, qualname)
    except (ImportError, AttributeError) as e:
        if module_name == "__main__":
            raise LookupError(
                f"task {task.config_id!r} calls {where}, which this process's __main__ does not define; "
                "configure the task again in this process (Config.configure_task) before submitting"
            ) from e
        recalled = None if storage_folder is None else _recalled_function_dir(storage_folder, ref)
        folders = [f for f in dict.fromkeys([recalled, os.getcwd()]) if f is not None and f not in sys.path]
        for folder in folders:
            saved = list(sys.path)
            sys.path.insert(0, folder)  # as Config.load imports a file's functions
            try:
                return _import_function(module_name, qualname)
            except (ImportError, AttributeError):
                pass
            finally:
                sys.path[:] = saved
        looked = f" (looked in sys.path and {', '.join(folders)})" if folders else ""
        raise LookupError(
            f"task {task.config_id!r} calls {where}, which cannot be found: {e}{looked}. Was it renamed "
            f"or moved since the scenario was created?"
        ) from e
    return target


def _import_function(module_name: str, qualname: str) -> Any:
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


_FUNCTION_DIRS = "function_dirs"


_function_dirs_seen: set[tuple[str, str, str]] = set()


def _module_root(function: Callable[..., Any], module_name: str) -> str | None:
    """The folder ``module_name`` is imported from (``/app`` for ``algos.algo`` in
    ``/app/algos/algo.py``), or None for a module without a file."""
    file = getattr(sys.modules.get(module_name), "__file__", None)
    if not isinstance(file, str):
        return None
    root = os.path.dirname(os.path.abspath(file))
    if os.path.basename(file).startswith("__init__."):
        root = os.path.dirname(root)
    for _ in module_name.split(".")[1:]:
        root = os.path.dirname(root)
    return root


def _remember_function_dir(storage_folder: str, ref: Any, function: Callable[..., Any]) -> None:
    """Records where a named task function's module was imported from (a hint in the
    store, written when it changes; a lost hint only loses the look-up)."""
    if ref.get("kind") != "python" or "<" in ref["qualname"] or ref["module"] in ("__main__", "__mp_main__"):
        return
    root = _module_root(function, ref["module"])
    key = f"{ref['module']}:{ref['qualname']}"
    if root is None or (storage_folder, key, root) in _function_dirs_seen:
        return
    try:
        if (_hints.load(storage_folder, _FUNCTION_DIRS, key) or {}).get("folder") != root:
            _hints.save(storage_folder, _FUNCTION_DIRS, key, {"folder": root})
        _function_dirs_seen.add((storage_folder, key, root))
    except OSError:
        pass  # a read-only storage folder: the hint is not kept


def _recalled_function_dir(storage_folder: str, ref: Any) -> str | None:
    found = _hints.load(storage_folder, _FUNCTION_DIRS, f"{ref['module']}:{ref['qualname']}") or {}
    folder = found.get("folder")
    return folder if isinstance(folder, str) and os.path.isdir(folder) else None
