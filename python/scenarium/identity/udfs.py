"""Python functions that polars calls on its own threads (``map_elements``,
``map_batches``, ``pl.fold``, ...), recorded as the task's.

A recording follows the calls of the task's thread (``recording.py``: cProfile is per
thread). polars runs a LazyFrame's Python functions on its thread pool, when the plan
is collected or sunk: after the task returned, while its outputs are stored, and never
on the task's thread. What such a function reaches at run time (a plugin looked up by
name, a module imported earlier) would be missed, and an edit of it would not make the
task run again. So while a recording is active, the functions handed to polars'
UDF-taking entry points are wrapped: a call on another thread is profiled there, and
the code it executed joins the recording of the task that built the expression.

A function handed to polars before any recording started (an expression built when a
module was imported) is not wrapped: what it looks up by name at run time is not
recorded (the static walk covers only what it names).
"""

from __future__ import annotations

import cProfile
import functools
import sys
import threading
import types
from typing import Any, Callable

# (owner, attribute, position of the function among the positional arguments, counting self)
_ENTRY_POINTS: tuple[tuple[str, str, int], ...] = (
    ("Expr", "map_elements", 1),
    ("Expr", "map_batches", 1),
    ("Expr", "rolling_map", 1),
    ("Series", "map_elements", 1),
    ("DataFrame", "map_rows", 1),
    ("LazyFrame", "map_batches", 1),
    ("", "map_batches", 1),
    ("", "map_groups", 1),
    ("", "fold", 1),
    ("", "reduce", 0),
    ("", "cum_fold", 1),
    ("", "cum_reduce", 0),
    ("", "defer", 0),
    ("LazyFrame", "sink_batches", 1),
    ("io.plugins", "register_io_source", 0),  # its function returns a generator polars pulls from
)

_installed: set[int] = set()  # id() of the polars modules patched
_install_lock = threading.Lock()


def install(current: Callable[[], Any]) -> None:
    """Wraps polars' UDF entry points (once per process, when polars is imported):
    ``current()`` gives the recording of the calling thread, or None."""
    polars = sys.modules.get("polars")
    if polars is None or id(polars) in _installed:
        return
    with _install_lock:
        if id(polars) in _installed:
            return
        for owner_name, attribute, position in _ENTRY_POINTS:
            owner: Any = polars
            for part in owner_name.split(".") if owner_name else ():
                owner = getattr(owner, part, None)
            original = getattr(owner, attribute, None) if owner is not None else None
            if original is None or getattr(original, "__scenarium_udfs__", False):
                continue
            setattr(owner, attribute, _patched(original, position, current))
        _installed.add(id(polars))


def _patched(original: Callable[..., Any], position: int, current: Callable[[], Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def entry(*args: Any, **kwargs: Any) -> Any:
        recording = current()
        if recording is not None:
            if "function" in kwargs:
                kwargs["function"] = _recorded(kwargs["function"], recording)
            elif len(args) > position:
                args = (*args[:position], _recorded(args[position], recording), *args[position + 1 :])
        return original(*args, **kwargs)

    entry.__scenarium_udfs__ = True  # type: ignore[attr-defined]
    return entry


def _recorded(function: Any, recording: Any) -> Any:
    """``function``, profiled when it is called on another thread than the one that
    built the expression; what it executed joins ``recording``."""
    if not isinstance(function, (types.FunctionType, types.MethodType, functools.partial)):
        return function  # a builtin or a numpy ufunc: nothing of the project's runs inside
    owner = threading.get_ident()

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        result = _profiled(owner, recording, function, *args, **kwargs)
        # A generator's body runs at each next(), after the call returned.
        return _pulled(owner, recording, result) if isinstance(result, types.GeneratorType) else result

    return call


def _profiled(owner: int, recording: Any, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, profiled into ``recording`` when this is not the
    thread ``owner`` (whose own profiler sees it)."""
    if threading.get_ident() == owner or sys.getprofile() is not None:
        return function(*args, **kwargs)
    profiler = cProfile.Profile(builtins=False)
    profiler.enable(subcalls=False, builtins=False)
    try:
        return function(*args, **kwargs)
    finally:
        profiler.disable()
        recording.note_foreign(e.code for e in profiler.getstats() if isinstance(e.code, types.CodeType))


def _pulled(owner: int, recording: Any, generator: Any) -> Any:
    """``generator``'s items, each pulled under ``_profiled``."""
    while True:
        try:
            item = _profiled(owner, recording, next, generator)
        except StopIteration:
            return
        yield item
