"""The generator behind tests/test_identity_fuzz.py: random user projects built from a
grammar of the Python features real code uses, random edits of them, and the drivers
that run each step (scenarium, and an oracle that calls the task functions from
scratch).

A project is a package (``f12``) of several modules and a subpackage. Its code holds
*atoms*: places in the source whose value (1..4) reaches a task's output. Each atom
contributes one element to the output of every task that reaches it, and that element
is an injective function of the atom's value, so that "the from-scratch output did not
change" means "nothing the task reaches changed" (which makes a re-run needless).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Callable

PUNCT = "!?#%"


def _s(v: int) -> str:
    return PUNCT[v - 1]


@dataclasses.dataclass(frozen=True)
class Atom:
    module: str  # path inside the package
    source: Callable[[int], str]  # module-level source text for a value 1..4
    expr: str  # what the task adds to its output; `v` is its numeric input
    prelude: str = ""  # statements in the task body before the return ({pkg} is the package)
    imports: str = ""  # lines at the top of tasks.py
    needs: str = ""  # an optional library: "polars"
    # How a notebook cell changes it in memory, without a file edit ({pkg}, {v}).
    inplace: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # (module, source) support code it needs


def A(module: str, source: Callable[[int], str], expr: str, **kw: object) -> Atom:
    return Atom(module, source, expr, **kw)  # type: ignore[arg-type]


ATOMS: dict[str, Atom] = {
    # --- constants of many types (consts.py) ---
    "C_INT": A(
        "consts.py", lambda v: f"C_INT = {v}\n", "consts.C_INT", inplace="sys.modules['{pkg}.consts'].C_INT = {v}"
    ),
    "C_FLOAT": A("consts.py", lambda v: f"C_FLOAT = {v}.5\n", "consts.C_FLOAT"),
    "C_STR": A("consts.py", lambda v: f"C_STR = 'abc{_s(v)}'\n", "consts.C_STR"),
    "C_BYTES": A("consts.py", lambda v: f"C_BYTES = b'q{v}'\n", "consts.C_BYTES.decode()"),
    "C_COMPLEX": A("consts.py", lambda v: f"C_COMPLEX = complex({v}, 1)\n", "consts.C_COMPLEX.real"),
    "C_RANGE": A("consts.py", lambda v: f"C_RANGE = range({v})\n", "sum(consts.C_RANGE)"),
    "C_NESTED": A(
        "consts.py",
        lambda v: f"C_NESTED = {{'a': [1, {{'b': ({v}, 'z')}}], 'c': None, 'd': {{1.5, 2.5}}}}\n",
        "consts.C_NESTED['a'][1]['b'][0]",
        inplace="sys.modules['{pkg}.consts'].C_NESTED['a'][1]['b'] = ({v}, 'z')",
    ),
    "C_SET": A(
        "consts.py",
        lambda v: f"C_SET = {{'s{v}', 'other', 'more', 'words'}}\n",
        "','.join(sorted(C_SET))",
        imports="from .consts import C_SET",
    ),
    "C_FSET": A("consts.py", lambda v: f"C_FSET = frozenset({{{v}, 10, 20}})\n", "sum(consts.C_FSET)"),
    "C_FSET_STR": A(
        "consts.py",
        lambda v: f"C_FSET_STR = frozenset({{'k{v}', 'alpha', 'beta', 'gamma'}})\n",
        "'/'.join(sorted(consts.C_FSET_STR))",
    ),
    "C_REGEX": A("consts.py", lambda v: f"C_REGEX = re.compile(r'a{{{v}}}b')\n", "consts.C_REGEX.pattern"),
    "C_REGEX_FLAGS": A(
        "consts.py",
        lambda v: f"C_REGEX_FLAGS = re.compile('ab', {'re.I' if v % 2 else '0'} | {'re.M' if v > 2 else '0'})\n",
        "consts.C_REGEX_FLAGS.flags",
    ),
    "C_DECIMAL": A("consts.py", lambda v: f"C_DECIMAL = decimal.Decimal('{v}.25')\n", "str(consts.C_DECIMAL)"),
    "C_DATETIME": A(
        "consts.py",
        lambda v: f"C_DATETIME = datetime.datetime(2024, 1, {v}, 12, 30)\n",
        "consts.C_DATETIME.isoformat()",
    ),
    "C_TIMEDELTA": A(
        "consts.py", lambda v: f"C_TIMEDELTA = datetime.timedelta(hours={v})\n", "consts.C_TIMEDELTA.seconds"
    ),
    "C_NP": A("consts.py", lambda v: f"C_NP = np.array([{v}, 2, 3], dtype=np.int64)\n", "int(consts.C_NP.sum())"),
    "C_NP_FLOAT": A("consts.py", lambda v: f"C_NP_FLOAT = np.linspace(0, {v}, 5)\n", "float(consts.C_NP_FLOAT.sum())"),
    "C_NP_DTYPE": A(
        "consts.py",
        lambda v: f"C_NP_DTYPE = np.array([1, 2], dtype='{['int8', 'int16', 'int32', 'int64'][v - 1]}')\n",
        "str(consts.C_NP_DTYPE.dtype)",
    ),
    # Field names swapped with the same data: only the structured dtype's names differ.
    "C_NP_STRUCT": A(
        "consts.py",
        lambda v: (
            f"C_NP_STRUCT = np.array([({(v + 1) // 2}, 9)], dtype=[('{'ab'[v % 2]}', 'i8'), ('{'ba'[v % 2]}', 'i8')])\n"
        ),
        "int(consts.C_NP_STRUCT['a'][0]) * 100 + int(consts.C_NP_STRUCT['b'][0])",
    ),
    "C_PD": A(
        "consts.py",
        lambda v: f"C_PD = pd.DataFrame({{'a': [1, {v}], 'b': ['x', 'y']}})\n",
        "int(consts.C_PD['a'].sum())",
    ),
    "C_PD_COLUMNS": A(
        "consts.py",
        lambda v: f"C_PD_COLUMNS = pd.DataFrame({{'c{v}': [1.5]}})\n",
        "str(consts.C_PD_COLUMNS.columns[0])",
    ),
    "C_PD_INDEX": A(
        "consts.py",
        lambda v: f"C_PD_INDEX = pd.Series([1, 2], index=['r', 's{v}'])\n",
        "str(consts.C_PD_INDEX.index[1])",
    ),
    "C_PD_TIMESTAMP": A(
        "consts.py", lambda v: f"C_PD_TIMESTAMP = pd.Timestamp('2024-01-0{v}')\n", "consts.C_PD_TIMESTAMP.isoformat()"
    ),
    "C_PL": A(
        "consts.py",
        lambda v: f"C_PL = pl.DataFrame({{'a': [1, {v}]}})\n",
        "int(consts.C_PL['a'].sum())",
        needs="polars",
    ),
    "C_PL_EXPR": A(
        "consts.py",
        lambda v: f"C_PL_EXPR = (pl.col('a') * {v}).alias('y')\n",
        "int(pl.DataFrame({'a': [1]}).select(consts.C_PL_EXPR).item())",
        imports="import polars as pl",
        needs="polars",
    ),
    "C_NAMEDTUPLE": A("consts.py", lambda v: f"C_NAMEDTUPLE = Pt({v}, 7)\n", "consts.C_NAMEDTUPLE.x"),
    "C_TYPED_NT": A("consts.py", lambda v: f"C_TYPED_NT = TPt({v})\n", "consts.C_TYPED_NT.x"),
    "C_ATTRDICT": A(
        "consts.py",
        lambda v: f"C_ATTRDICT = AttrDict(k={v}, other='o')\n",
        "consts.C_ATTRDICT.k",
        inplace="sys.modules['{pkg}.consts'].C_ATTRDICT['k'] = {v}",
    ),
    "C_TUPLE_SUB": A("consts.py", lambda v: f"C_TUPLE_SUB = Pair(({v}, 2))\n", "consts.C_TUPLE_SUB[0]"),
    "C_LIST_SUB": A(
        "consts.py",
        lambda v: f"C_LIST_SUB = Vec([{v}, 10])\n",
        "consts.C_LIST_SUB.total()",
        inplace="sys.modules['{pkg}.consts'].C_LIST_SUB[0] = {v}",
    ),
    "C_DICT_SUB": A("consts.py", lambda v: f"C_DICT_SUB = Registry(a={v})\n", "consts.C_DICT_SUB['a']"),
    "C_DATACLASS": A(
        "consts.py",
        lambda v: f"C_DATACLASS = Conf({v}, {{'alpha', 'beta', 'gamma', 'delta'}})\n",
        "consts.C_DATACLASS.n * 10 + len(consts.C_DATACLASS.tags)",
        inplace="sys.modules['{pkg}.consts'].C_DATACLASS.n = {v}",
    ),
    "C_DATACLASS_SET": A(
        "consts.py",
        lambda v: f"C_DATACLASS_SET = Conf(1, {{'t{v}', 'u', 'w'}})\n",
        "'+'.join(sorted(consts.C_DATACLASS_SET.tags))",
    ),
    "C_FROZEN_DC": A("consts.py", lambda v: f"C_FROZEN_DC = FConf('n{v}')\n", "consts.C_FROZEN_DC.name"),
    # --- helpers (mathx.py): sink-like names, closures, partials, decorators ---
    "H_LOG": A("mathx.py", lambda v: f"def log(v):\n    return v * 10 + {v}\n", "mathx.log(v)"),
    "H_ADD": A("mathx.py", lambda v: f"def add(v):\n    return v * 10 + {v}\n", "mathx.add(v)"),
    "H_INFO": A("mathx.py", lambda v: f"def info(v):\n    return v * 10 + {v}\n", "mathx.info(v)"),
    "H_WRITE": A(
        "mathx.py",
        lambda v: f"def write(v):\n    return v * 10 + {v}\n",
        "write(v)",
        imports="from .mathx import write",
    ),
    "H_OBJ_METHOD": A(
        "mathx.py",
        lambda v: f"class Offset:\n    def add(self, v):\n        return v * 10 + {v}\nOFFSET = Offset()\n",
        "OFFSET.add(v)",
        imports="from .mathx import OFFSET",
    ),
    "H_OBJ_STATE": A(
        "mathx.py",
        lambda v: f"ACC = Acc({v})\n",
        "mathx.ACC.write(v)",
        inplace="sys.modules['{pkg}.mathx'].ACC.k = {v}",
    ),
    "H_CLOSURE": A("mathx.py", lambda v: f"closure = make({v})\n", "mathx.closure(v)"),
    "H_CLOSURE_BODY": A(
        "mathx.py",
        lambda v: f"def make2():\n    def g(v):\n        return v * 10 + {v}\n    return g\nclosure2 = make2()\n",
        "mathx.closure2(v)",
    ),
    "H_PARTIAL": A("mathx.py", lambda v: f"part = functools.partial(_add, k={v})\n", "mathx.part(v)"),
    "H_LAMBDA": A("mathx.py", lambda v: f"OPS = {{'f': lambda v: v * 10 + {v}}}\n", "mathx.OPS['f'](v)"),
    "H_DECO": A("mathx.py", lambda v: f"@deco\ndef decorated(v):\n    return v * 10 + {v}\n", "mathx.decorated(v)"),
    "H_DECO_WRAPS": A(
        "mathx.py", lambda v: f"@deco_wraps\ndef decorated_w(v):\n    return v * 10 + {v}\n", "mathx.decorated_w(v)"
    ),
    "H_DECO_ARGS": A("mathx.py", lambda v: f"@scaled({v})\ndef dscaled(v):\n    return v + 1\n", "mathx.dscaled(v)"),
    "H_DECO_CLASS": A("mathx.py", lambda v: f"@Scaled({v})\ndef cscaled(v):\n    return v + 1\n", "mathx.cscaled(v)"),
    "H_DECO_BOUND": A("mathx.py", lambda v: f"@ScaledBy({v})\ndef bscaled(v):\n    return v + 1\n", "mathx.bscaled(v)"),
    "H_DECO_INSTANCE": A(
        "mathx.py", lambda v: f"@Counted\ndef counted(v):\n    return v * 10 + {v}\n", "mathx.counted(v)"
    ),
    "H_SINGLEDISPATCH": A(
        "mathx.py",
        lambda v: (
            "@functools.singledispatch\ndef fmt(v):\n    return -1\n"
            f"@fmt.register(int)\ndef _(v):\n    return v * 10 + {v}\n"
        ),
        "mathx.fmt(v)",
    ),
    "H_LISTCOMP": A(
        "mathx.py", lambda v: f"def lc(v):\n    return ''.join([c + '{_s(v)}' for c in 'ab'])\n", "mathx.lc(v)"
    ),
    "H_GENEXP": A(
        "mathx.py", lambda v: f"def ge(v):\n    return '-'.join(c + '{_s(v)}' for c in 'xy')\n", "mathx.ge(v)"
    ),
    "H_SETCOMP": A(
        "mathx.py",
        lambda v: f"def sc_(v):\n    return ''.join(sorted({{'{_s(v)}' + c for c in 'pq'}}))\n",
        "mathx.sc_(v)",
    ),
    "H_STR_FIRST": A("mathx.py", lambda v: f"def sfirst(v):\n    return '{_s(v)}' + str(v)\n", "mathx.sfirst(v)"),
    "H_FUNC_ATTR": A(
        "mathx.py",
        lambda v: f"def fattr(v):\n    return v * 10 + fattr.k\nfattr.k = {v}\n",
        "mathx.fattr(v)",
    ),
    "H_DEFAULT": A("mathx.py", lambda v: f"def dflt(v, k={v}):\n    return v * 10 + k\n", "mathx.dflt(v)"),
    "H_KWDEFAULT": A("mathx.py", lambda v: f"def kwd(v, *, k={v}):\n    return v * 10 + k\n", "mathx.kwd(v)"),
    "H_LRU_CACHE": A(
        "mathx.py",
        lambda v: f"@functools.lru_cache(maxsize=None)\ndef cached(v):\n    return v * 10 + {v}\n",
        "mathx.cached(v)",
    ),
    "H_REEXPORT": A(
        "reexp.py",
        lambda v: f"def rx(v):\n    return v * 10 + {v}\n",
        "rx(v)",
        imports="from . import rx",
        extra=(("__init__.py", "from .reexp import rx\n"),),
    ),
    "H_RECORD": A(
        "mathx.py",
        lambda v: f"def record(v):\n    RECORD.append(v)\n    return v * 10 + {v}\n",
        "mathx.record(v)",
    ),
    "H_INNER_IMPORT": A(
        "sub/inner_mod.py",
        lambda v: f"def g(v):\n    return v * 10 + {v}\n",
        "mathx.via_inner(v)",
        extra=(("mathx.py", "def via_inner(v):\n    from .sub import inner_mod\n    return inner_mod.g(v)\n"),),
    ),
    "M_ARG": A(
        "settings.py", lambda v: f"FACTOR = {v}\n", "mathx.scale(v, settings)", imports="from . import settings"
    ),
    "D_DEEP": A(
        "sub/deep.py",
        lambda v: f"def inner(v):\n    return v * 10 + {v}\n",
        "mathx.chain(v)",
        extra=(("mathx.py", "from .sub.deep import inner\ndef chain(v):\n    return inner(v) + 1\n"),),
    ),
    "D_DEEP_CONST": A(
        "sub/deep.py",
        lambda v: f"DEEP_K = {v}\n",
        "deepmod.deep_k(v)",
        imports="from .sub import deep as deepmod",
        extra=(("sub/deep.py", "def deep_k(v):\n    return v * 10 + DEEP_K\n"),),
    ),
    # --- modules imported only inside a task body ---
    "L_REL": A(
        "lazy_rel.py",
        lambda v: f"def f(v):\n    return v * 10 + {v}\n",
        "lazy_rel.f(v)",
        prelude="from . import lazy_rel",
    ),
    "L_ABS": A(
        "lazy_abs.py",
        lambda v: f"def f(v):\n    return v * 10 + {v}\n",
        "lazy_abs.f(v)",
        prelude="from {pkg} import lazy_abs",
    ),
    "L_SUB": A(
        "sub/lazy_sub.py",
        lambda v: f"K = {v}\n",
        "lazy_sub.K",
        prelude="from .sub import lazy_sub",
    ),
    "L_DYNAMIC": A(
        "lazy_dyn.py",
        lambda v: f"def f(v):\n    return v * 10 + {v}\n",
        "importlib.import_module('{pkg}.lazy_dyn').f(v)",
        imports="import importlib",
    ),
    # A function polars calls on its own threads (map_elements), found by name at run
    # time in a module imported before the task ran: only the UDF's own recording sees it.
    "L_UDF_THREAD": A(
        "udf_dyn.py",
        lambda v: f"def f(x):\n    return x * 10 + {v}\n",
        "int(pl.DataFrame({'a': [v]}).lazy().select(pl.col('a').map_elements("
        "importlib.import_module('{pkg}.udf_dyn').f, return_dtype=pl.Int64)).collect().item())",
        imports="import importlib\nimport polars as pl\nfrom . import udf_dyn as _udf_dyn_loaded  # noqa: F401",
        needs="polars",
    ),
    # The same, through pl.defer: its function runs on polars' threads when collected.
    "L_UDF_DEFER": A(
        "udf_defer.py",
        lambda v: f"def f(x):\n    return x * 10 + {v}\n",
        "int(pl.defer(lambda: pl.DataFrame({'a': [importlib.import_module('{pkg}.udf_defer').f(v)]}), "
        "schema={'a': pl.Int64}).collect().item())",
        imports="import importlib\nimport polars as pl\nfrom . import udf_defer as _udf_defer_loaded  # noqa: F401",
        needs="polars",
    ),
    # --- classes (model.py), one class (or pair) each ---
    "K_INHERIT": A(
        "model.py",
        lambda v: f"class Base1:\n    def m(self, v):\n        return v * 10 + {v}\nclass Child1(Base1):\n    pass\n",
        "model.Child1().m(v)",
    ),
    "K_SUPER": A(
        "model.py",
        lambda v: (
            f"class Base2:\n    def m(self, v):\n        return v * 10 + {v}\n"
            "class Child2(Base2):\n    def m(self, v):\n        return super().m(v) + 1\n"
        ),
        "model.Child2().m(v)",
    ),
    "K_CLASSATTR_BASE": A(
        "model.py",
        lambda v: (
            f"class Base3:\n    RATE = {v}\n"
            "class Child3(Base3):\n    def rate(self, v):\n        return v * 10 + self.RATE\n"
        ),
        "model.Child3().rate(v)",
    ),
    "K_PROPERTY": A(
        "model.py", lambda v: f"class P4:\n    @property\n    def p(self):\n        return {v}\n", "model.P4().p"
    ),
    "K_CLASSMETHOD": A(
        "model.py",
        lambda v: f"class C5:\n    K = {v}\n    @classmethod\n    def make(cls, v):\n        return v * 10 + cls.K\n",
        "model.C5.make(v)",
    ),
    "K_STATICMETHOD": A(
        "model.py",
        lambda v: f"class S6:\n    @staticmethod\n    def f(v):\n        return v * 10 + {v}\n",
        "model.S6.f(v)",
    ),
    "K_SLOTS": A(
        "model.py",
        lambda v: (
            "class Sl7:\n    __slots__ = ('a', 'b')\n"
            "    def __init__(self, a):\n        self.a = a\n        self.b = 0\n"
            f"SL7 = Sl7({v})\n"
        ),
        "model.SL7.a",
        inplace="sys.modules['{pkg}.model'].SL7.a = {v}",
    ),
    "K_INIT": A(
        "model.py",
        lambda v: f"class Cfg8:\n    def __init__(self):\n        self.k = {v}\nCFG8 = Cfg8()\n",
        "model.CFG8.k",
    ),
    "K_SETATTR": A(
        "model.py",
        lambda v: f"class Cfg9:\n    pass\nCFG9 = Cfg9()\nCFG9.k = {v}\n",
        "model.CFG9.k",
        inplace="sys.modules['{pkg}.model'].CFG9.k = {v}",
    ),
    "K_ENUM": A("model.py", lambda v: f"class Mode(enum.Enum):\n    A = {v}\n    B = 10\n", "model.Mode.A.value"),
    "K_DUNDER": A(
        "model.py",
        lambda v: (
            "class Money:\n    def __init__(self, n):\n        self.n = n\n"
            f"    def __add__(self, o):\n        return Money(self.n * 10 + o.n + {v})\n"
        ),
        "(model.Money(v) + model.Money(0)).n",
    ),
    "K_CACHED_PROPERTY": A(
        "model.py",
        lambda v: f"class Cp:\n    @functools.cached_property\n    def p(self):\n        return {v}\n",
        "model.Cp().p",
    ),
    "K_DESCRIPTOR": A(
        "model.py",
        lambda v: (
            f"class Const:\n    def __get__(self, obj, cls):\n        return {v}\nclass HasConst:\n    c = Const()\n"
        ),
        "model.HasConst().c",
    ),
}

# Edited too, but reached by no task: a re-run after one of these alone is needless.
UNREACHABLE: dict[str, tuple[str, Callable[[int], str]]] = {
    "U_FUNC": ("mathx.py", lambda v: f"def unused(v):\n    return v * {v}\n"),
    "U_CONST": ("consts.py", lambda v: f"UNUSED = {v}\n"),
    "U_CLASS": ("model.py", lambda v: f"class Unused:\n    def m(self):\n        return {v}\n"),
    "U_MODULE": ("unused.py", lambda v: f"X = {v}\n"),
    "U_TASKS_FUNC": ("tasks.py", lambda v: f"def not_a_task(v):\n    return v + {v}\n"),
    "U_COMMENT": ("tasks.py", lambda v: f"# note {v}\n"),
    "U_DEEP": ("sub/deep.py", lambda v: f"def unused_deep(v):\n    return {v}\n"),
}

# Support code, in the order it is written, put in a module only when an atom there needs it.
SUPPORT: dict[str, tuple[str, str]] = {
    "collections": ("consts.py", "import collections\n"),
    "dataclasses": ("consts.py", "import dataclasses\n"),
    "datetime": ("consts.py", "import datetime\n"),
    "decimal": ("consts.py", "import decimal\n"),
    "re": ("consts.py", "import re\n"),
    "typing": ("consts.py", "import typing\n"),
    "np": ("consts.py", "import numpy as np\n"),
    "pd": ("consts.py", "import pandas as pd\n"),
    "pl": ("consts.py", "import polars as pl\n"),
    "Pt": ("consts.py", "Pt = collections.namedtuple('Pt', 'x y')\n"),
    "TPt": ("consts.py", "class TPt(typing.NamedTuple):\n    x: int\n    y: int = 0\n"),
    "AttrDict": (
        "consts.py",
        "class AttrDict(dict):\n    __getattr__ = dict.__getitem__\n    __setattr__ = dict.__setitem__\n",
    ),
    "Pair": ("consts.py", "class Pair(tuple):\n    pass\n"),
    "Vec": ("consts.py", "class Vec(list):\n    def total(self):\n        return sum(self)\n"),
    "Registry": ("consts.py", "class Registry(dict):\n    pass\n"),
    "Conf": (
        "consts.py",
        "@dataclasses.dataclass\nclass Conf:\n    n: int\n    tags: set = dataclasses.field(default_factory=set)\n",
    ),
    "FConf": ("consts.py", "@dataclasses.dataclass(frozen=True)\nclass FConf:\n    name: str\n"),
    "functools": ("mathx.py", "import functools\n"),
    "make": ("mathx.py", "def make(k):\n    def f(v):\n        return v * 10 + k\n    return f\n"),
    "_add": ("mathx.py", "def _add(v, k):\n    return v * 10 + k\n"),
    "deco": ("mathx.py", "def deco(fn):\n    def wrapper(v):\n        return fn(v)\n    return wrapper\n"),
    "deco_wraps": (
        "mathx.py",
        "def deco_wraps(fn):\n    @functools.wraps(fn)\n"
        "    def wrapper(v):\n        return fn(v)\n    return wrapper\n",
    ),
    "scaled": (
        "mathx.py",
        "def scaled(k):\n    def outer(fn):\n        @functools.wraps(fn)\n        def wrapper(v):\n"
        "            return fn(v) * k\n        return wrapper\n    return outer\n",
    ),
    "Scaled": (
        "mathx.py",
        "class Scaled:\n    def __init__(self, k):\n        self.k = k\n    def __call__(self, fn):\n"
        "        @functools.wraps(fn)\n        def wrapper(v):\n            return fn(v) * 100 + self.k\n"
        "        return wrapper\n",
    ),
    # A class-based decorator with arguments whose result is a bound method of itself.
    "ScaledBy": (
        "mathx.py",
        "class ScaledBy:\n    def __init__(self, k):\n        self.k = k\n    def __call__(self, fn):\n"
        "        self.fn = fn\n        return self.run\n"
        "    def run(self, v):\n        return self.fn(v) * 100 + self.k\n",
    ),
    "Counted": (
        "mathx.py",
        "class Counted:\n    def __init__(self, fn):\n        self.fn = fn\n"
        "        functools.update_wrapper(self, fn)\n    def __call__(self, v):\n        return self.fn(v)\n",
    ),
    "Acc": (
        "mathx.py",
        "class Acc:\n    def __init__(self, k):\n        self.k = k\n"
        "    def write(self, v):\n        return v * 10 + self.k\n",
    ),
    "scale": ("mathx.py", "def scale(v, cfg):\n    return v * 10 + cfg.FACTOR\n"),
    "RECORD": ("mathx.py", "RECORD = []\n"),
    "enum": ("model.py", "import enum\n"),
    "functools_model": ("model.py", "import functools\n"),
}
NEEDS: dict[str, tuple[str, ...]] = {
    "C_REGEX": ("re",),
    "C_REGEX_FLAGS": ("re",),
    "C_DECIMAL": ("decimal",),
    "C_DATETIME": ("datetime",),
    "C_TIMEDELTA": ("datetime",),
    "C_NP": ("np",),
    "C_NP_FLOAT": ("np",),
    "C_NP_DTYPE": ("np",),
    "C_NP_STRUCT": ("np",),
    "C_PD": ("pd",),
    "C_PD_COLUMNS": ("pd",),
    "C_PD_INDEX": ("pd",),
    "C_PD_TIMESTAMP": ("pd",),
    "C_PL": ("pl",),
    "C_PL_EXPR": ("pl",),
    "C_NAMEDTUPLE": ("collections", "Pt"),
    "C_TYPED_NT": ("typing", "TPt"),
    "C_ATTRDICT": ("AttrDict",),
    "C_TUPLE_SUB": ("Pair",),
    "C_LIST_SUB": ("Vec",),
    "C_DICT_SUB": ("Registry",),
    "C_DATACLASS": ("dataclasses", "Conf"),
    "C_DATACLASS_SET": ("dataclasses", "Conf"),
    "C_FROZEN_DC": ("dataclasses", "FConf"),
    "H_CLOSURE": ("make",),
    "H_PARTIAL": ("functools", "_add"),
    "H_DECO": ("deco",),
    "H_DECO_WRAPS": ("functools", "deco_wraps"),
    "H_DECO_ARGS": ("functools", "scaled"),
    "H_DECO_CLASS": ("functools", "Scaled"),
    "H_DECO_INSTANCE": ("functools", "Counted"),
    "H_DECO_BOUND": ("ScaledBy",),
    "H_OBJ_STATE": ("Acc",),
    "H_SINGLEDISPATCH": ("functools",),
    "H_LRU_CACHE": ("functools",),
    "H_RECORD": ("RECORD",),
    "M_ARG": ("scale",),
    "K_ENUM": ("enum",),
    "K_CACHED_PROPERTY": ("functools_model",),
}
TASKS = ("t0", "t1", "t2")  # t0 and t1 read x; t2 reads t0's output
# The order a notebook reloads modules in: what others import first.
RELOAD_ORDER = [
    "sub/deep.py",
    "sub/inner_mod.py",
    "sub/lazy_sub.py",
    "consts.py",
    "settings.py",
    "mathx.py",
    "model.py",
    "lazy_rel.py",
    "lazy_abs.py",
    "lazy_dyn.py",
    "udf_dyn.py",
    "udf_defer.py",
    "reexp.py",
    "unused.py",
]


def module_name(pkg: str, path: str) -> str:
    return pkg + "." + path[: -len(".py")].replace("/", ".").removesuffix(".__init__")


class Project:
    """One generated project and its edit history (deterministic from its rng)."""

    def __init__(
        self,
        pkg: str,
        rng: random.Random,
        atoms: list[str],
        notebook: bool = False,
        reach: list[list[str]] | None = None,
        values: dict[str, int] | None = None,
        unreachable: bool = True,
        data_files: bool = True,
    ) -> None:
        self.pkg = pkg
        self.rng = rng
        self.notebook = notebook
        self.reach = reach or [rng.sample(atoms, rng.randint(1, 6)) for _ in TASKS]
        used = sorted({a for r in self.reach for a in r})
        self.used = used
        self.unreachable = sorted(rng.sample(list(UNREACHABLE), rng.randint(1, 4))) if unreachable else []
        self.values = values or {a: rng.randint(1, 4) for a in [*used, *self.unreachable]}
        self.x = rng.randint(0, 9)
        # Some projects give t1 a list of data files to read (its second input): a few,
        # or more than a thousand (an edit then often lands past the thousandth).
        self.n_files = rng.choice([0] * 7 + [5] * 2 + [1100]) if data_files else 0
        self.values.update({f"F{i}": rng.randint(1, 4) for i in range(self.n_files)})
        self.history: list[tuple[dict[str, int], int]] = []
        self.op = "create"

    # ----- source -----
    def modules(self) -> list[str]:
        paths = {"__init__.py", "tasks.py", "consts.py", "mathx.py", "model.py"}
        paths |= {ATOMS[a].module for a in self.used}
        paths |= {m for a in self.used for m, _ in ATOMS[a].extra}
        paths |= {UNREACHABLE[a][0] for a in self.unreachable}
        if any(p.startswith("sub/") for p in paths):
            paths.add("sub/__init__.py")
        return sorted(paths)

    def module_text(self, path: str, values: dict[str, int] | None = None) -> str:
        values = values or self.values
        if path == "tasks.py":
            return self.tasks_text(values)
        needed = {n for a in self.used for n in NEEDS.get(a, ())}
        body = [text for n, (m, text) in SUPPORT.items() if m == path and n in needed]
        body += [text for a in self.used for m, text in ATOMS[a].extra if m == path]
        body += [ATOMS[a].source(values[a]) for a in self.used if ATOMS[a].module == path]
        body += [UNREACHABLE[a][1](values[a]) for a in self.unreachable if UNREACHABLE[a][0] == path]
        return "".join(body)

    def tasks_text(self, values: dict[str, int]) -> str:
        lines = ["from . import consts, mathx, model"]
        for a in self.used:
            for line in ATOMS[a].imports.splitlines():
                if line not in lines:
                    lines.append(line)
        for k, name in enumerate(TASKS):
            body = []
            if k == 2:
                lines.append(f"def {name}(inp):")
                body.append("v = inp[0]")
                head = "inp"
            elif k == 1 and self.n_files:
                lines.append(f"def {name}(v, files):")
                head = "v, sum(int(open(f).read()) for f in files)"
            else:
                lines.append(f"def {name}(v):")
                head = "v"
            for a in self.reach[k]:
                if ATOMS[a].prelude:
                    stmt = ATOMS[a].prelude.replace("{pkg}", self.pkg)
                    if stmt not in body:
                        body.append(stmt)
            exprs = [ATOMS[a].expr.replace("{pkg}", self.pkg) for a in self.reach[k]]
            body.append(f"return [{head}, " + ", ".join(exprs) + "]")
            lines += ["    " + b for b in body]
        text = "\n".join(lines) + "\n"
        text += "".join(UNREACHABLE[a][1](values[a]) for a in self.unreachable if UNREACHABLE[a][0] == "tasks.py")
        return text

    def files(self, values: dict[str, int] | None = None) -> dict[str, str]:
        values = values or self.values
        out = {f"{self.pkg}/{p}": self.module_text(p, values) for p in self.modules()}
        out.update({path: f"{values[f'F{i}']}\n" for i, path in enumerate(self.data_paths())})
        return out

    def data_paths(self) -> list[str]:
        return [f"{self.pkg}_data/f{i:04d}.txt" for i in range(self.n_files)]

    def plan(self) -> dict[str, object]:
        """What the drivers need besides the code: the input and the data files."""
        return {"x": self.x, "files": self.data_paths() or None}

    # ----- edits -----
    def mutate(self) -> dict[str, object]:
        """One random edit; returns what the step does: files to write, x, notebook actions."""
        self.history.append((dict(self.values), self.x))
        before = self.files()
        roll = self.rng.random()
        step: dict[str, object] = {"inplace": [], "reload_tasks": self.rng.random() < 0.5}
        inplace_atoms = [a for a in self.used if ATOMS[a].inplace]
        if roll < 0.15:
            self.x = self.rng.randint(0, 9)
            self.op = f"input x={self.x}"
        elif roll < 0.30 and self.unreachable:
            a = self.rng.choice(self.unreachable)
            self.values[a] = self.rng.choice([v for v in range(1, 5) if v != self.values[a]])
            self.op = f"unreachable {a}={self.values[a]}"
        elif roll < 0.40 and len(self.history) > 1:
            values, x = self.rng.choice(self.history[:-1])
            self.values, self.x = dict(values), x
            self.op = "revert to an earlier state"
        elif roll < 0.47:
            self.op = "no edit (files rewritten as they were)"
            path = self.rng.choice(sorted(before))
            return {**step, "write": {path: before[path]}, "x": self.x, "op": self.op}
        elif roll < 0.53 and self.n_files:
            i = self.rng.randrange(self.n_files)
            if self.n_files > 1000 and self.rng.random() < 0.5:
                i = self.rng.randrange(1000, self.n_files)
            self.values[f"F{i}"] = self.rng.choice([v for v in range(1, 5) if v != self.values[f"F{i}"]])
            self.op = f"data file {i} of {self.n_files} = {self.values[f'F{i}']}"
            path = self.data_paths()[i]
            return {**step, "write": {path: f"{self.values[f'F{i}']}\n"}, "x": self.x, "op": self.op}
        elif roll < 0.58 and self.notebook and inplace_atoms:
            a = self.rng.choice(inplace_atoms)
            v = self.rng.randint(1, 4)
            code = ATOMS[a].inplace.replace("{pkg}", self.pkg).replace("{v}", str(v))
            # A cell that changes a value in memory: the file keeps the old one and a later
            # reload of that module puts it back.
            self.op = f"in memory: {code}"
            return {**step, "write": {}, "x": self.x, "op": self.op, "inplace": [code]}
        else:
            a = self.rng.choice(self.used)
            self.values[a] = self.rng.choice([v for v in range(1, 5) if v != self.values[a]])
            self.op = f"edit {a}={self.values[a]} ({ATOMS[a].module})"
        after = self.files()
        write = {p: t for p, t in after.items() if before.get(p) != t}
        return {**step, "write": write, "x": self.x, "op": self.op}


# ----- the processes each step runs -----

# Both drivers: one project's submit, with each job's status and reason (a failed
# job's last traceback line) and the values scenarium serves.
SUBMIT_REPORT = r"""
def submit_report(pkg, scenario):
    try:
        submission = scenario.submit()
    except sc.JobFailed as e:  # the other tasks are still checked
        submission = next(s for s in scenario.submissions if s.id == e.submission_id)
    n = len(pkg) + 1
    def why(j):
        tail = j.stacktrace[-1].strip().splitlines()[-1] if j.stacktrace else ""
        return f"{j.reason or ''} {tail}".strip() if j.status.name == "FAILED" else j.reason
    return {
        "status": {j.task_config_id[n:]: j.status.name for j in submission.jobs},
        "reasons": {j.task_config_id[n:]: why(j) for j in submission.jobs},
        "served": [scenario.data_nodes[f"{pkg}_y{k}"].read() for k in range(3)],
    }
"""

# Configures every project of the plan (package per project, one storage folder),
# submits it, and prints each task's status, reason and the value scenarium holds.
DRIVER = r"""
import importlib, json, sys, traceback
import scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=sys.argv[2], progress=False)
plan = json.load(open(sys.argv[1]))
existing = {s.config_id: s for s in sc.get_scenarios()}
report = {}

__SUBMIT_REPORT__for pkg, inputs in plan.items():
    x, files = inputs["x"], inputs["files"]
    try:
        # Each project alone in the configuration: checking it costs no more with 500 of them.
        Config._reset()
        Config.configure_core(storage_folder=sys.argv[2], progress=False)
        tasks = importlib.import_module(pkg + ".tasks")
        xs = Config.configure_data_node(pkg + "_x", default_data=0)
        fs = [Config.configure_data_node(pkg + "_files", default_data=files)] if files else []
        y = [Config.configure_data_node(f"{pkg}_y{k}") for k in range(3)]
        ts = [
            Config.configure_task(f"{pkg}_t0", tasks.t0, input=[xs], output=[y[0]], skippable=True),
            Config.configure_task(f"{pkg}_t1", tasks.t1, input=[xs, *fs], output=[y[1]], skippable=True),
            Config.configure_task(f"{pkg}_t2", tasks.t2, input=[y[0]], output=[y[2]], skippable=True),
        ]
        cfg = Config.configure_scenario(pkg, task_configs=ts)
        scenario = existing.get(pkg) or sc.create_scenario(cfg)
        if scenario.data_nodes[pkg + "_x"].read() != x:
            scenario.data_nodes[pkg + "_x"].write(x)
        report[pkg] = submit_report(pkg, scenario)
    except BaseException:
        report[pkg] = {"error": traceback.format_exc()[-3000:]}
print("RESULT" + json.dumps(report, default=repr))
"""

# The oracle: no scenarium, the task functions called from scratch on the current code.
ORACLE = r"""
import importlib, json, sys, traceback
plan = json.load(open(sys.argv[1]))
report = {}
for pkg, inputs in plan.items():
    x, files = inputs["x"], inputs["files"]
    try:
        tasks = importlib.import_module(pkg + ".tasks")
        y0 = tasks.t0(x)
        report[pkg] = [y0, tasks.t1(x, files) if files else tasks.t1(x), tasks.t2(y0)]
    except BaseException:
        report[pkg] = {"error": traceback.format_exc()[-3000:]}
print("RESULT" + json.dumps(report, default=repr))
"""

DRIVER = DRIVER.replace("__SUBMIT_REPORT__", SUBMIT_REPORT)

# Notebook mode: every step of every notebook project in one interpreter. Between
# submits, the cell edits files and reloads what it edited (and sometimes the tasks
# module, then configures the tasks again), or changes a value in memory. The oracle
# is the task functions called directly in this same interpreter, after the submit.
NOTEBOOK = r"""
import importlib, json, os, sys, traceback
import scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=sys.argv[2], progress=False)
plan = json.load(open(sys.argv[1]))
ORDER = plan["reload_order"]
scenarios, report = {}, {}

__SUBMIT_REPORT__
def modname(pkg, path):
    name = pkg + "." + path[:-3].replace("/", ".")
    return name[: -len(".__init__")] if name.endswith(".__init__") else name

def configure(pkg, tasks, files):
    xs = Config.configure_data_node(pkg + "_x", default_data=0)
    fs = [Config.configure_data_node(pkg + "_files", default_data=files)] if files else []
    y = [Config.configure_data_node(f"{pkg}_y{k}") for k in range(3)]
    ts = [
        Config.configure_task(f"{pkg}_t0", tasks.t0, input=[xs], output=[y[0]], skippable=True),
        Config.configure_task(f"{pkg}_t1", tasks.t1, input=[xs, *fs], output=[y[1]], skippable=True),
        Config.configure_task(f"{pkg}_t2", tasks.t2, input=[y[0]], output=[y[2]], skippable=True),
    ]
    return Config.configure_scenario(pkg, task_configs=ts)

for step, todo in enumerate(plan["steps"]):
    for pkg, action in todo.items():
        out = report.setdefault(pkg, [])
        try:
            # Each project alone in the configuration (as the config cell run again).
            Config._reset()
            Config.configure_core(storage_folder=sys.argv[2], progress=False)
            for path, text in action["write"].items():
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
            importlib.invalidate_caches()
            tasks = sys.modules.get(pkg + ".tasks")
            if tasks is None:
                tasks = importlib.import_module(pkg + ".tasks")
                scenarios[pkg] = sc.create_scenario(configure(pkg, tasks, action["files"]))
            else:
                edited = {p.split("/", 1)[1] for p in action["write"]}
                for path in ORDER:
                    if path in edited and modname(pkg, path) in sys.modules:
                        importlib.reload(sys.modules[modname(pkg, path)])
                if action["reload_tasks"] or "tasks.py" in edited:
                    tasks = importlib.reload(tasks)
                configure(pkg, tasks, action["files"])
            for code in action["inplace"]:
                exec(code)
            scenario = scenarios[pkg]
            x = action["x"]
            if scenario.data_nodes[pkg + "_x"].read() != x:
                scenario.data_nodes[pkg + "_x"].write(x)
            got = submit_report(pkg, scenario)
            y0 = tasks.t0(x)
            t1 = tasks.t1(x, action["files"]) if action["files"] else tasks.t1(x)
            got["scratch"] = [y0, t1, tasks.t2(y0)]
            out.append(json.loads(json.dumps(got, default=repr)))
        except BaseException:
            out.append({"error": traceback.format_exc()[-3000:]})
print("RESULT" + json.dumps(report, default=repr))
"""
NOTEBOOK = NOTEBOOK.replace("__SUBMIT_REPORT__", SUBMIT_REPORT)
