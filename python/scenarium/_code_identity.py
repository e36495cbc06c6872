"""A Python task's code identity: everything besides its inputs that decides its result.

The identity is a set of named parts, each the blake3 hash of a canonical encoding
that is the same in every process (no ``repr``, no memory address, no hash-seed
order, nothing truncated):

- ``task``: the configured callable itself: its code, defaults, closure cells, the
  instance a bound method or callable object carries, a ``partial``'s arguments;
- ``function m.f``, ``class m.C``, ``value m.NAME``: every function, class and
  module-level value of the user's own code that the task can reach, followed
  transitively through global names, module attributes (``helpers.f``,
  ``settings.FACTOR``), imports inside functions, containers (``OPS["f"]``),
  closure cells, defaults, ``partial`` arguments, bound instances and the functions
  a decorator wraps;
- ``package numpy``: a third-party distribution the task reaches, by version;
  ``python``: the interpreter's version (the standard library and bytecode);
- ``file ...``, ``env ...``: what the task declares with ``depends_on``.

Reachability is static: a name the code does not spell (``getattr(m, name)``,
``globals()[name]``, ``eval``), a file or an environment variable read without being
declared, cannot be seen; declare those with ``configure_task(..., depends_on=[...])``.
A value that has no canonical encoding (an open file, a lock) counts by its type
only and is listed as an ``opaque`` part.
"""

from __future__ import annotations

import dis
import functools
import glob
import importlib
import importlib.metadata
import math
import os
import site
import struct
import sys
import sysconfig
import types
import weakref
from typing import TYPE_CHECKING, Any, Callable, Iterable

from scenarium import _core

if TYPE_CHECKING:  # the payload types exist only in the stub
    from scenarium._core import FunctionRef

# The opcodes whose argument names a module: an import inside a function body.
_IMPORT_NAME = dis.opmap["IMPORT_NAME"]
_CO_HAS_DOCSTRING = getattr(__import__("inspect"), "CO_HAS_DOCSTRING", None)  # Python >= 3.14
# Deeper than this, a value counts as opaque rather than overflow the stack.
_MAX_DEPTH = 120
# Class attributes that are bookkeeping, not behaviour.
_CLASS_NOISE = frozenset(
    {"__dict__", "__weakref__", "__module__", "__doc__", "__qualname__", "__firstlineno__", "__static_attributes__"}
)
_hash = _core.Engine.blake3_hex


def _is_in(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots if r)


@functools.lru_cache(maxsize=1)
def _library_roots() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(standard library folders, installed-package folders), resolved."""
    paths = sysconfig.get_paths()
    stdlib = {paths.get("stdlib"), paths.get("platstdlib")}
    installed = {paths.get("purelib"), paths.get("platlib")}
    installed.update(getattr(site, "getsitepackages", lambda: [])())
    if site.ENABLE_USER_SITE:
        installed.add(site.getusersitepackages())
    resolve = lambda roots: tuple(sorted({os.path.realpath(p) for p in roots if p}))  # noqa: E731
    return resolve(stdlib), resolve(installed)


_module_kinds: dict[tuple[str, str | None], str] = {}


def module_kind(name: str) -> str:
    """ "user" (the project's own code, hashed by content), "stdlib" or "package"
    (an installed distribution, counted by its version)."""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None) if module is not None else None
    found = _module_kinds.get((name, file))
    if found is not None:
        return found
    top = name.partition(".")[0]
    if name in ("__main__", "__mp_main__"):
        kind = "user"
    elif top in sys.stdlib_module_names or top in sys.builtin_module_names:
        kind = "stdlib"
    elif top == "scenarium":
        kind = "package"
    elif top.startswith("_cython_"):
        kind = "stdlib"  # the module Cython registers for its own types (no file)
    elif module is None:
        # Not imported under this name (a compiled submodule, Cython's internal
        # types): its package decides; without one it counts by name only.
        kind = module_kind(top) if top != name and top in sys.modules else "stdlib"
    elif file is None:
        kind = "user"  # defined at run time, or a namespace package of the project
    else:
        stdlib, installed = _library_roots()
        real = os.path.realpath(file)
        kind = "package" if _is_in(real, installed) else "stdlib" if _is_in(real, stdlib) else "user"
    _module_kinds[(name, file)] = kind
    return kind


def _module_of(obj: Any) -> str:
    """The module an object says it comes from (a class's own ``__module__``, not
    one its metaclass provides)."""
    module = vars(obj).get("__module__") if isinstance(obj, type) else getattr(obj, "__module__", None)
    if not isinstance(module, str):
        module = getattr(obj, "__module__", None)
    return main_name(module) if isinstance(module, str) else "builtins"


def main_name(module: str) -> str:
    """``__main__`` for the running script under either of its names: a worker that
    multiprocessing spawns imports the parent's script as ``__mp_main__``."""
    return "__main__" if module == "__mp_main__" else module


@functools.cache
def package_version(top: str) -> str:
    """The installed version of the distribution that provides import name ``top``:
    its ``__version__`` when the module sets one (read from its namespace, so that a
    lazy ``__getattr__`` is not triggered), else the distribution's metadata (whose
    first use costs ~100 ms: importlib.metadata imports the email package)."""
    version = vars(sys.modules[top]).get("__version__") if top in sys.modules else None
    if isinstance(version, str):
        return f"{top}=={version}"
    try:
        return f"{top}=={importlib.metadata.version(top)}"
    except importlib.metadata.PackageNotFoundError:
        pass
    dists = _packages_distributions().get(top) or []
    if dists:
        return ",".join(f"{d}=={importlib.metadata.version(d)}" for d in sorted(set(dists)))
    return f"{top} (version unknown)"


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def _python_version() -> str:
    return f"{sys.implementation.name} {sys.version_info.major}.{sys.version_info.minor}"


# ---------------------------------------------------------------- code objects

# Code objects are immutable: their encoding is computed once per process.
_code_bytes: weakref.WeakKeyDictionary[types.CodeType, bytes] = weakref.WeakKeyDictionary()
_code_names: weakref.WeakKeyDictionary[types.CodeType, _Names] = weakref.WeakKeyDictionary()

# Methods that only put something into a container or a log. A module-level
# list that code only appends to (a call log) does not decide the result; hashing
# it would make the task run again after each of its own runs.
_SINK_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "extend",
        "extendleft",
        "add",
        "insert",
        "write",
        "writelines",
        "debug",
        "info",
        "warning",
        "error",
        "exception",
        "critical",
        "log",
    }
)


# How a global or a closure cell is loaded.
_LOADS = frozenset({"LOAD_GLOBAL", "LOAD_DEREF", "LOAD_CLASSDEREF"})


class _Names:
    """What a code object (with its nested code) spells: every name, the modules it
    imports, and the globals and closure cells it only ever calls a sink method on."""

    __slots__ = ("names", "imports", "sinks")

    def __init__(self, names: frozenset[str], imports: tuple[str, ...], sinks: frozenset[str]) -> None:
        self.names, self.imports, self.sinks = names, imports, sinks


def _encode_code(code: types.CodeType, doc: Any = None) -> bytes:
    found = _code_bytes.get(code)
    if found is not None:
        return found
    out: list[bytes] = [b"code", code.co_code]
    for field in (code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars):
        out.append(b"%d:" % len(field) + "\x00".join(field).encode("utf-8", "surrogatepass"))
    out.append(b"%d,%d,%d,%d" % (code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags))
    consts = code.co_consts
    if _CO_HAS_DOCSTRING is not None:
        has_doc = bool(code.co_flags & _CO_HAS_DOCSTRING)
    elif doc is not None:
        has_doc = bool(consts) and consts[0] == doc
    else:  # a nested function: up to 3.13, co_consts[0] is the docstring slot of a def
        has_doc = bool(consts) and isinstance(consts[0], str) and code.co_name != "<lambda>"
    for i, const in enumerate(consts):
        if i == 0 and has_doc:
            continue  # a docstring does not change what the code does
        out.append(_encode_code(const) if isinstance(const, types.CodeType) else _Encoder.plain(const))
    encoded = _hash(b"\0".join(out)).encode()
    _code_bytes[code] = encoded
    return encoded


def _names_of(code: types.CodeType) -> _Names:
    found = _code_names.get(code)
    if found is not None:
        return found
    names = set(code.co_names)
    imports: list[str] = []
    sunk: set[str] = set()
    read: set[str] = set()
    if _IMPORT_NAME in code.co_code[::2] or not _SINK_METHODS.isdisjoint(names):
        level = None
        previous = None
        for ins in dis.get_instructions(code):
            if ins.opname == "LOAD_CONST" and isinstance(ins.argval, int):
                level = ins.argval
            elif ins.opname == "IMPORT_NAME":
                imports.append("." * (level or 0) + str(ins.argval))
            if previous is not None and previous.opname in _LOADS:
                is_sink = ins.opname in ("LOAD_METHOD", "LOAD_ATTR") and ins.argval in _SINK_METHODS
                (sunk if is_sink else read).add(previous.argval)
            previous = ins
        # Anything else this code spells may be a read (a global loaded another
        # way, an attribute of the same name): only sink-only loads are sinks.
        read |= names - sunk
    else:
        read = names | set(code.co_freevars) | set(code.co_cellvars)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            inner = _names_of(const)
            names |= inner.names
            imports.extend(inner.imports)
            sunk |= inner.sinks
            read |= inner.names - inner.sinks
    found = _Names(frozenset(names), tuple(imports), frozenset(sunk - read))
    _code_names[code] = found
    return found


# ---------------------------------------------------------------- values


class _Encoder:
    """Canonical bytes of a value; objects of the user's code it meets are handed to
    the walker (``ref``), which gives them parts of their own."""

    def __init__(self, walker: _Walker | None) -> None:
        self.walker = walker
        self.memo: dict[int, int] = {}
        self.keep: list[Any] = []  # keeps memoised objects alive so ids stay unique

    @staticmethod
    def plain(value: Any) -> bytes:
        """Encoding of a value made of constants only (code constants, names)."""
        t = type(value)
        if t is str:  # most constants: one step, no encoder
            data = value.encode("utf-8", "surrogatepass")
            return b"s%d:" % len(data) + data
        if value is None:
            return b"N"
        return _Encoder(None).encode(value)

    def encode(self, value: Any) -> bytes:
        out: list[bytes] = []
        self._encode(value, out, 0)
        return b"".join(out)

    def _encode(self, v: Any, out: list[bytes], depth: int) -> None:  # noqa: C901 (one dispatch table)
        t = type(v)
        if v is None or v is Ellipsis or v is NotImplemented:
            out.append(b"N" if v is None else b"E" if v is Ellipsis else b"I")
        elif t is bool:
            out.append(b"T" if v else b"F")
        elif t is int:
            out.append(b"i%d;" % v)
        elif t is float:
            out.append(b"d" + (b"nan" if math.isnan(v) else struct.pack("<d", v)))
        elif t is complex:
            out.append(b"c")
            self._encode(v.real, out, depth)
            self._encode(v.imag, out, depth)
        elif t is str:
            data = v.encode("utf-8", "surrogatepass")
            out.append(b"s%d:" % len(data) + data)
        elif t is bytes:
            out.append(b"b%d:" % len(v) + v)
        elif depth > _MAX_DEPTH:
            out.append(self._opaque(v, "nested too deeply"))
        elif isinstance(v, types.CodeType):
            out.append(b"K" + _encode_code(v))
        else:
            key = id(v)
            if key in self.memo:
                out.append(b"@%d;" % self.memo[key])  # a shared or cyclic reference
                return
            self.memo[key] = len(self.memo)
            self.keep.append(v)
            self._encode_object(v, t, out, depth + 1)

    def _items(self, values: Iterable[Any], out: list[bytes], depth: int) -> None:
        values = list(values)
        out.append(b"%d[" % len(values))
        for item in values:
            self._encode(item, out, depth)
        out.append(b"]")

    def _encode_object(self, v: Any, t: type, out: list[bytes], depth: int) -> None:  # noqa: C901
        if t is tuple or t is list or t is bytearray:
            out.append({tuple: b"(", list: b"[", bytearray: b"B"}[t])
            self._items(v, out, depth)
        elif t is dict or t is types.MappingProxyType:
            # Insertion order is the same in every process, and code can see it.
            out.append(b"{")
            self._items((x for kv in v.items() for x in kv), out, depth)
        elif t is set or t is frozenset:
            # Iteration order follows the hash seed: sort the members' encodings.
            members = sorted(_Encoder(self.walker).encode(x) for x in v)
            out.append(b"<%d:" % len(members) + b"|".join(b"%d:" % len(m) + m for m in members))
        elif isinstance(v, (types.FunctionType, type)):
            out.append(self.walker.ref(v) if self.walker else self._opaque(v, "not a constant"))
        elif isinstance(v, types.ModuleType):
            # A module held as a value: which of its names are used cannot be told.
            if self.walker is not None:
                self.walker.whole_module(v)
            out.append(self.walker.ref(v) if self.walker else self._opaque(v, "not a constant"))
        elif isinstance(v, _DESCRIPTORS):
            out.append(b"D" + f"{v.__objclass__.__module__}.{v.__qualname__}".encode() + b";")
        elif isinstance(v, types.MethodType):
            out.append(b"m")
            self._encode(v.__func__, out, depth)
            self._encode(v.__self__, out, depth)
        elif isinstance(v, types.BuiltinFunctionType):
            owner = getattr(v, "__self__", None)
            if owner is None or isinstance(owner, types.ModuleType):
                out.append(self._external(getattr(v, "__module__", None) or "builtins", v.__qualname__))
            else:  # a method of a builtin object: [].append, "".join
                out.append(b"M" + v.__name__.encode())
                self._encode(owner, out, depth)
        elif isinstance(v, functools.partial):
            out.append(b"P")
            self._encode(v.func, out, depth)
            self._encode(v.args, out, depth)
            self._encode(v.keywords, out, depth)
            self._encode(getattr(v, "__dict__", {}), out, depth)
        elif isinstance(v, (staticmethod, classmethod)):
            out.append(b"S" if isinstance(v, staticmethod) else b"C")
            self._encode(v.__func__, out, depth)
        elif isinstance(v, property):
            out.append(b"p")
            self._items((v.fget, v.fset, v.fdel), out, depth)
        elif _is_numpy_array(v):
            self._encode_array(v, out, depth)
        elif not isinstance(v, types.FunctionType) and callable(getattr(v, "__wrapped__", None)):
            # lru_cache and other wrappers written in C: the function they wrap.
            out.append(b"W")
            out.append(self.walker.ref(t) if self.walker else self._external(t.__module__, t.__qualname__))
            self._encode(v.__wrapped__, out, depth)
        elif self.walker is not None and module_kind(_module_of(t)) == "user":
            out.append(b"o")
            out.append(self.walker.ref(t))
            self._encode(_instance_state(v), out, depth)
        else:
            self._encode_reduced(v, t, out, depth)

    def _encode_array(self, v: Any, out: list[bytes], depth: int) -> None:
        out.append(b"A" + v.dtype.str.encode() + b"%r;" % (v.shape,))
        if v.dtype.hasobject:
            self._encode(v.tolist(), out, depth)
        else:
            import numpy  # comes with pandas, optional

            out.append(_hash(numpy.ascontiguousarray(v).tobytes()).encode())

    def _encode_reduced(self, v: Any, t: type, out: list[bytes], depth: int) -> None:
        """Anything else by what pickle would save of it: how to rebuild it and its state."""
        try:
            reduced = v.__reduce_ex__(4)
        except Exception as e:  # noqa: BLE001  (any object may refuse)
            out.append(self._opaque(v, f"cannot be reduced: {e}"))
            return
        if isinstance(reduced, str):  # a module-level singleton
            out.append(self._external(getattr(v, "__module__", None) or t.__module__, reduced))
            return
        out.append(b"R")
        out.append(self.walker.ref(t) if self.walker else self._external(t.__module__, t.__qualname__))
        parts = list(reduced) + [None] * (6 - len(reduced))
        build, args, state, list_items, dict_items = parts[:5]
        self._encode(build, out, depth)
        self._encode(args, out, depth)
        self._encode(_sorted_state(state), out, depth)
        self._encode(None if list_items is None else list(list_items), out, depth)
        self._encode(None if dict_items is None else list(dict_items), out, depth)

    def _external(self, module: str, qualname: str) -> bytes:
        if self.walker is not None:
            self.walker.note_module(module)
        return b"X" + f"{module}:{qualname}".encode() + b";"

    def _opaque(self, v: Any, why: str) -> bytes:
        label = f"{type(v).__module__}.{type(v).__qualname__}"
        if self.walker is not None:
            self.walker.opaque.setdefault(f"opaque {label}", why)
        return b"?" + label.encode() + b";"


_DESCRIPTORS = (
    types.MemberDescriptorType,
    types.GetSetDescriptorType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
)


def _is_numpy_array(v: Any) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(v, numpy.ndarray)


def _instance_state(v: Any) -> Any:
    """An instance's attributes, by name (their order is not behaviour)."""
    state: dict[str, Any] = dict(sorted(getattr(v, "__dict__", {}).items()))
    for klass in type(v).__mro__:
        for slot in klass.__dict__.get("__slots__", ()):
            if slot not in ("__dict__", "__weakref__") and hasattr(v, slot):
                state[f"slot {klass.__qualname__}.{slot}"] = getattr(v, slot)
    return state


def _sorted_state(state: Any) -> Any:
    if type(state) is dict:
        return dict(sorted(state.items(), key=lambda kv: str(kv[0])))
    if type(state) is tuple and len(state) == 2 and all(s is None or type(s) is dict for s in state):
        return tuple(_sorted_state(s) for s in state)
    return state


# ---------------------------------------------------------------- the walk

_MISSING = object()
_FROZEN_TYPES = (int, float, complex, str, bytes, bool, type(None), types.CodeType, types.FunctionType, type)


def frozen(value: Any) -> bool:
    """Whether a value cannot change in place, so that it may be shared and checked by
    identity (functions and classes count: their content has guards of its own)."""
    if isinstance(value, _FROZEN_TYPES) or value is Ellipsis:
        return True
    if type(value) in (tuple, frozenset):
        return all(frozen(v) for v in value)
    return False


_LEAF_TYPES = frozenset({int, float, complex, str, bytes, bool, type(None)})
_CONTAINERS = frozenset({dict, list, set, tuple})


def _shallow(value: Any) -> tuple[Any, ...] | None:
    """Every leaf of plain nested containers (dicts, lists, sets, tuples) with the
    containers' sizes, when all leaves cannot change in place: equal by identity
    means equal content. None when the value must be encoded again to be checked."""
    leaves: list[Any] = []
    pending = [value]
    while pending:
        v = pending.pop()
        t = type(v)
        if t in _CONTAINERS:
            if len(leaves) > 10_000:
                return None
            leaves.append((t, len(v)))  # a fresh tuple: compared by value
            if t is dict:
                for k, x in v.items():
                    pending.append(k)
                    pending.append(x)
            else:
                pending.extend(v)
        elif t in _LEAF_TYPES or frozen(v):
            leaves.append(v)
        else:
            return None
    return tuple(leaves)


class _Guards:
    """What an identity was computed from, by kind."""

    __slots__ = ("lookups", "seen", "functions", "cells", "contents", "classes", "never")

    def __init__(self) -> None:
        self.lookups: list[tuple[Any, str, Any]] = []  # (namespace, name, what it held)
        self.seen: set[tuple[int, str]] = set()
        self.functions: list[tuple[Any, ...]] = []  # (fn, code, defaults, kwdefaults, closure, wrapped)
        self.cells: list[tuple[Any, Any]] = []  # (cell, contents)
        self.contents: list[tuple[Any, tuple[Any, ...] | None, bytes]] = []  # (value, members, encoding)
        self.classes: list[tuple[type, bytes]] = []  # (class, encoding)
        self.never = False  # something that cannot be checked (a failed import)


def _still_valid(guards: _Guards) -> bool:
    """Whether everything an identity was computed from is as it was: the same
    objects bound to the same names, functions with the same code, defaults and
    closure contents, and mutable values with the same encoding."""
    if guards.never:
        return False
    missing = _MISSING
    for namespace, name, held in guards.lookups:
        if namespace.get(name, missing) is not held:
            return False
    for fn, code, defaults, kwdefaults, closure, wrapped in guards.functions:
        if (
            fn.__code__ is not code
            or fn.__defaults__ is not defaults
            or fn.__kwdefaults__ is not kwdefaults
            or fn.__closure__ is not closure
            or fn.__dict__.get("__wrapped__") is not wrapped
        ):
            return False
    for cell, contents in guards.cells:
        try:
            if cell.cell_contents is not contents:
                return False
        except ValueError:
            return False
    for value, members, encoded in guards.contents:
        if members is not None:
            now = _shallow(value)
            if (
                now is not None
                and len(now) == len(members)
                and all(a is b or (type(a) is tuple and a == b) for a, b in zip(now, members))
            ):
                continue
        if _Encoder(_Walker()).encode(value) != encoded:
            return False
    for klass, encoded in guards.classes:
        if _Walker()._class_encoding(klass) != encoded:
            return False
    return True


# callable id -> (the callable, its guards, its parts): the last identity of each.
_memos: dict[int, tuple[Any, _Guards, dict[str, str]]] = {}
_MAX_MEMOS = 512


def _resolves_to(obj: Any) -> bool:
    """Whether ``obj`` is what its module and qualified name lead to: then its name
    identifies it, and its content is one part; otherwise (lambdas, closures, functions
    hidden by a decorator) it is hashed inside whatever refers to it."""
    qualname = getattr(obj, "__qualname__", None)
    module = sys.modules.get(_module_of(obj))
    if module is None or not isinstance(qualname, str) or "<" in qualname:
        return False
    target: Any = module
    for name in qualname.split("."):
        target = getattr(target, name, None)
        if target is None:
            return False
    return target is obj


class _Walker:
    def __init__(self) -> None:
        self.parts: dict[str, str] = {}
        self.opaque: dict[str, str] = {}
        self._inline: dict[int, bytes] = {}
        self._busy: set[int] = set()
        # module -> {attribute some code spells: token of what it is bound to}
        self._module_bindings: dict[str, dict[str, bytes]] = {}
        # Named parts whose content is still to be computed.
        self._queue: list[tuple[str, Callable[[], str]]] = []
        # What the parts were computed from (see _still_valid): a later identity of
        # the same callable is reused only while every guard holds.
        self.guards = _Guards()

    def guard_lookup(self, namespace: Any, name: str) -> Any:
        """``namespace[name]`` (or _MISSING), guarded: a rebinding invalidates."""
        value = namespace.get(name, _MISSING)
        key = (id(namespace), name)
        if key not in self.guards.seen:
            self.guards.seen.add(key)
            self.guards.lookups.append((namespace, name, value))
        return value

    def guard_content(self, value: Any, encoded: bytes) -> None:
        """A mutable value was encoded: it is encoded again to validate (after a
        quick look: a container whose members are the same immutable objects)."""
        if not frozen(value):
            self.guards.contents.append((value, _shallow(value), encoded))

    def ref(self, obj: Any) -> bytes:
        """The token naming ``obj`` inside its referrer's encoding."""
        if isinstance(obj, types.ModuleType):
            kind = module_kind(obj.__name__)
            if kind != "user":
                self.note_module(obj.__name__)
            return b"Mod:" + obj.__name__.encode() + b";"
        module = _module_of(obj)
        qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "?")
        if not isinstance(qualname, str):
            qualname = "?"
        if module_kind(module) != "user":
            self.note_module(module)
            return b"X" + f"{module}:{qualname}".encode() + b";"
        if _resolves_to(obj):
            kind = "class" if isinstance(obj, type) else "function"
            label = f"{kind} {module}.{qualname}"
            if label not in self.parts:
                # Its content is its own part, computed later from the queue: a
                # referrer needs only the name, and a chain of calls 1000 deep
                # must not exhaust the stack.
                self.parts[label] = ""
                self._queue.append((label, functools.partial(self._content, obj)))
            return b"L" + label.encode() + b";"
        # Anonymous: its content goes inline (a cycle back to it by position).
        key = id(obj)
        if key in self._busy:
            return b"cycle:" + qualname.encode() + b";"
        found = self._inline.get(key)
        if found is None:
            self._busy.add(key)
            try:
                found = self._inline[key] = b"inline:" + self._content(obj).encode() + b";"
            finally:
                self._busy.discard(key)
        return found

    def note_module(self, module: str) -> None:
        kind = module_kind(module)
        if kind == "package":
            top = module.partition(".")[0]
            self.parts.setdefault(f"package {top}", package_version(top))

    def _content(self, obj: Any) -> str:
        out = self._class_bytes(obj) if isinstance(obj, type) else self._function_bytes(obj)
        return _hash(out)

    def _function_bytes(self, fn: types.FunctionType) -> bytes:
        encoder = _Encoder(self)
        code = fn.__code__
        closure = fn.__closure__ or ()
        wrapped = fn.__dict__.get("__wrapped__")
        self.guards.functions.append((fn, code, fn.__defaults__, fn.__kwdefaults__, fn.__closure__, wrapped))
        out = [b"function", fn.__qualname__.encode(), _encode_code(code, fn.__doc__)]
        defaults = (fn.__defaults__, fn.__kwdefaults__)
        out.append(encoder.encode(defaults))
        self.guard_content(defaults, out[-1])
        spelled = _names_of(code)
        for name, cell in zip(code.co_freevars, closure):
            if name in spelled.sinks:
                out.append(b"cell " + name.encode() + b" sink")
                continue
            try:
                contents = cell.cell_contents
            except ValueError:  # not assigned yet
                out.append(b"cell " + name.encode() + b" empty")
                continue
            encoded = encoder.encode(contents)
            self.guards.cells.append((cell, contents))
            self.guard_content(contents, encoded)
            out.append(b"cell " + name.encode() + b"=" + encoded)
        if wrapped is not None:
            out.append(b"wraps " + encoder.encode(wrapped))
        names, imports = spelled.names, spelled.imports
        namespace = fn.__globals__
        owner = main_name(namespace.get("__name__", fn.__module__ or "__main__"))
        for name in sorted(names):
            value = self.guard_lookup(namespace, name)
            if name in spelled.sinks:
                out.append(b"sink " + name.encode())
            elif value is not _MISSING:
                out.append(b"global " + name.encode() + b"=" + self._global(owner, name, value, names))
        for imported in imports:
            out.append(b"import " + imported.encode() + b"=" + self._imported(imported, namespace, names))
        return b"\0".join(out)

    def _class_bytes(self, klass: type) -> bytes:
        encoded = self._class_encoding(klass)
        self.guards.classes.append((klass, encoded))
        return encoded

    def _class_encoding(self, klass: type) -> bytes:
        encoder = _Encoder(self)
        out = [b"class", klass.__qualname__.encode(), encoder.encode(klass.__bases__)]
        if type(klass) is not type:
            out.append(b"meta " + self.ref(type(klass)))
        for name, value in klass.__dict__.items():
            if name not in _CLASS_NOISE:
                out.append(name.encode() + b"=" + encoder.encode(value))
        return b"\0".join(out)

    def _global(self, owner: str, name: str, value: Any, names: frozenset[str]) -> bytes:
        """A module-level name some code reads: a token, and the value's own part."""
        if isinstance(value, types.ModuleType):
            self._module_attributes(value, names)
            return self.ref(value)
        if isinstance(value, (types.FunctionType, type)):
            return self.ref(value)
        if module_kind(owner) != "user":
            return b"X" + f"{owner}:{name}".encode() + b";"
        label = f"value {owner}.{name}"
        if label not in self.parts:
            self.parts[label] = ""
            self._queue.append((label, lambda: self._value_part(value)))
        return b"L" + label.encode() + b";"

    def _value_part(self, value: Any) -> str:
        encoded = _Encoder(self).encode(value)
        self.guard_content(value, encoded)
        return _hash(encoded)

    def _module_attributes(self, module: types.ModuleType, names: Iterable[str]) -> None:
        """``helpers.f``, ``settings.FACTOR``, ``pkg.sub.g``: the attributes of a user
        module that some code spells, with what each is bound to (a rebinding is a
        change) and each value's own part."""
        if module_kind(module.__name__) != "user":
            return
        bound = self._module_bindings.setdefault(module.__name__, {})
        namespace = vars(module)
        for attr in sorted(names):
            if attr in bound or attr.startswith("__"):
                continue
            value = self.guard_lookup(namespace, attr)
            if value is _MISSING:
                continue
            bound[attr] = b"..."  # reserved first: recursion ends here
            if isinstance(value, types.ModuleType):
                self._module_attributes(value, names)
                bound[attr] = self.ref(value)
            else:
                bound[attr] = self._global(module.__name__, attr, value, frozenset(names))

    def _imported(self, name: str, namespace: dict[str, Any], names: frozenset[str]) -> bytes:
        """A module imported inside a function body (``from .helpers import f``)."""
        try:
            module = importlib.import_module(name, namespace.get("__package__") or None)
        except Exception as e:  # noqa: BLE001  (the task itself will report it)
            self.opaque.setdefault(f"opaque import {name}", f"cannot be imported: {type(e).__name__}: {e}")
            self.guards.never = True
            return b"?import;"
        self.guard_lookup(sys.modules, module.__name__)
        self._module_attributes(module, names)
        return self.ref(module)

    def finish(self) -> dict[str, str]:
        while self._queue:
            label, compute = self._queue.pop()
            self.parts[label] = compute()
        for module, bound in sorted(self._module_bindings.items()):
            tokens = b"\0".join(attr.encode() + b"=" + token for attr, token in sorted(bound.items()))
            self.parts[f"module {module} names"] = _hash(tokens)
        return {**self.parts, **self.opaque}

    def whole_module(self, module: types.ModuleType) -> None:
        """Every name a module defines (``depends_on=[module]``)."""
        self._module_attributes(module, [n for n in vars(module) if not n.startswith("__")])


def function_ref(function: Callable[..., Any]) -> FunctionRef:
    """Where a task's code lives, stable across processes: a plain function by its
    module and qualified name (importable when the name leads back to it); a bound
    method, a ``partial`` or a callable object by what it wraps, marked with ``<...>``
    so that it is never imported by name (it is found through its TaskConfig)."""
    native = getattr(function, "__scenarium_native__", None)
    if native is not None:
        name, version = native
        return {"kind": "native", "name": name, "version": version}
    if isinstance(function, (types.FunctionType, types.BuiltinFunctionType, type)):
        module = main_name(getattr(function, "__module__", None) or "__main__")
        qualname = str(getattr(function, "__qualname__", None) or getattr(function, "__name__", "?"))
        return {"kind": "python", "module": module, "qualname": qualname}
    if isinstance(function, types.MethodType):
        inner, what = function.__func__, "bound method"
    elif isinstance(function, functools.partial):
        inner, what = function.func, "partial of"
    else:
        inner, what = type(function), "instance of"
    module = main_name(getattr(inner, "__module__", None) or "__main__")
    qualname = getattr(inner, "__qualname__", None) or type(inner).__qualname__
    return {"kind": "python", "module": module, "qualname": f"<{what} {qualname}>"}


def identity(function: Callable[..., Any], depends_on: Iterable[str] = (), engine: Any = None) -> dict[str, str]:
    """The named parts of ``function``'s code identity (see the module's docstring).

    Example:
        >>> sorted(identity(len))
        ['python', 'task']
    """
    depends_on = list(depends_on)
    files_and_env = [d for d in depends_on if not d.startswith("module:")]
    memo = _memos.get(id(function))
    if memo is not None and memo[0] is function and len(files_and_env) == len(depends_on) and _still_valid(memo[1]):
        parts = dict(memo[2])
    else:
        walker = _Walker()
        walker.parts["python"] = _python_version()
        encoded = _Encoder(walker).encode(function)
        walker.guard_content(function, encoded)
        walker.parts["task"] = _hash(encoded)
        for dependency in depends_on:
            if dependency.startswith("module:"):
                walker.whole_module(importlib.import_module(dependency[len("module:") :]))
        parts = walker.finish()
        if len(_memos) >= _MAX_MEMOS:
            _memos.clear()
        _memos[id(function)] = (function, walker.guards, dict(parts))
    # Files and environment variables are read again every time.
    for dependency in files_and_env:
        parts.update(declared_dependency(dependency, engine))
    return parts


def value_digest(value: Any) -> str:
    """A fingerprint of a value by content, the same in every process; it starts with
    ``opaque:`` when part of the value has no canonical encoding (then it names only
    that part's type, and two such values may not be told apart).

    Example:
        >>> value_digest({"b", "a"}) == value_digest({"a", "b"})
        True
    """
    walker = _Walker()
    digest = _hash(_Encoder(walker).encode(value) + b"\0" + repr(sorted(walker.finish().items())).encode())
    return f"opaque:{digest}" if walker.opaque else digest


def declared_dependency(spec: str, engine: Any) -> dict[str, str]:
    """Parts for one ``depends_on`` entry that is read again at every submit:
    ``"$NAME"`` an environment variable, otherwise a file, a folder or a glob
    pattern (``"module:NAME"`` entries are walked as code by ``identity``)."""
    if spec.startswith("$"):
        value = os.environ.get(spec[1:])
        return {
            f"env {spec[1:]}": "unset" if value is None else _hash(b"set:" + value.encode("utf-8", "surrogatepass"))
        }
    return {f"file {spec}": _hash(_files_bytes(spec, engine))}


def _files_bytes(spec: str, engine: Any) -> bytes:
    """What the files a ``depends_on`` path or pattern names hold; ``engine`` hashes
    them (and remembers each file's hash while ``stat`` shows it unchanged)."""
    if glob.has_magic(spec):
        matches = sorted(glob.glob(spec, recursive=True))
    else:
        matches = [spec]
    out: list[bytes] = []
    for path in matches:
        if os.path.isdir(path):
            out.append(b"dir " + path.encode() + b"=" + engine.tree_fingerprint(path).encode())
        elif os.path.isfile(path):
            out.append(b"file " + path.encode() + b"=" + engine.file_fingerprint(path).encode())
        else:
            out.append(b"missing " + path.encode())
    return b"\0".join(out)
