"""What a Python task really touched while it ran, recorded as it runs (as ninja and
Bazel keep the dependencies an action discovers, and pytest-testmon the code a test
ran): the project's functions it executed, the packages whose code ran, the modules
it imported, the files it opened for reading, the folders it listed and the
environment variables it read.

The static walk of ``identity.code`` cannot see a helper called through
``getattr``, a file read without being declared, an environment variable read in a
library; the next identity of the task covers what its runs recorded
(``_code_identity.identity(..., recorded=...)``), so a change to any of them makes it
run again. What no recording sees (files read by native code, network sources)
is declared with ``depends_on``.

How: ``cProfile`` (C, per thread) lists the code objects called; an audit hook
(``sys.addaudithook``, installed once) sees ``open``, ``os.listdir`` and
``os.scandir``; ``os.environ``'s class is swapped for one that notes the names read
while a recording is active. Threads a task starts are recorded only while a single
task is recording (their events cannot be told apart otherwise).
"""

from __future__ import annotations

import contextlib
import cProfile
import os
import sys
import threading
import types
from typing import Any, Iterator

from scenarium.identity import code as _code_identity
from scenarium.identity import hints as _hints
from scenarium.identity import modules as _modules
from scenarium.identity import udfs as _udfs

_lock = threading.Lock()
_active: list[Recording] = []  # recordings in progress, any thread
_local = threading.local()
_hook_installed = False
_environ_class: type | None = None
_environ_base = type(os.environ)


class Recording:
    """What one run touched. ``items()`` is what the next identity walks;
    ``problem`` says why the run's result must not be reused (nothing could be
    recorded, or a file it read changed while it ran)."""

    def __init__(self, exclude: tuple[str, ...]) -> None:
        self.exclude = exclude
        self.opened: dict[str, tuple[int, int, int] | None] = {}  # path -> stat when first opened
        self.written: set[str] = set()
        self.folders: set[str] = set()
        self.env: set[str] = set()
        self.codes: list[types.CodeType] = []
        # Code the task's Python functions ran on polars' threads (``udfs.py``).
        self.foreign: list[types.CodeType] = []
        self.modules: list[str] = []
        self.problem: str | None = None

    def note_foreign(self, codes: Any) -> None:
        """Code executed on another thread on the task's behalf (a polars UDF)."""
        found = list(codes)
        with _lock:
            self.foreign.extend(found)

    def note_open(self, path: Any, mode: Any, flags: Any) -> None:
        if isinstance(path, int):
            return  # an already open descriptor: its opening was seen, or is not a file
        try:
            path = os.path.abspath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        if isinstance(mode, str):
            reads, writes = "r" in mode or "+" in mode, any(c in mode for c in "wax+")
        else:
            access = (flags or 0) & os.O_ACCMODE
            reads, writes = access in (os.O_RDONLY, os.O_RDWR), access != os.O_RDONLY
        if writes:
            self.written.add(path)
        if reads and path not in self.opened and not _modules.is_in(path, self.exclude):
            self.opened[path] = _stat(path)

    def items(self, covered: frozenset[types.CodeType] = frozenset()) -> dict[str, list[str]]:
        """What the next identity must walk: ``covered``, the code the identity the
        run was decided with already encoded, adds nothing and is left out."""
        code: set[str] = set()
        packages: set[str] = set()
        modules: set[str] = set()
        files: set[str] = set()
        with _lock:
            executed = [*self.codes, *self.foreign]
        for found in executed:
            if found not in covered:
                _classify(found, code, packages, modules, files)
        for name in self.modules:
            kind = _code_identity.module_kind(name)
            if kind == "user":
                modules.add(name)
            elif kind == "package" and not name.startswith("scenarium"):
                packages.add(name.partition(".")[0])
        read = {p for p in self.opened if p not in self.written and not p.endswith((".py", ".pyc"))}
        return {
            "code": sorted(code),
            "modules": sorted(modules),
            "packages": sorted(packages),
            "files": sorted(read | files),
            "folders": sorted(f for f in self.folders if f not in self.written),
            "env": sorted(self.env),
        }

    def changed_while_running(self) -> list[str]:
        """The files it read that are not what they were when it opened them."""
        return sorted(p for p, seen in self.opened.items() if p not in self.written and _stat(p) != seen)


def _stat(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


# code filename -> module name, for the modules indexed so far
_modules_by_file: dict[str, str] = {}
_indexed: set[str] = set()  # module names already in _modules_by_file
_misses: dict[str, int] = {}  # a filename no module had, with len(sys.modules) then


def _module_for(filename: str) -> str | None:
    """The module a code object's file belongs to. Modules are indexed once each
    (a process running thousands of projects' tasks must not rescan them all per
    code object)."""
    found = _modules_by_file.get(filename)
    if found is not None or _misses.get(filename) == len(sys.modules):
        return found
    for name, module in list(sys.modules.items()):
        if name in _indexed:
            continue
        _indexed.add(name)
        file = getattr(module, "__file__", None)
        if isinstance(file, str):
            _modules_by_file.setdefault(file, name)
            _modules_by_file.setdefault(os.path.abspath(file), name)
    found = _modules_by_file.get(filename)
    if found is None:
        _misses[filename] = len(sys.modules)
    return found


def _classify(
    code: types.CodeType, functions: set[str], packages: set[str], modules: set[str], files: set[str]
) -> None:
    """Where an executed code object comes from: a project function (by module and
    the part of its qualified name that can be looked up: ``make.<locals>.f`` is
    found through ``make``), a package, or a source file with no module."""
    module = _module_for(code.co_filename)
    qualname = getattr(code, "co_qualname", code.co_name)
    reachable = qualname.split(".<locals>")[0] if "<" in qualname else qualname
    reachable = "" if reachable.startswith("<") else reachable
    if module is None:
        main = sys.modules.get("__main__")
        target = _lookup(main, reachable) if reachable else None
        if isinstance(target, types.FunctionType) and target.__code__.co_filename == code.co_filename:
            functions.add(f"__main__:{reachable}")
        elif os.path.isfile(code.co_filename):
            files.add(os.path.abspath(code.co_filename))
        return
    kind = _code_identity.module_kind(module)
    if kind == "user":
        if reachable:
            functions.add(f"{_code_identity.main_name(module)}:{reachable}")
        else:
            modules.add(_code_identity.main_name(module))
    elif kind == "package" and not module.startswith("scenarium"):
        packages.add(module.partition(".")[0])


def _lookup(namespace: Any, qualname: str) -> Any:
    target = namespace
    for part in qualname.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _active:
        return
    if event == "open":
        recording = _current()
        if recording is not None:
            recording.note_open(*args[:3])
    elif event in ("os.listdir", "os.scandir"):
        recording = _current()
        if recording is not None and args and not isinstance(args[0], int):
            path = os.path.abspath(os.fsdecode(args[0] if args[0] is not None else "."))
            if not _modules.is_in(path, recording.exclude):
                recording.folders.add(path)


def _current() -> Recording | None:
    """The recording of this thread's task, or the only one in progress (a thread
    the task started)."""
    mine = getattr(_local, "recording", None)
    if mine is not None:
        return mine
    if getattr(_local, "own", False):
        return None  # scenarium's own thread between tasks (identities, stores)
    active = _active
    return active[0] if len(active) == 1 else None


def mark_own_thread() -> None:
    """This thread is scenarium's (it runs jobs): what it opens outside a task's
    run is not that task's."""
    _local.own = True


def _environ_type() -> type:
    global _environ_class
    if _environ_class is None:

        class RecordingEnviron(_environ_base):  # type: ignore[valid-type, misc]
            """os.environ while a task is recorded: reading a name notes it."""

            def __getitem__(self, key: Any) -> Any:
                recording = _current()
                if recording is not None and isinstance(key, str):
                    recording.env.add(key)
                return super().__getitem__(key)

            def __iter__(self) -> Iterator[Any]:
                recording = _current()
                if recording is not None:  # every name is read (a copy of the environment)
                    recording.env.update(self.decodekey(k) for k in list(self._data))
                return super().__iter__()

        _environ_class = RecordingEnviron
    return _environ_class


@contextlib.contextmanager
def recording(exclude: tuple[str, ...] = ()) -> Iterator[Recording]:
    """Records what the code run inside the block touches (this thread's calls;
    files, folders and environment variables from any thread while it is the only
    recording). ``exclude``: folders whose files are not the task's inputs (the
    storage folder, the standard library and installed packages)."""
    global _hook_installed
    stdlib, installed = _modules.library_roots()
    rec = Recording(tuple(os.path.realpath(p) for p in exclude) + stdlib + installed + ("/proc", "/dev", "/sys"))
    if getattr(_local, "recording", None) is not None or sys.getprofile() is not None:
        rec.problem = "another profiler or recording was active in its thread: what it executed was not recorded"
        yield rec
        return
    profiler = cProfile.Profile(builtins=False)
    modules_before = set(sys.modules)
    _udfs.install(_current)  # polars' UDF entry points, once polars is imported
    with _lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True
        if not _active:
            os.environ.__class__ = _environ_type()
        _active.append(rec)
    _local.recording = rec
    try:
        try:
            profiler.enable(subcalls=False, builtins=False)
        except ValueError as e:  # Python >= 3.12: another tool holds the profiler slot
            rec.problem = f"what it executed could not be recorded: {e}"
        try:
            yield rec
        finally:
            if rec.problem is None and sys.getprofile() is not profiler:
                rec.problem = "the task replaced the profiler that records what it executes"
            profiler.disable()
    finally:
        _local.recording = None
        with _lock:
            _active.remove(rec)
            if not _active:
                os.environ.__class__ = _environ_base
        rec.codes = [e.code for e in profiler.getstats() if isinstance(e.code, types.CodeType)]
        rec.modules = sorted(set(sys.modules) - modules_before)


# ---------------------------------------------------------------- kept between runs

_KINDS = ("code", "modules", "packages", "files", "folders", "env")


def merge(*recorded: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """The union of several runs' items."""
    return {kind: sorted({item for r in recorded if r for item in r.get(kind, ())}) for kind in _KINDS}


def load(storage_folder: str, key: str) -> dict[str, list[str]]:
    """What earlier runs of the task named ``key`` touched (empty when none recorded:
    a file that cannot be read counts as none, so the next run records again)."""
    found = _hints.load(storage_folder, "recorded", key)
    return {} if found is None else merge(found.get("items"))


def save(storage_folder: str, key: str, items: dict[str, list[str]]) -> None:
    """Replaces what is kept for ``key``. Two processes saving at once keep one of
    their sets: a result cached under the other set's key is not found again and runs
    once more, never wrongly reused."""
    _hints.save(storage_folder, "recorded", key, {"items": items})
