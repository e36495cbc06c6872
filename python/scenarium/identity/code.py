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

The walk is static; what it cannot see a task's run records (``_recording``: the
user functions it executed, files it opened, environment variables it read), and the
next identity of the task covers those too (``recorded``).

It fails closed: a value with no canonical encoding (an open file, a lock, an object
that refuses to be reduced) gives an ``unencodable <where> (<type>)`` part, and a task
whose identity has one is never reused: it runs on every submit, and ``explain()``
says which value. A type can give its own identity (``__scenarium_identity__`` or
``register_identity``).
"""

from __future__ import annotations

import copyreg
import dis
import functools
import glob
import importlib
import importlib.metadata
import inspect
import json
import math
import os
import site
import struct
import sys
import sysconfig
import types
import weakref
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from scenarium._core import Engine

if TYPE_CHECKING:  # the payload types exist only in the stub
    from scenarium._core import FunctionRef

# The opcodes whose argument names a module: an import inside a function body.
_IMPORT_NAME = dis.opmap["IMPORT_NAME"]
_CO_HAS_DOCSTRING = getattr(inspect, "CO_HAS_DOCSTRING", None)  # Python >= 3.14
_CO_OPTIMIZED = 0x0001
# Deeper than this, a value is unencodable (its task always runs) rather than overflow the stack.
_MAX_DEPTH = 120
# Class attributes that are bookkeeping, not behaviour.
_CLASS_NOISE = frozenset(
    {"__dict__", "__weakref__", "__module__", "__doc__", "__qualname__", "__firstlineno__", "__static_attributes__"}
)
_hash = Engine.blake3_hex


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


_module_kinds: dict[tuple[str, str | None, tuple[str, ...]], str] = {}
# Folders the user adds to the project (Config.configure_core(project_paths=[...])).
_extra_project_paths: list[str] = []


def set_project_paths(paths: Iterable[str]) -> None:
    """Folders whose modules are the project's own code, besides the current folder
    and the running script's folder."""
    _extra_project_paths[:] = [os.path.realpath(os.fspath(p)) for p in paths]
    _memos.clear()


_roots_found: dict[tuple[Any, ...], tuple[str, ...]] = {}


def project_roots() -> tuple[str, ...]:
    """The folders of the user's project: the current folder, the entry script's
    folder and the paths added to the configuration."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    script = main_file if isinstance(main_file, str) else None
    key = (os.getcwd(), script, *_extra_project_paths)
    found = _roots_found.get(key)
    if found is None:
        roots = [os.getcwd(), *_extra_project_paths]
        if script is not None:
            roots.append(os.path.dirname(os.path.abspath(script)))
        found = _roots_found[key] = tuple(sorted({os.path.realpath(r) for r in roots}))
    return found


def module_kind(name: str) -> str:
    """ "user" (the project's own code: under the project's folders, or installed
    in editable mode; walked and hashed by content), "stdlib", or "package"
    (anything else: an installed distribution by its version; a library on
    ``PYTHONPATH`` that no distribution provides by the content of its files).
    Never walked unless "user"."""
    module = sys.modules.get(name)
    file = getattr(module, "__file__", None) if module is not None else None
    if file is None and module is not None:  # a namespace package: where its folders are
        file = next(iter(getattr(module, "__path__", None) or ()), None)
    roots = project_roots() if isinstance(file, str) else ()
    found = _module_kinds.get((name, file, roots))
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
    elif not isinstance(file, str):
        kind = "user"  # defined at run time (a notebook, exec)
    else:
        stdlib, installed = _library_roots()
        real = os.path.realpath(file)
        if _is_in(real, installed):
            kind = "package"
        elif _is_in(real, stdlib):
            kind = "stdlib"
        elif _is_in(real, roots) or _installed_editable(top):
            kind = "user"
        else:
            kind = "package"
    _module_kinds[(name, file, roots)] = kind
    return kind


@functools.cache
def _installed_editable(top: str) -> bool:
    """Whether import name ``top`` comes from a distribution installed in editable
    mode (``pip install -e``): the user's own project, wherever it is run from."""
    for dist in _packages_distributions().get(top) or ():
        try:
            text = importlib.metadata.distribution(dist).read_text("direct_url.json")
        except Exception:  # noqa: BLE001  (a broken distribution: not the project's)
            continue
        try:
            editable = bool(json.loads(text or "{}").get("dir_info", {}).get("editable"))
        except (ValueError, AttributeError):
            editable = False
        if editable:
            return True
    return False


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


def package_version(top: str) -> str:
    """The installed version of the distribution that provides import name ``top``:
    its ``__version__`` when the module sets one (read from its namespace, so that a
    lazy ``__getattr__`` is not triggered), else the distribution's metadata (whose
    first use costs ~100 ms: importlib.metadata imports the email package). A module
    no distribution provides (a library put on ``PYTHONPATH``) counts by the content
    of its files."""
    module = sys.modules.get(top)
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        real, (stdlib, installed) = os.path.realpath(file), _library_roots()
        if not _is_in(real, installed) and not _is_in(real, stdlib):
            return f"{top} files {_source_digest(module)}"
    return _distribution_version(top)


@functools.cache
def _distribution_version(top: str) -> str:
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


# (file, mtime, size) of a library's sources -> their digest
_source_digests: dict[tuple[tuple[str, int, int], ...], str] = {}


def _source_digest(module: Any) -> str:
    """The content of a module's source files (every ``.py`` under a package)."""
    folders = list(getattr(module, "__path__", None) or [])
    files = [module.__file__] if not folders else []
    for folder in folders:
        for base, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            files.extend(os.path.join(base, n) for n in sorted(names) if n.endswith((".py", ".so", ".pyd")))
    stats = []
    for path in files:
        try:
            st = os.stat(path)
        except OSError:
            continue
        stats.append((path, st.st_mtime_ns, st.st_size))
    key = tuple(stats)
    found = _source_digests.get(key)
    if found is None:
        chunks = []
        for path, _, _ in stats:
            with open(path, "rb") as f:
                chunks.append(path.encode("utf-8", "surrogatepass") + b"\0" + _hash(f.read()).encode())
        found = _source_digests[key] = _hash(b"\0".join(chunks))[:16]
    return found


@functools.lru_cache(maxsize=1)
def _packages_distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def _python_version() -> str:
    return f"{sys.implementation.name} {sys.version_info.major}.{sys.version_info.minor}"


# ---------------------------------------------------------------- code objects

# Code objects are immutable: their encoding is computed once per process.
_code_bytes: weakref.WeakKeyDictionary[types.CodeType, bytes] = weakref.WeakKeyDictionary()
_code_names: weakref.WeakKeyDictionary[types.CodeType, _Names] = weakref.WeakKeyDictionary()


class _Names:
    """What a code object (with its nested code) spells: every name, and the modules
    it imports (``from . import helpers`` gives ``.`` and ``.helpers``: a submodule
    named in a from-list is imported as a module when it is one)."""

    __slots__ = ("names", "imports")

    def __init__(self, names: frozenset[str], imports: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        self.names, self.imports = names, imports


def _has_docstring_slot(code: types.CodeType) -> bool:
    """Whether ``co_consts[0]`` is a def's docstring. Up to 3.13 the compiler puts a
    def's docstring, or None, first; comprehensions, generator expressions and
    lambdas (``<...>`` names) and class or module bodies (not optimized) have no such
    slot, so a string there is a constant the code uses."""
    return bool(code.co_flags & _CO_OPTIMIZED) and not code.co_name.startswith("<")


def _encode_code(code: types.CodeType) -> bytes:
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
    else:
        has_doc = bool(consts) and isinstance(consts[0], str) and _has_docstring_slot(code)
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
    names = set(code.co_names) | set(code.co_freevars) | set(code.co_cellvars)
    imports: list[tuple[str, tuple[str, ...]]] = []
    if _IMPORT_NAME in code.co_code[::2]:
        consts: list[Any] = []  # the LOAD_CONSTs just before IMPORT_NAME: level, from-list
        for ins in dis.get_instructions(code):
            if ins.opname == "LOAD_CONST":
                consts.append(ins.argval)
                continue
            if ins.opname == "IMPORT_NAME":
                level = consts[-2] if len(consts) >= 2 and isinstance(consts[-2], int) else 0
                fromlist = consts[-1] if consts and isinstance(consts[-1], tuple) else ()
                imports.append(("." * level + str(ins.argval), tuple(str(n) for n in fromlist if n != "*")))
            consts = []
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            inner = _names_of(const)
            names |= inner.names
            imports.extend(inner.imports)
    found = _Names(frozenset(names), tuple(imports))
    _code_names[code] = found
    return found


# Opcodes that take an attribute of what was just loaded (a module's name read).
_ATTRIBUTE_OPS = frozenset(
    dis.opmap[name]
    for name in ("LOAD_ATTR", "LOAD_METHOD", "STORE_ATTR", "DELETE_ATTR", "IMPORT_FROM")
    if name in dis.opmap
)
_GLOBAL_LOADS = frozenset(dis.opmap[name] for name in ("LOAD_GLOBAL", "LOAD_NAME") if name in dis.opmap)
_SKIPPED_OPS = frozenset(dis.opmap[name] for name in ("CACHE", "NOP") if name in dis.opmap)
_EXTENDED_ARG = dis.opmap["EXTENDED_ARG"]
_LOAD_GLOBAL_SHIFT = 1 if sys.version_info >= (3, 11) else 0  # LOAD_GLOBAL's low bit: push NULL
_LOAD_GLOBAL = dis.opmap["LOAD_GLOBAL"]
_code_value_uses: weakref.WeakKeyDictionary[types.CodeType, frozenset[str]] = weakref.WeakKeyDictionary()


def _used_as_values(code: types.CodeType) -> frozenset[str]:
    """The global names this code (with its nested code) loads other than to take an
    attribute at once: a module loaded so is handed to something (``scale(x,
    settings)``) that may read any of its names. (A module in a closure cell or a
    default is encoded as a value, whole.) A scan of the raw bytecode: ``dis`` costs
    ten times more."""
    found = _code_value_uses.get(code)
    if found is not None:
        return found
    uses: set[str] = set()
    raw, names = code.co_code, code.co_names
    pending: str | None = None
    extended = 0
    for i in range(0, len(raw), 2):
        op = raw[i]
        if op in _SKIPPED_OPS:
            continue
        if op == _EXTENDED_ARG:
            extended = (extended | raw[i + 1]) << 8
            continue
        arg, extended = extended | raw[i + 1], 0
        if pending is not None and op not in _ATTRIBUTE_OPS:
            uses.add(pending)
        pending = None
        if op in _GLOBAL_LOADS:
            index = arg >> _LOAD_GLOBAL_SHIFT if op == _LOAD_GLOBAL else arg
            pending = names[index] if index < len(names) else None
    if pending is not None:
        uses.add(pending)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            uses |= _used_as_values(const)
    found = frozenset(uses)
    _code_value_uses[code] = found
    return found


# ---------------------------------------------------------------- values


class _Encoder:
    """Canonical bytes of a value; objects of the user's code it meets are handed to
    the walker (``ref``), which gives them parts of their own."""

    def __init__(self, walker: _Walker | None, where: str = "a value") -> None:
        self.walker = walker
        # Where the value is reached from (a part's label), to name an unencodable one.
        self.where = where
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
            out.append(self._unencodable(v, f"nested more than {_MAX_DEPTH} levels deep"))
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
            self._set(v, out)
        elif (hook := _identity_hook(t)) is not None:
            out.append(b"H" + self._type_token(t))
            try:
                own = hook(v)
            except Exception as e:  # noqa: BLE001  (a user's hook may fail)
                out.append(self._unencodable(v, f"its identity hook failed: {type(e).__name__}: {e}"))
                return
            self._encode(own, out, depth)
        elif isinstance(v, (types.FunctionType, type)):
            out.append(self.walker.ref(v, self.where) if self.walker else self._unencodable(v, "a function in a value"))
        elif isinstance(v, types.ModuleType):
            # A module held as a value: which of its names are read cannot be told.
            if self.walker is not None:
                self.walker.whole_module(v)
            out.append(self.walker.ref(v) if self.walker else self._unencodable(v, "a module in a value"))
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
        elif isinstance(v, functools.cached_property):
            # Its function and name; up to 3.11 it also holds a lock, which is no state.
            out.append(b"cp")
            self._items((v.func, v.attrname), out, depth)
        elif _is_numpy_array(v):
            self._encode_array(v, out, depth)
        elif callable(wrapped := _static_attr(v, "__wrapped__")):
            # lru_cache and other wrappers written in C: the function they wrap, and
            # whatever else they carry (their __dict__).
            out.append(b"W" + self._type_token(t))
            self._encode(wrapped, out, depth)
            self._encode(dict(sorted(getattr(v, "__dict__", {}).items())), out, depth)
        elif self.walker is not None and self.walker.kind(_module_of(t)) == "user":
            # The project's own class: its code is its own part; an instance is its
            # attributes and, for a tuple/list/dict/set subclass, its content.
            out.append(b"o" + self.walker.ref(t))
            self._encode(_instance_state(v), out, depth)
            self._container_content(v, out, depth)
        else:
            self._encode_reduced(v, t, out, depth)

    def _set(self, v: Any, out: list[bytes]) -> None:
        # Iteration order follows the hash seed: sort the members' encodings.
        members = sorted(self._detached(x) for x in v)
        out.append(b"<%d:" % len(members) + b"|".join(b"%d:" % len(m) + m for m in members))

    def _detached(self, value: Any) -> bytes:
        """``value``'s encoding on its own (no back-references into the rest), with
        what it finds reported to the same walker."""
        inner = _Encoder(self.walker)
        inner.where = self.where
        return inner.encode(value)

    def _container_content(self, v: Any, out: list[bytes], depth: int) -> None:
        """The content of a builtin container's subclass, read through the base type
        so that an overridden ``__iter__`` or ``__getitem__`` cannot hide it."""
        if isinstance(v, dict):
            out.append(b"{")
            self._items((x for kv in dict.items(v) for x in kv), out, depth)
        elif isinstance(v, (tuple, list)):
            out.append(b"(")
            self._items(tuple.__iter__(v) if isinstance(v, tuple) else list.__iter__(v), out, depth)
        elif isinstance(v, (set, frozenset)):
            self._set(frozenset(v), out)

    def _type_token(self, t: type) -> bytes:
        return self.walker.ref(t) if self.walker else self._external(t.__module__, t.__qualname__)

    def _encode_array(self, v: Any, out: list[bytes], depth: int) -> None:
        dtype = v.dtype
        # A structured dtype's field names, offsets and shapes are in its descr only.
        described = repr(dtype.descr) if dtype.fields is not None else dtype.str
        out.append(b"A" + described.encode() + b"%r;" % (v.shape,))
        if dtype.hasobject:
            self._encode(v.tolist(), out, depth)
        else:
            import numpy  # comes with pandas, optional

            out.append(_hash(numpy.ascontiguousarray(v).tobytes()).encode())

    def _encode_reduced(self, v: Any, t: type, out: list[bytes], depth: int) -> None:
        """Anything else by what pickle would save of it: how to rebuild it and its
        state, found as pickle finds it (``copyreg.dispatch_table`` first: compiled
        patterns, for one, are reduced only there)."""
        try:
            reducer = copyreg.dispatch_table.get(t)
            reduced = reducer(v) if reducer is not None else v.__reduce_ex__(4)
        except Exception as e:  # noqa: BLE001  (any object may refuse)
            out.append(self._unencodable(v, f"cannot be reduced as pickle would: {type(e).__name__}: {e}"))
            return
        if isinstance(reduced, str):  # a module-level singleton
            out.append(self._external(getattr(v, "__module__", None) or t.__module__, reduced))
            return
        out.append(b"R" + self._type_token(t))
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

    def _unencodable(self, v: Any, why: str) -> bytes:
        """A value with no canonical encoding: named with where it is reached from,
        so that the task is never reused and the user is told which value it is."""
        label = f"{type(v).__module__}.{type(v).__qualname__}"
        if self.walker is not None:
            self.walker.unencodable.setdefault(f"unencodable {self.where} ({label})", why)
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
    """An instance's attributes, by name (their order is not behaviour), read without
    calling its ``__getattr__`` (``AttrDict``'s raises KeyError)."""
    try:
        own = vars(v)
    except TypeError:  # no __dict__
        own = {}
    state: dict[str, Any] = dict(sorted(own.items(), key=lambda kv: str(kv[0])))
    for klass in type(v).__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            descriptor: Any = klass.__dict__.get(slot)
            if slot in ("__dict__", "__weakref__") or not hasattr(descriptor, "__get__"):
                continue
            try:
                state[f"slot {klass.__qualname__}.{slot}"] = descriptor.__get__(v, klass)
            except AttributeError:  # not assigned
                pass
    return state


def _static_attr(v: Any, name: str) -> Any:
    """``v.name`` found in its ``__dict__`` or its class's, never through a
    ``__getattr__`` (which may raise anything, or answer every name)."""
    try:
        return inspect.getattr_static(v, name, None)
    except Exception:  # noqa: BLE001  (a hostile __dict__ or metaclass)
        return None


# type -> how to give its instances an identity (register_identity).
_identity_hooks: dict[type, Callable[[Any], Any]] = {}


def register_identity(klass: type, identity: Callable[[Any], Any]) -> None:
    """Gives instances of ``klass`` (and its subclasses) an identity in tasks' code
    identities and values' fingerprints: ``identity(instance)`` returns a value that
    has one (numbers, strings, tuples...). For a type with no canonical encoding (a
    client, a connection) that would otherwise make every task reaching it re-run.
    A class of your own can define ``__scenarium_identity__(self)`` instead.

    Example:
        >>> import re
        >>> class Client:
        ...     def __init__(self, url): self.url, self.session = url, object()
        >>> register_identity(Client, lambda c: c.url)
    """
    if not isinstance(klass, type) or not callable(identity):
        raise TypeError("register_identity(klass, identity) takes a class and a callable")
    _identity_hooks[klass] = identity
    _memos.clear()


def _identity_hook(t: type) -> Callable[[Any], Any] | None:
    if _identity_hooks:
        for klass in t.__mro__:
            if klass in _identity_hooks:
                return _identity_hooks[klass]
    own = inspect.getattr_static(t, "__scenarium_identity__", None)
    return (lambda v: own(v)) if callable(own) else None  # noqa: E731


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


def covered_code(function: Any) -> frozenset[types.CodeType]:
    """The code objects (with the code nested in them) that the last identity of
    ``function`` computed in this process encoded: a run that executes only these
    adds nothing to what the identity already covers."""
    memo = _memos.get(id(function))
    if memo is None or memo[0] is not function:
        return frozenset()
    found: set[types.CodeType] = set()
    pending = [entry[1] for entry in memo[1].functions]
    while pending:
        code = pending.pop()
        if code not in found:
            found.add(code)
            pending.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return frozenset(found)


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
_memos: dict[int, tuple[Any, _Guards, dict[str, str], tuple[Any, ...]]] = {}
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
        # "unencodable <where> (<type>)" -> why: a task with any is never reused.
        self.unencodable: dict[str, str] = {}
        self._inline: dict[int, bytes] = {}
        self._busy: set[int] = set()
        # module -> {attribute some code spells: token of what it is bound to}
        self._module_bindings: dict[str, dict[str, bytes]] = {}
        self._kinds: dict[str, str] = {}  # module_kind, for this walk
        # Named parts whose content is still to be computed.
        self._queue: list[tuple[str, Callable[[], str]]] = []
        # What the parts were computed from (see _still_valid): a later identity of
        # the same callable is reused only while every guard holds.
        self.guards = _Guards()

    def kind(self, module: str) -> str:
        found = self._kinds.get(module)
        if found is None:
            found = self._kinds[module] = module_kind(module)
        return found

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

    def ref(self, obj: Any, where: str = "a value") -> bytes:
        """The token naming ``obj`` inside its referrer's encoding."""
        if isinstance(obj, types.ModuleType):
            if self.kind(obj.__name__) != "user":
                self.note_module(obj.__name__)
            return b"Mod:" + obj.__name__.encode() + b";"
        module = _module_of(obj)
        qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "?")
        if not isinstance(qualname, str):
            qualname = "?"
        if self.kind(module) != "user":
            self.note_module(module)
            return b"X" + f"{module}:{qualname}".encode() + b";"
        if _resolves_to(obj):
            label = f"{'class' if isinstance(obj, type) else 'function'} {module}.{qualname}"
            if label not in self.parts:
                # Its content is its own part, computed later from the queue: a
                # referrer needs only the name, and a chain of calls 1000 deep
                # must not exhaust the stack.
                self.parts[label] = ""
                self._queue.append((label, functools.partial(self._content, obj, label)))
            return b"L" + label.encode() + b";"
        # Anonymous: its content goes inline (a cycle back to it by position).
        key = id(obj)
        if key in self._busy:
            return b"cycle:" + qualname.encode() + b";"
        found = self._inline.get(key)
        if found is None:
            self._busy.add(key)
            try:
                inner = f"{where} -> {module}.{qualname}"
                found = self._inline[key] = b"inline:" + self._content(obj, inner).encode() + b";"
            finally:
                self._busy.discard(key)
        return found

    def note_module(self, module: str) -> None:
        kind = self.kind(module)
        if kind == "package":
            top = module.partition(".")[0]
            self.parts.setdefault(f"package {top}", package_version(top))

    def reach_module(self, module: types.ModuleType, names: Iterable[str]) -> None:
        """A module some code reaches, and the attribute names that code spells."""
        if self.kind(module.__name__) == "user":
            self._module_attributes(module, names)
        else:
            self.note_module(module.__name__)

    def _content(self, obj: Any, where: str) -> str:
        out = self._class_bytes(obj, where) if isinstance(obj, type) else self._function_bytes(obj, where)
        return _hash(out)

    def _function_bytes(self, fn: types.FunctionType, where: str) -> bytes:
        encoder = _Encoder(self, where)
        code = fn.__code__
        closure = fn.__closure__ or ()
        wrapped = fn.__dict__.get("__wrapped__")
        self.guards.functions.append((fn, code, fn.__defaults__, fn.__kwdefaults__, fn.__closure__, wrapped))
        out = [b"function", fn.__qualname__.encode(), _encode_code(code)]
        registry = _dispatch_registry(fn)
        if registry is not None:
            # functools.singledispatch: what it dispatches to (its closure holds a
            # cache of weak references, which has no content of its own).
            out.append(b"dispatch " + encoder.encode((wrapped, registry)))  # the live mapping
            self.guard_content(registry, out[-1])
            return b"\0".join(out)
        defaults = (fn.__defaults__, fn.__kwdefaults__)
        out.append(encoder.encode(defaults))
        self.guard_content(defaults, out[-1])
        for name, cell in zip(code.co_freevars, closure):
            try:
                contents = cell.cell_contents
            except ValueError:  # not assigned yet
                out.append(b"cell " + name.encode() + b" empty")
                continue
            encoded = encoder.encode(contents)
            self.guards.cells.append((cell, contents))
            self.guard_content(contents, encoded)
            out.append(b"cell " + name.encode() + b"=" + encoded)
        if fn.__dict__:
            # Its attributes (what a decorator attached, __wrapped__ included).
            out.append(b"attributes " + encoder.encode(fn.__dict__))
            self.guard_content(fn.__dict__, out[-1])
        spelled = _names_of(code)
        namespace = fn.__globals__
        owner = main_name(namespace.get("__name__", fn.__module__ or "__main__"))
        for name in sorted(spelled.names):
            value = self.guard_lookup(namespace, name)
            if value is _MISSING:
                continue
            if isinstance(value, types.ModuleType) and name in _used_as_values(code):
                self.whole_module(value)  # handed to something that may read any name
            out.append(b"global " + name.encode() + b"=" + self._global(owner, name, value, spelled.names))
        for imported, fromlist in spelled.imports:
            token = self._imported(imported, fromlist, namespace, where, spelled.names)
            out.append(b"import " + imported.encode() + b"=" + token)
        return b"\0".join(out)

    def _class_bytes(self, klass: type, where: str) -> bytes:
        encoded = self._class_encoding(klass, where)
        self.guards.classes.append((klass, encoded))
        return encoded

    def _class_encoding(self, klass: type, where: str = "a class") -> bytes:
        encoder = _Encoder(self, where)
        out = [b"class", klass.__qualname__.encode(), encoder.encode(klass.__bases__)]
        if type(klass) is not type:
            out.append(b"meta " + self.ref(type(klass), where))
        for name, value in klass.__dict__.items():
            if name not in _CLASS_NOISE:
                out.append(name.encode() + b"=" + encoder.encode(value))
        return b"\0".join(out)

    def _global(self, owner: str, name: str, value: Any, names: Iterable[str]) -> bytes:
        """A module-level name some code (spelling ``names``) reads: a token, and the
        value's own part."""
        if isinstance(value, types.ModuleType):
            self.reach_module(value, names)
        if isinstance(value, (types.ModuleType, types.FunctionType, type)):
            return self.ref(value, f"value {owner}.{name}")
        if self.kind(owner) != "user":
            return b"X" + f"{owner}:{name}".encode() + b";"
        label = f"value {owner}.{name}"
        if label not in self.parts:
            self.parts[label] = ""
            self._queue.append((label, lambda: self._value_part(value, label)))
        return b"L" + label.encode() + b";"

    def _value_part(self, value: Any, where: str) -> str:
        encoded = _Encoder(self, where).encode(value)
        self.guard_content(value, encoded)
        return _hash(encoded)

    def _module_attributes(self, module: types.ModuleType, names: Iterable[str]) -> None:
        """``helpers.f``, ``settings.FACTOR``, ``pkg.sub.g``: the attributes of a user
        module that some code spells, with what each is bound to (a rebinding, or a
        name bound later, is a change) and each value's own part."""
        bound = self._module_bindings.setdefault(module.__name__, {})
        namespace = vars(module)
        for attr in sorted(names):
            if attr in bound or attr.startswith("__"):
                continue
            value = self.guard_lookup(namespace, attr)
            if value is _MISSING:
                continue
            bound[attr] = b"..."  # reserved first: recursion ends here
            bound[attr] = self._global(module.__name__, attr, value, names)

    def _imported(
        self, name: str, fromlist: tuple[str, ...], namespace: dict[str, Any], where: str, names: Iterable[str]
    ) -> bytes:
        """A module imported inside a function body (``from .helpers import f``), and
        the submodules its from-list names (``from . import helpers``), imported now
        if the task has not imported them yet: the task will."""
        package = namespace.get("__package__") or None
        try:
            module = importlib.import_module(name, package)
        except Exception as e:  # noqa: BLE001  (the task itself will report it)
            self.unencodable.setdefault(f"unencodable import {name} in {where}", f"{type(e).__name__}: {e}")
            self.guards.never = True
            return b"?import;"
        self.guard_lookup(sys.modules, module.__name__)
        submodules = []
        for attr in fromlist:
            held = vars(module).get(attr, _MISSING)
            if held is _MISSING and hasattr(module, "__path__"):
                try:  # a submodule not imported yet
                    held = importlib.import_module(f"{module.__name__}.{attr}")
                except ImportError:
                    held = _MISSING  # the import fails in the task too, or __getattr__ answers
            if isinstance(held, types.ModuleType):
                submodules.append((attr, held))
        # Once its submodules are imported: the package's names are then what the
        # task will see, whether or not this process had imported them before.
        self.reach_module(module, names)
        tokens = [self.ref(module)]
        for attr, held in submodules:
            self.guard_lookup(sys.modules, held.__name__)
            self.reach_module(held, names)
            tokens.append(attr.encode() + b"=" + self.ref(held))
        return b",".join(tokens)

    def root(self, obj: Any, where: str) -> None:
        """Counts ``obj`` (what a run recorded: a function, a class, a module it
        imported, or whatever a recorded name holds) as reached."""
        if isinstance(obj, types.ModuleType):
            self.parts.setdefault(f"recorded {where}", "reached")
            self.whole_module(obj)  # which of its names the run read is not known
        elif isinstance(obj, (types.FunctionType, type)):
            self.parts.setdefault(f"recorded {where}", "reached")
            self.ref(obj, where)
        else:  # a staticmethod, an lru_cache wrapper, a callable object...
            self.parts[f"recorded {where}"] = _hash(_Encoder(self, where).encode(obj))

    def finish(self) -> dict[str, str]:
        while self._queue:
            label, compute = self._queue.pop()
            self.parts[label] = compute()
        for module, bound in sorted(self._module_bindings.items()):
            if bound:
                tokens = b"\0".join(attr.encode() + b"=" + token for attr, token in sorted(bound.items()))
                self.parts[f"module {module} names"] = _hash(tokens)
        return {**self.parts, **self.unencodable}

    def whole_module(self, module: types.ModuleType) -> None:
        """Every name a module defines (``depends_on=[module]``)."""
        self.reach_module(module, [n for n in vars(module) if not n.startswith("__")])


def _dispatch_registry(fn: types.FunctionType) -> Any:
    """A ``functools.singledispatch`` function's registry (type -> implementation),
    or None for any other function."""
    registry = fn.__dict__.get("registry")
    if isinstance(registry, types.MappingProxyType) and callable(fn.__dict__.get("dispatch")):
        return registry
    return None


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


def identity(
    function: Callable[..., Any],
    depends_on: Iterable[str] = (),
    engine: Any = None,
    recorded: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """The named parts of ``function``'s code identity (see the module's docstring).
    ``recorded``: what earlier runs of the task were seen to touch
    (``_recording.Recording.items``): the code among it is walked as if the task
    reached it, and the files, folders and environment variables are read again.

    Example:
        >>> sorted(identity(len))
        ['python', 'task']
    """
    depends_on = list(depends_on)
    recorded = recorded or {}
    files_and_env = [d for d in depends_on if not d.startswith("module:")]
    roots = tuple(recorded.get("code", ())), tuple(recorded.get("modules", ())), tuple(recorded.get("packages", ()))
    memo = _memos.get(id(function))
    if (
        memo is not None
        and memo[0] is function
        and memo[3] == roots
        and len(files_and_env) == len(depends_on)
        and _still_valid(memo[1])
    ):
        parts = dict(memo[2])
    else:
        walker = _Walker()
        walker.parts["python"] = _python_version()
        encoded = _Encoder(walker, "the task").encode(function)
        walker.guard_content(function, encoded)
        walker.parts["task"] = _hash(encoded)
        for dependency in depends_on:
            if dependency.startswith("module:"):
                walker.whole_module(importlib.import_module(dependency[len("module:") :]))
        _walk_recorded(walker, *roots)
        parts = walker.finish()
        if len(_memos) >= _MAX_MEMOS:
            _memos.clear()
        _memos[id(function)] = (function, walker.guards, dict(parts), roots)
    # Files and environment variables are read again every time.
    for dependency in files_and_env:
        parts.update(declared_dependency(dependency, engine))
    for path in recorded.get("files", ()):
        parts[f"read file {path}"] = _hash(_files_bytes(path, engine, glob_ok=False))
    for path in recorded.get("folders", ()):
        parts[f"listed folder {path}"] = _listing(path)
    for name in recorded.get("env", ()):
        parts[f"read env {name}"] = _env_value(os.environ.get(name))
    return parts


def _walk_recorded(walker: _Walker, code: Sequence[str], modules: Sequence[str], packages: Sequence[str]) -> None:
    """Adds what a run executed to the walk: ``module:qualname`` functions and
    classes, modules it imported, packages whose code ran."""
    for top in packages:
        # Imported if need be (the run imported it): its version is read the same way
        # whether or not this process has used it yet.
        module = _import_quietly(walker, top)
        walker.parts.setdefault(f"package {top}", package_version(top) if module is not None else "not importable")
    for name in modules:
        module = _import_quietly(walker, name)
        if module is not None:
            _root_safely(walker, module, f"module {name}")
    for item in code:
        module_name, _, qualname = item.partition(":")
        module = _import_quietly(walker, module_name)
        target: Any = module
        for attr in qualname.split(".") if qualname else ():
            target = vars(target).get(attr, _MISSING) if hasattr(target, "__dict__") else _MISSING
            if target is _MISSING:
                break
        if module is None or target is _MISSING:
            walker.parts[f"recorded {item}"] = "gone"  # renamed or removed since: never a match
        else:
            where = f"function {module_name}.{qualname}" if qualname else f"module {module_name}"
            _root_safely(walker, target, where)


def _root_safely(walker: _Walker, target: Any, where: str) -> None:
    """A recorded item that cannot be walked makes the task run, never fail."""
    try:
        walker.root(target, where)
    except Exception as e:  # noqa: BLE001  (whatever the name now holds)
        walker.unencodable[f"unencodable recorded {where}"] = f"{type(e).__name__}: {e}"


def _import_quietly(walker: _Walker, name: str) -> types.ModuleType | None:
    module = sys.modules.get(name)
    if module is None:
        try:
            module = importlib.import_module(name)
        except Exception:  # noqa: BLE001  (gone since: the item is a change)
            walker.guards.never = True
            return None
    walker.guard_lookup(sys.modules, name)
    return module


def _env_value(value: str | None) -> str:
    return "unset" if value is None else _hash(b"set:" + value.encode("utf-8", "surrogatepass"))


def _listing(path: str) -> str:
    try:
        names = sorted(os.listdir(path))
    except OSError as e:
        return f"unreadable: {type(e).__name__}"
    return _hash("\0".join(names).encode("utf-8", "surrogatepass"))


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
    return f"opaque:{digest}" if walker.unencodable else digest


def declared_dependency(spec: str, engine: Any) -> dict[str, str]:
    """Parts for one ``depends_on`` entry that is read again at every submit:
    ``"$NAME"`` an environment variable, otherwise a file, a folder or a glob
    pattern (``"module:NAME"`` entries are walked as code by ``identity``)."""
    if spec.startswith("$"):
        return {f"env {spec[1:]}": _env_value(os.environ.get(spec[1:]))}
    return {f"file {spec}": _hash(_files_bytes(spec, engine))}


def _files_bytes(spec: str, engine: Any, glob_ok: bool = True) -> bytes:
    """What the files a ``depends_on`` path or pattern names hold; ``engine`` hashes
    them (and remembers each file's hash while ``stat`` shows it unchanged)."""
    if glob_ok and glob.has_magic(spec):
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
