"""The code identity of callables, in one process (the cross-process and project-wide
cases are in test_code_identity.py)."""

from __future__ import annotations

import dataclasses
import enum
import functools

import pytest

from scenarium.identity import code as _code_identity
from scenarium.identity.code import identity, value_digest

TABLE = {"a": 1}


def uses_table(v):
    return v + TABLE["a"]


@functools.lru_cache
def cached_helper(v):
    return v + 1


def uses_cached(v):
    return cached_helper(v)


class Color(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Settings:
    factor: int = 2


def uses_enum_and_dataclass(v):
    return v * Settings().factor + Color.RED.value


def test_a_dict_changed_in_place_changes_the_identity() -> None:
    before = identity(uses_table)
    TABLE["a"] = 2
    try:
        after = identity(uses_table)
    finally:
        TABLE["a"] = 1
    assert before[f"value {__name__}.TABLE"] != after[f"value {__name__}.TABLE"]
    assert before["task"] == after["task"]


def test_the_function_an_lru_cache_wraps_is_hashed() -> None:
    parts = identity(uses_cached)
    assert f"value {__name__}.cached_helper" in parts


def test_lambdas_closures_partials_and_bound_methods_differ_by_content() -> None:
    def make(k):
        return lambda v: v + k

    class Adder:
        def __init__(self, k):
            self.k = k

        def run(self, v):
            return v + self.k

    def add(v, k):
        return v + k

    pairs = [
        (lambda v: v + 1, lambda v: v * 2),
        (make(1), make(2)),
        (Adder(1).run, Adder(2).run),
        (functools.partial(add, k=1), functools.partial(add, k=2)),
    ]
    for first, second in pairs:
        assert identity(first)["task"] != identity(second)["task"]
    assert identity(make(1))["task"] == identity(make(1))["task"], "same content, same identity"


def test_enums_and_dataclasses_count_as_classes() -> None:
    parts = identity(uses_enum_and_dataclass)
    assert f"class {__name__}.Color" in parts
    assert f"class {__name__}.Settings" in parts


def test_third_party_code_counts_by_version() -> None:
    np = pytest.importorskip("numpy")

    def mean(v):
        return np.mean(v)

    assert identity(mean)["package numpy"] == f"numpy=={np.__version__}"


def test_a_value_without_encoding_is_named_with_where_it_is_reached(tmp_path) -> None:
    handle = open(tmp_path / "f.txt", "w")  # noqa: SIM115
    try:
        parts = identity(functools.partial(print, file=handle))
    finally:
        handle.close()
    assert "unencodable the task (_io.TextIOWrapper)" in parts, parts


def test_value_digest_is_canonical() -> None:
    assert value_digest({"b": 1, "a": 2}) != value_digest({"a": 2, "b": 1}), "dict order is visible to code"
    assert value_digest({3, 1, 2}) == value_digest({2, 3, 1})
    assert value_digest(float("nan")) == value_digest(float("nan"))
    assert value_digest(2**70) != value_digest(2**70 + 1)
    assert value_digest(1) != value_digest(1.0) != value_digest(True)
    np = pytest.importorskip("numpy")
    big = np.zeros(1_000_000)
    other = big.copy()
    other[500_000] = 1.0
    assert value_digest(big) != value_digest(other), "no truncated repr"


def test_docstrings_and_line_numbers_do_not_count() -> None:
    namespace: dict = {}
    exec("def f(v):\n    return v + 1\n", namespace)
    first = namespace["f"]
    exec("\n\n\ndef f(v):\n    '''Adds one.'''\n    return v + 1\n", namespace)
    assert identity(first)["task"] == identity(namespace["f"])["task"]


def test_module_kind_tells_user_code_from_installed_packages() -> None:
    assert _code_identity.module_kind("json") == "stdlib"
    assert _code_identity.module_kind(__name__) == "user"
    pytest.importorskip("numpy")
    assert _code_identity.module_kind("numpy") == "package"


def test_a_call_chain_deeper_than_the_recursion_limit(tmp_path, monkeypatch) -> None:
    import importlib
    import sys

    depth = sys.getrecursionlimit() + 500
    lines = [f"def f{i}(x):\n    return f{i + 1}(x) + 1" for i in range(depth)] + [f"def f{depth}(x):\n    return x"]
    (tmp_path / "deep_chain.py").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("deep_chain")
    try:
        parts = identity(module.f0)
    finally:
        sys.modules.pop("deep_chain", None)
    assert sum(label.startswith("function deep_chain.") for label in parts) == depth + 1


def test_a_later_identity_is_reused_only_while_nothing_it_came_from_changed(tmp_path, monkeypatch) -> None:
    """In one process (a notebook): the memo of an identity must see every change a
    fresh walk would see: rebinding, redefinition, mutation in place, new globals."""
    import importlib
    import sys

    (tmp_path / "memo_helpers.py").write_text(
        "TABLE = {'k': 1}\n"
        "def helper(v):\n    return v + TABLE['k']\n"
        "class Model:\n    K = 2\n    def run(self, v):\n        return v * self.K\n"
        "def make(d):\n    return lambda v: v + d['a']\n"
        "def task(v, extra=[0]):\n    return helper(v) + Model().run(v) + sum(extra) + maybe(v)\n"
        "def maybe(v):\n    return v\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    m = importlib.import_module("memo_helpers")
    try:
        closure = m.make({"a": 1})
        bound = m.Model().run
        fresh = lambda f: {k: v for k, v in identity(f).items()}  # noqa: E731
        edits = [
            lambda: m.TABLE.__setitem__("k", 2),  # a dict changed in place
            lambda: setattr(m.Model, "K", 3),  # a class attribute
            lambda: m.task.__defaults__[0].append(1),  # a mutable default
            lambda: setattr(m, "maybe", lambda v: v * 10),  # a rebinding
            lambda: exec("def helper(v):\n    return v - 1\n", vars(m)),  # a redefinition
        ]
        before = identity(m.task)
        assert identity(m.task) == before, "nothing changed"
        for edit in edits:
            edit()
            after = identity(m.task)
            assert after != before, edit
            before = after
        c0 = identity(closure)
        closure.__closure__[0].cell_contents["a"] = 5
        assert identity(closure) != c0, "a dict a closure holds"
        b0 = identity(bound)
        bound.__self__.K = 7
        assert identity(bound) != b0, "a bound method's instance"
        assert fresh(m.task) == identity(m.task)
    finally:
        sys.modules.pop("memo_helpers", None)


def test_a_recorded_function_rebound_by_a_reload_changes_the_identity(tmp_path, monkeypatch) -> None:
    """A notebook reloads the module of a function a run was seen to call (found by name
    at run time): the name holds a new function, though the old one keeps its old code."""
    import importlib
    import shutil

    from scenarium.identity import code as code_identity

    package = tmp_path / "reloaded_plugins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "plug.py").write_text("def f(x):\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    plug = importlib.import_module("reloaded_plugins.plug")

    def task(x):
        return x

    recorded = {"code": ["reloaded_plugins.plug:f"]}
    before = code_identity.identity(task, recorded=recorded)
    (package / "plug.py").write_text("def f(x):\n    return x + 2\n")
    shutil.rmtree(package / "__pycache__", ignore_errors=True)
    importlib.reload(plug)
    after = code_identity.identity(task, recorded=recorded)
    assert before["function reloaded_plugins.plug.f"] != after["function reloaded_plugins.plug.f"]
