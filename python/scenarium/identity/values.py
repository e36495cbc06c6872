"""Code objects and values as a code identity hashes them: canonical bytes that are the
same in every process (no address, no line number, no hash-seed order), computed once
per code object; constants, containers, functions, classes and instances (``Encoder``),
with a type's own identity where it gives one (``__scenarium_identity__``,
``register_identity``). The user's objects an encoding meets are handed to the walk
(``code.Walker``, seen here as ``Walk``), which names them and follows them.
"""

from __future__ import annotations

import copyreg
import dis
import functools
import inspect
import math
import struct
import sys
import types
import weakref
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

if TYPE_CHECKING:  # the payload types exist only in the stub
    pass
from scenarium.identity.modules import blake3_hex, module_of

# The opcodes whose argument names a module: an import inside a function body.
_IMPORT_NAME = dis.opmap["IMPORT_NAME"]


_CO_HAS_DOCSTRING = getattr(inspect, "CO_HAS_DOCSTRING", None)  # Python >= 3.14


_CO_OPTIMIZED = 0x0001


# Deeper than this, a value is unencodable (its task always runs) rather than overflow the stack.
_MAX_DEPTH = 120


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


def encode_code(code: types.CodeType) -> bytes:
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
        out.append(encode_code(const) if isinstance(const, types.CodeType) else Encoder.plain(const))
    encoded = blake3_hex(b"\0".join(out)).encode()
    _code_bytes[code] = encoded
    return encoded


def names_of(code: types.CodeType) -> _Names:
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
            inner = names_of(const)
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


def used_as_values(code: types.CodeType) -> frozenset[str]:
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
            uses |= used_as_values(const)
    found = frozenset(uses)
    _code_value_uses[code] = found
    return found


class _Walk(Protocol):
    """What an encoding asks of the walk (``Walker``) when it meets the user's objects."""

    unencodable: dict[str, str]

    def kind(self, module: str) -> str: ...

    def ref(self, obj: Any, where: str = "a value") -> bytes: ...

    def note_module(self, module: str) -> None: ...

    def whole_module(self, module: types.ModuleType) -> None: ...


class Encoder:
    """Canonical bytes of a value; objects of the user's code it meets are handed to
    the walker (``ref``), which gives them parts of their own."""

    def __init__(self, walker: _Walk | None, where: str = "a value") -> None:
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
        return Encoder(None).encode(value)

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
            out.append(b"K" + encode_code(v))
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
        elif self.walker is not None and self.walker.kind(module_of(t)) == "user":
            # The project's own class: its code is its own part; an instance is its
            # attributes and, for a tuple/list/dict/set subclass, its content.
            out.append(b"o" + self.walker.ref(t))
            self._encode(instance_state(v), out, depth)
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
        inner = Encoder(self.walker)
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

            out.append(blake3_hex(numpy.ascontiguousarray(v).tobytes()).encode())

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


def instance_state(v: Any) -> Any:
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
identity_hooks: dict[type, Callable[[Any], Any]] = {}


def _identity_hook(t: type) -> Callable[[Any], Any] | None:
    if identity_hooks:
        for klass in t.__mro__:
            if klass in identity_hooks:
                return identity_hooks[klass]
    own = inspect.getattr_static(t, "__scenarium_identity__", None)
    return (lambda v: own(v)) if callable(own) else None  # noqa: E731


def _sorted_state(state: Any) -> Any:
    if type(state) is dict:
        return dict(sorted(state.items(), key=lambda kv: str(kv[0])))
    if type(state) is tuple and len(state) == 2 and all(s is None or type(s) is dict for s in state):
        return tuple(_sorted_state(s) for s in state)
    return state
