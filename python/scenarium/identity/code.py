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

The walk is static; what it cannot see a task's run records (``recording``: the
user functions it executed, files it opened, environment variables it read), and the
next identity of the task covers those too (``recorded``).

It fails closed: a value with no canonical encoding (an open file, a lock, an object
that refuses to be reduced) gives an ``unencodable <where> (<type>)`` part, and a task
whose identity has one is never reused: it runs on every submit, and ``explain()``
says which value. A type can give its own identity (``__scenarium_identity__`` or
``register_identity``).

Where the parts live: ``modules`` (where a module comes from: project, standard library
or package), ``values`` (code objects and values to canonical bytes), ``declared``
(``depends_on``), and here the walk itself (``Walker``) with what starts it
(``identity``, ``value_digest``) and the memo that spares repeating it. This module is
over 500 lines for one reason: the walk is one class whose methods follow each kind of
reference (globals, module attributes, imports inside functions, closures, classes,
recorded parts) into one another; cut apart, each piece would be read with the others open.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
import sys
import types
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

if TYPE_CHECKING:  # the payload types exist only in the stub
    from scenarium._core import FunctionRef
from scenarium.identity.declared import declared_dependency, env_value, files_bytes, listing
from scenarium.identity.modules import (
    blake3_hex,
    main_name,
    module_kind,
    module_of,
    package_version,
    python_version,
    set_extra_project_paths,
)
from scenarium.identity.values import Encoder, encode_code, identity_hooks, names_of, used_as_values

# Class attributes that are bookkeeping, not behaviour.
_CLASS_NOISE = frozenset(
    {"__dict__", "__weakref__", "__module__", "__doc__", "__qualname__", "__firstlineno__", "__static_attributes__"}
)


def set_project_paths(paths: Iterable[str]) -> None:
    """Folders whose modules are the project's own code, besides the current folder
    and the running script's folder."""
    set_extra_project_paths(paths)
    _memos.clear()


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
    identity_hooks[klass] = identity
    _memos.clear()


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
        if Encoder(Walker()).encode(value) != encoded:
            return False
    for klass, encoded in guards.classes:
        if Walker()._class_encoding(klass) != encoded:
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
    module = sys.modules.get(module_of(obj))
    if module is None or not isinstance(qualname, str) or "<" in qualname:
        return False
    target: Any = module
    for name in qualname.split("."):
        target = getattr(target, name, None)
        if target is None:
            return False
    return target is obj


class Walker:
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
        module = module_of(obj)
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
        return blake3_hex(out)

    def _function_bytes(self, fn: types.FunctionType, where: str) -> bytes:
        encoder = Encoder(self, where)
        code = fn.__code__
        closure = fn.__closure__ or ()
        wrapped = fn.__dict__.get("__wrapped__")
        self.guards.functions.append((fn, code, fn.__defaults__, fn.__kwdefaults__, fn.__closure__, wrapped))
        out = [b"function", fn.__qualname__.encode(), encode_code(code)]
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
        spelled = names_of(code)
        namespace = fn.__globals__
        owner = main_name(namespace.get("__name__", fn.__module__ or "__main__"))
        for name in sorted(spelled.names):
            value = self.guard_lookup(namespace, name)
            if value is _MISSING:
                continue
            if isinstance(value, types.ModuleType) and name in used_as_values(code):
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
        encoder = Encoder(self, where)
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
        encoded = Encoder(self, where).encode(value)
        self.guard_content(value, encoded)
        return blake3_hex(encoded)

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
            self.parts[f"recorded {where}"] = blake3_hex(Encoder(self, where).encode(obj))

    def finish(self) -> dict[str, str]:
        while self._queue:
            label, compute = self._queue.pop()
            self.parts[label] = compute()
        for module, bound in sorted(self._module_bindings.items()):
            if bound:
                tokens = b"\0".join(attr.encode() + b"=" + token for attr, token in sorted(bound.items()))
                self.parts[f"module {module} names"] = blake3_hex(tokens)
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
        walker = Walker()
        walker.parts["python"] = python_version()
        encoded = Encoder(walker, "the task").encode(function)
        walker.guard_content(function, encoded)
        walker.parts["task"] = blake3_hex(encoded)
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
        parts[f"read file {path}"] = blake3_hex(files_bytes(path, engine, glob_ok=False))
    for path in recorded.get("folders", ()):
        parts[f"listed folder {path}"] = listing(path)
    for name in recorded.get("env", ()):
        parts[f"read env {name}"] = env_value(os.environ.get(name))
    return parts


def _walk_recorded(walker: Walker, code: Sequence[str], modules: Sequence[str], packages: Sequence[str]) -> None:
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
            if not hasattr(target, "__dict__"):
                target = _MISSING
                break
            # A name bound anew (its module reloaded) is a change, even when the
            # function it held before still has its old code.
            walker.guard_lookup(vars(target), attr)
            target = vars(target).get(attr, _MISSING)
            if target is _MISSING:
                break
        if module is None or target is _MISSING:
            walker.parts[f"recorded {item}"] = "gone"  # renamed or removed since: never a match
        else:
            where = f"function {module_name}.{qualname}" if qualname else f"module {module_name}"
            _root_safely(walker, target, where)


def _root_safely(walker: Walker, target: Any, where: str) -> None:
    """A recorded item that cannot be walked makes the task run, never fail."""
    try:
        walker.root(target, where)
    except Exception as e:  # noqa: BLE001  (whatever the name now holds)
        walker.unencodable[f"unencodable recorded {where}"] = f"{type(e).__name__}: {e}"


def _import_quietly(walker: Walker, name: str) -> types.ModuleType | None:
    module = sys.modules.get(name)
    if module is None:
        try:
            module = importlib.import_module(name)
        except Exception:  # noqa: BLE001  (gone since: the item is a change)
            walker.guards.never = True
            return None
    walker.guard_lookup(sys.modules, name)
    return module


def value_digest(value: Any) -> str:
    """A fingerprint of a value by content, the same in every process; it starts with
    ``opaque:`` when part of the value has no canonical encoding (then it names only
    that part's type, and two such values may not be told apart).

    Example:
        >>> value_digest({"b", "a"}) == value_digest({"a", "b"})
        True
    """
    walker = Walker()
    digest = blake3_hex(Encoder(walker).encode(value) + b"\0" + repr(sorted(walker.finish().items())).encode())
    return f"opaque:{digest}" if walker.unencodable else digest
