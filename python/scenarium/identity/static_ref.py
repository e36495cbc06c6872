"""Checking a configured function reference without running any of its code.

``scenarium check untrusted.toml`` must not import the modules the file names:
importing runs them. Here a module is found the way the import system would find
it (without executing a package's ``__init__``), its source parsed, and the name
looked up among its top-level definitions; the signature comes from the source.
Modules already imported (the standard library's ``os``, ``builtins``) are looked
at directly: that runs nothing new.
"""

from __future__ import annotations

import ast
import importlib.machinery
import inspect
import sys
from typing import Any

from scenarium.exceptions import ConfigError


class UncheckedFunction:
    """A function found in its module's source but not imported: its signature is
    the source's; calling it asks for the import that ``check`` avoided."""

    def __init__(self, path: str, signature: inspect.Signature | None) -> None:
        self.path = path
        self.__module__, _, self.__qualname__ = path.rpartition(".")
        if signature is not None:
            self.__signature__ = signature

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise ConfigError(f"function {self.path} was checked without importing it; load the configuration to run it")

    def __repr__(self) -> str:
        return f"<function {self.path}, not imported>"


def resolve(path: str, search: list[str]) -> Any:
    """An UncheckedFunction for dotted ``path`` found under ``search`` folders, the
    object itself when its module is already imported, or raises LookupError saying
    why it cannot be found."""
    module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise LookupError(f"{path!r} is not a module.function path")
    loaded = sys.modules.get(module_name)
    if loaded is not None:
        obj: Any = loaded
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise LookupError(f"module {module_name} has no attribute {part!r}")
            obj = getattr(obj, part)
        return obj
    spec = _find_spec(module_name, search)
    origin = spec.origin or ""
    if not origin.endswith(".py"):
        return UncheckedFunction(path, None)  # an extension module: nothing to read
    try:
        with open(origin, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=origin)
    except (OSError, SyntaxError, ValueError) as e:
        raise LookupError(f"cannot read {origin}: {e}") from None
    definition = _definition(tree, attr.split("."), origin)
    signature = _signature(definition) if isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
    return UncheckedFunction(path, signature)


def _find_spec(module_name: str, search: list[str]) -> importlib.machinery.ModuleSpec:
    """The module's spec, one package level at a time, executing no package."""
    locations: list[str] | None = search + sys.path
    spec = None
    parts = module_name.split(".")
    for i in range(len(parts)):
        name = ".".join(parts[: i + 1])
        spec = importlib.machinery.PathFinder.find_spec(name, locations)
        if spec is None and i == 0 and name in sys.builtin_module_names:
            raise LookupError(f"{name} is a built-in module that is not loaded")
        if spec is None:
            raise LookupError(f"no module named {name!r}")
        locations = list(spec.submodule_search_locations or [])
    assert spec is not None
    return spec


def _definition(tree: ast.Module, names: list[str], origin: str) -> ast.AST | None:
    """The definition of ``names`` (a function, a class's method) in the module's
    top level; None when it comes from elsewhere (an import, an assignment)."""
    body: list[ast.stmt] = tree.body
    found: ast.AST | None = None
    for depth, name in enumerate(names):
        found = None
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                found = node
            elif depth == 0 and _binds(node, name):
                return None  # assigned or imported: exists, shape unknown
            elif depth == 0 and _star_import_or_getattr(node):
                return None
        if found is None:
            raise LookupError(f"{origin} defines no {'.'.join(names[: depth + 1])}")
        body = found.body if isinstance(found, ast.ClassDef) else []
    return found


def _binds(node: ast.stmt, name: str) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return any((a.asname or a.name.split(".")[0]) == name for a in node.names)
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    if isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        return isinstance(node.target, ast.Name) and node.target.id == name
    return isinstance(node, (ast.If, ast.Try)) and any(
        _binds(n, name) for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt)
    )


def _star_import_or_getattr(node: ast.stmt) -> bool:
    if isinstance(node, ast.ImportFrom):
        return any(a.name == "*" for a in node.names)
    return isinstance(node, ast.FunctionDef) and node.name == "__getattr__"


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> inspect.Signature:
    """The signature as written; defaults stand as ``...`` (their values are not evaluated)."""
    args = node.args
    P = inspect.Parameter
    params: list[inspect.Parameter] = []
    positional = [(a, P.POSITIONAL_ONLY) for a in args.posonlyargs] + [(a, P.POSITIONAL_OR_KEYWORD) for a in args.args]
    first_default = len(positional) - len(args.defaults)
    for i, (arg, kind) in enumerate(positional):
        params.append(P(arg.arg, kind, default=... if i >= first_default else P.empty))
    if args.vararg:
        params.append(P(args.vararg.arg, P.VAR_POSITIONAL))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        params.append(P(arg.arg, P.KEYWORD_ONLY, default=P.empty if default is None else ...))
    if args.kwarg:
        params.append(P(args.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(params)
