"""Skipping that fails closed (issue 34): code layouts whose edits the identity used
to miss, each step in a fresh process with a random hash seed; a value with no
canonical encoding makes its task run every time, and says which value; what a run
touched (a helper found by name, a file, an environment variable) joins the task's
identity."""

from __future__ import annotations

import os

import pytest

from projects import Project, statuses
from test_code_identity import PIPELINE, check_edit_reruns

HELPERS = "pkg/__init__.py"

STALE_CASES = {
    "collections.namedtuple constant": (
        {
            "app.py": "import collections\nP = collections.namedtuple('P', 'a b')\nC = P(2, 1)\n"
            "def task(v):\n    return v * C.a\n",
        },
        ("app.py", "P(2, 1)", "P(3, 1)"),
        10,
        15,
        "value app.C changed",
    ),
    "typing.NamedTuple constant": (
        {
            "app.py": "import typing\nclass P(typing.NamedTuple):\n    a: int\n    b: int\nC = P(2, 1)\n"
            "def task(v):\n    return v * C.a\n",
        },
        ("app.py", "P(2, 1)", "P(3, 1)"),
        10,
        15,
        "value app.C changed",
    ),
    "dict subclass config (AttrDict)": (
        {
            "app.py": "class AttrDict(dict):\n    __getattr__ = dict.__getitem__\n"
            "CFG = AttrDict(k=2)\ndef task(v):\n    return v * CFG.k\n",
        },
        ("app.py", "k=2", "k=3"),
        10,
        15,
        "value app.CFG changed",
    ),
    "list subclass constant": (
        {
            "app.py": "class Steps(list):\n    pass\nS = Steps([2, 0])\ndef task(v):\n    return v * S[0]\n",
        },
        ("app.py", "[2, 0]", "[3, 0]"),
        10,
        15,
        "value app.S changed",
    ),
    "helper named log in a module": (
        {
            "mathx.py": "def log(v):\n    return v * 2\n",
            "app.py": "import mathx\ndef task(v):\n    return mathx.log(v)\n",
        },
        ("mathx.py", "v * 2", "v * 3"),
        10,
        15,
        "function mathx.log changed",
    ),
    "module-level object called as OBJ.add(x), its class edited": (
        {
            "app.py": "class Offset:\n    def add(self, v):\n        return v * 2\nOFFSET = Offset()\n"
            "def task(v):\n    return OFFSET.add(v)\n",
        },
        ("app.py", "v * 2", "v * 3"),
        10,
        15,
        "function app.Offset.add changed",
    ),
    "from . import helpers inside the task body, not imported before": (
        {
            "pkg/__init__.py": "",
            "pkg/helpers.py": "def f(v):\n    return v * 2\n",
            "pkg/steps.py": "def run(v):\n    from . import helpers\n    return helpers.f(v)\n",
            "app.py": "from pkg.steps import run as task\n",
        },
        ("pkg/helpers.py", "v * 2", "v * 3"),
        10,
        15,
        "function pkg.helpers.f changed",
    ),
    "from pkg import helpers inside the task body": (
        {
            "pkg/__init__.py": "",
            "pkg/helpers.py": "FACTOR = 2\n",
            "app.py": "def task(v):\n    from pkg import helpers\n    return v * helpers.FACTOR\n",
        },
        ("pkg/helpers.py", "FACTOR = 2", "FACTOR = 3"),
        10,
        15,
        "value pkg.helpers.FACTOR changed",
    ),
    "module passed as an argument": (
        {
            "settings.py": "FACTOR = 2\n",
            "helpers.py": "def scale(v, conf):\n    return v * conf.FACTOR\n",
            "app.py": "import helpers, settings\ndef task(v):\n    return helpers.scale(v, settings)\n",
        },
        ("settings.py", "FACTOR = 2", "FACTOR = 3"),
        10,
        15,
        "value settings.FACTOR changed",
    ),
    "string constant in a list comprehension": (
        {"app.py": "def task(v):\n    return len(''.join([s + '!' for s in 'ab']).replace('!', 'xx')) + v\n"},
        ("app.py", "s + '!'", "s + '?'"),
        11,
        9,
        "function app.task changed",
    ),
    "string constant in a generator expression": (
        {"app.py": "def task(v):\n    return sum(1 for s in ('a!', 'b!', 'c') if s.endswith('!')) + v\n"},
        ("app.py", "endswith('!')", "endswith('c')"),
        7,
        6,
        "function app.task changed",
    ),
    "compiled regex constant": (
        {"app.py": "import re\nPAT = re.compile('a+')\ndef task(v):\n    return v + len(PAT.findall('aa-a-aaa'))\n"},
        ("app.py", "'a+'", "'a'"),
        8,
        11,
        "value app.PAT changed",
    ),
    "singledispatch implementation": (
        {
            "app.py": "import functools\n@functools.singledispatch\ndef f(x):\n    return 0\n"
            "@f.register\ndef _(x: int):\n    return x * 2\ndef task(v):\n    return f(v)\n",
        },
        ("app.py", "x * 2", "x * 3"),
        10,
        15,
        None,
    ),
    "class-based decorator's state": (
        {
            "deco.py": "class scaled:\n    def __init__(self, k):\n        self.k = k\n"
            "    def __call__(self, fn):\n        def wrapper(v):\n"
            "            return fn(v) * self.k\n        return wrapper\n",
            "app.py": "from deco import scaled\n@scaled(2)\ndef task(v):\n    return v\n",
        },
        ("app.py", "scaled(2)", "scaled(3)"),
        10,
        15,
        None,
    ),
    "function attribute": (
        {"app.py": "def task(v):\n    return v * task.k\ntask.k = 2\n"},
        ("app.py", "task.k = 2", "task.k = 3"),
        10,
        15,
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(STALE_CASES))
def test_an_edit_the_old_walk_missed_reruns(tmp_path, case):
    files, edit, before, after, part = STALE_CASES[case]
    check_edit_reruns(tmp_path, files, edit, before, after, part)


def test_numpy_structured_array_field_names_swapped(tmp_path):
    pytest.importorskip("numpy")
    files = {
        "app.py": "import numpy as np\nA = np.array([(2, 1)], dtype=[('a', 'i8'), ('b', 'i8')])\n"
        "def task(v):\n    return int(v * A['a'][0])\n",
    }
    check_edit_reruns(tmp_path, files, ("app.py", "('a', 'i8'), ('b', 'i8')", "('b', 'i8'), ('a', 'i8')"), 10, 5)


def test_attrdict_recipe_does_not_break_the_first_submit(tmp_path):
    files = {
        "app.py": "class AttrDict(dict):\n    __getattr__ = dict.__getitem__\n    __setattr__ = dict.__setitem__\n"
        "CFG = AttrDict(k=2)\ndef task(v):\n    return v * CFG.k\n",
    }
    project = Project(tmp_path, {"pipeline.py": PIPELINE, **files})
    first = project.step()
    assert statuses(first) == {"t": "COMPLETED"}, first["jobs"]
    assert first["values"]["y"] == 10


# ---------------------------------------------------------------- fail closed


def test_a_value_with_no_canonical_encoding_runs_every_time_and_says_which(tmp_path):
    files = {
        "app.py": "import threading\nLOCK = threading.Lock()\ndef task(v):\n    with LOCK:\n        return v * 2\n"
    }
    project = Project(tmp_path, {"pipeline.py": PIPELINE, **files})
    for _ in range(2):
        result = project.step()
        assert statuses(result) == {"t": "COMPLETED"}
        reason = result["jobs"]["t"][1]
        assert "value app.LOCK" in reason and "no canonical encoding" in reason, reason
        assert "re-runs on every submit" in reason


def test_an_identity_hook_makes_such_a_value_reusable(tmp_path):
    files = {
        "app.py": "import threading\nclass Client:\n    def __init__(self, url):\n        self.url = url\n"
        "        self.lock = threading.Lock()\n    def __scenarium_identity__(self):\n        return self.url\n"
        "CLIENT = Client('db://a')\ndef task(v):\n    return v * len(CLIENT.url)\n",
    }
    check_edit_reruns(tmp_path, files, ("app.py", "'db://a'", "'db://ab'"), 30, 35, "value app.CLIENT changed")


# ---------------------------------------------------------------- recorded as it ran


def test_a_helper_found_by_name_is_recorded_and_its_edit_reruns(tmp_path):
    files = {
        "plugins.py": "def double(v):\n    return v * 2\n",
        "app.py": "import importlib\ndef task(v):\n"
        "    return getattr(importlib.import_module('plugins'), 'double')(v)\n",
    }
    check_edit_reruns(tmp_path, files, ("plugins.py", "v * 2", "v * 3"), 10, 15, "function plugins.double changed")


def test_a_file_read_without_being_declared_is_recorded(tmp_path):
    (tmp_path / "factor.txt").write_text("2")
    files = {"app.py": "def task(v):\n    with open('factor.txt') as f:\n        return v * int(f.read())\n"}
    project = Project(tmp_path, {"pipeline.py": PIPELINE, **files})
    assert project.step()["values"]["y"] == 10
    assert statuses(project.step()) == {"t": "SKIPPED"}
    (tmp_path / "factor.txt").write_text("3")
    second = project.step()
    assert statuses(second) == {"t": "COMPLETED"}, second["jobs"]
    assert second["values"]["y"] == 15
    assert "read file" in second["jobs"]["t"][1] and "factor.txt" in second["jobs"]["t"][1]
    assert statuses(project.step()) == {"t": "SKIPPED"}


def test_an_environment_variable_read_is_recorded(tmp_path, monkeypatch):
    files = {"app.py": "import os\ndef task(v):\n    return v * int(os.environ.get('SCN_TEST_FACTOR', '2'))\n"}
    monkeypatch.delenv("SCN_TEST_FACTOR", raising=False)
    project = Project(tmp_path, {"pipeline.py": PIPELINE, **files})
    assert project.step()["values"]["y"] == 10
    assert statuses(project.step()) == {"t": "SKIPPED"}
    monkeypatch.setenv("SCN_TEST_FACTOR", "3")
    second = project.step()
    assert statuses(second) == {"t": "COMPLETED"}, second["jobs"]
    assert second["values"]["y"] == 15
    assert "read env SCN_TEST_FACTOR" in second["jobs"]["t"][1]
    assert statuses(project.step()) == {"t": "SKIPPED"}


# ---------------------------------------------------------------- user code, decided soundly


def test_a_library_on_pythonpath_is_not_walked_and_counts_by_its_files(tmp_path, monkeypatch):
    pd = pytest.importorskip("pandas")
    del pd
    vendor = tmp_path / "vendor"
    (vendor / "vlib").mkdir(parents=True)
    (vendor / "vlib" / "__init__.py").write_text(
        "import pandas as pd\nFRAME = pd.DataFrame({'a': range(50)})\ndef total(f):\n    return int(f['a'].sum()) * 1\n"
    )
    root = tmp_path / "project"
    root.mkdir()
    files = {"app.py": "import vlib\ndef task(v):\n    return vlib.total(vlib.FRAME) + v\n"}
    project = Project(root, {"pipeline.py": PIPELINE, **files})
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(vendor), os.environ.get("PYTHONPATH", "")]))
    first = project.step()
    assert statuses(first) == {"t": "COMPLETED"}, first["jobs"]
    assert first["values"]["y"] == 1225 + 5
    assert statuses(project.step()) == {"t": "SKIPPED"}
    text = (vendor / "vlib" / "__init__.py").read_text()
    (vendor / "vlib" / "__init__.py").write_text(text.replace("* 1", "* 2"))
    second = project.step()
    assert statuses(second) == {"t": "COMPLETED"}, second["jobs"]
    assert second["values"]["y"] == 2450 + 5
    assert "package vlib" in second["jobs"]["t"][1]


# ---------------------------------------------------------------- inputs


def test_every_path_in_an_input_list_counts(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    for i in range(1100):
        (folder / f"f{i}.txt").write_text("1")
    pipeline = PIPELINE.replace(
        "default_data=5", f"default_data=[{str(folder)!r} + f'/f{{i}}.txt' for i in range(1100)]"
    )
    files = {"app.py": "def task(paths):\n    return sum(int(open(p).read()) for p in paths[1000:1100])\n"}
    project = Project(tmp_path, {"pipeline.py": pipeline, **files})
    assert project.step()["values"]["y"] == 100
    assert statuses(project.step()) == {"t": "SKIPPED"}
    (folder / "f1050.txt").write_text("2")
    second = project.step()
    assert statuses(second) == {"t": "COMPLETED"}, second["jobs"]
    assert second["values"]["y"] == 101
    reason = second["jobs"]["t"][1]
    assert "f1050.txt changed on disk since the last job (1 of its 1100 files)" in reason, reason[:300]
    assert len(reason) < 400, "one changed file is named, not all 1,100"


def test_an_equal_object_holding_a_set_written_again_under_another_seed_is_the_same_input(tmp_path):
    pipeline = """
from scenarium import Config
import app
x = Config.configure_data_node("x", storage_type="pickle")
y = Config.configure_data_node("y")
t = Config.configure_task("t", app.task, input=[x], output=[y], skippable=True)
scenario_cfg = Config.configure_scenario("s", task_configs=[t])
"""
    files = {
        "app.py": "import dataclasses\n@dataclasses.dataclass\nclass Box:\n    names: set\n"
        "def make():\n    return Box({f'n{i}' for i in range(40)})\n"
        "def task(box):\n    return len(box.names)\n",
    }
    project = Project(tmp_path, {"pipeline.py": pipeline, **files})
    write = "import app\nscenario.x.write(app.make())"
    assert statuses(project.step(write, seed=1)) == {"t": "COMPLETED"}
    again = project.step(write, seed=2)
    assert statuses(again) == {"t": "SKIPPED"}, again["jobs"]


def test_a_csv_input_at_a_new_path_with_the_same_content_is_the_same_input(tmp_path):
    pd = pytest.importorskip("pandas")
    del pd
    (tmp_path / "a.csv").write_text("v\n1\n2\n")
    (tmp_path / "b.csv").write_text("v\n1\n2\n")
    # Two scenarios, each with its own csv node and task over the same function.
    pipeline = """
from scenarium import Config
import app
import os
where = os.environ.get("SCN_CSV", "a.csv")
x = Config.configure_data_node("x_" + where[0], storage_type="csv", default_path=where)
y = Config.configure_data_node("y_" + where[0])
t = Config.configure_task("t", app.task, input=[x], output=[y], skippable=True)
scenario_cfg = Config.configure_scenario("s_" + where[0], task_configs=[t])
"""
    files = {"app.py": "def task(df):\n    return int(df['v'].sum())\n"}
    project = Project(tmp_path, {"pipeline.py": pipeline, **files})
    first = project.step()
    assert statuses(first) == {"t": "COMPLETED"} and first["values"]["y_a"] == 3
    os.environ["SCN_CSV"] = "b.csv"
    try:
        moved = project.step()
    finally:
        del os.environ["SCN_CSV"]
    assert statuses(moved) == {"t": "COMPLETED"}, moved["jobs"]
    assert "reused without running" in moved["jobs"]["t"][1], moved["jobs"]
    assert moved["values"]["y_b"] == 3


NOTEBOOK = """
import importlib, json, pathlib
import scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=".scenarium", progress=False)
import helpers, app
x = Config.configure_data_node("x", default_data=5)
y = Config.configure_data_node("y")
t = Config.configure_task("t", app.task, input=[x], output=[y], skippable=True)
scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
seen = []
def step():
    job = scenario.submit().jobs[0]
    seen.append([job.status.name, scenario.y.read()])
step()
step()
for old, new in (("v * 2", "v * 3"), ("OPS = [1]", "OPS = [4]")):
    path = pathlib.Path("helpers.py")
    path.write_text(path.read_text().replace(old, new))
    importlib.reload(helpers)
    step()
    step()
print("RESULT" + json.dumps(seen))
"""


def test_notebook_steps_in_one_process_see_reloaded_edits(tmp_path):
    files = {
        "helpers.py": "OPS = [1]\ndef f(v):\n    return v * 2\n",
        "app.py": "import helpers\ndef task(v):\n    return getattr(helpers, 'f')(v) + sum(helpers.OPS)\n",
    }
    project = Project(tmp_path, files)
    out = project.run(NOTEBOOK)
    assert out.returncode == 0, out.stderr
    line = next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))
    import json

    steps = json.loads(line[len("RESULT") :])
    assert steps == [
        ["COMPLETED", 11],
        ["SKIPPED", 11],
        ["COMPLETED", 16],  # f found by name only: recorded by the first run
        ["SKIPPED", 16],
        ["COMPLETED", 19],
        ["SKIPPED", 19],
    ]


# ---------------------------------------------------------------- found by the fuzzer (tests/test_identity_fuzz.py)


def test_what_the_static_walk_covered_adds_nothing_once_run(tmp_path):
    # A lambda in a module dict has no name to look up: its run must not make the
    # whole module count, so an edit to a function it never calls changes nothing.
    files = {
        "mathx.py": "OPS = {'f': lambda v: v * 2}\ndef unused(v):\n    return v * 2\n",
        "app.py": "import mathx\ndef task(v):\n    return mathx.OPS['f'](v)\n",
    }
    project = Project(tmp_path, {"pipeline.py": PIPELINE, **files})
    assert statuses(project.step()) == {"t": "COMPLETED"}
    assert statuses(project.step()) == {"t": "SKIPPED"}
    project.edit("mathx.py", "return v * 2\n", "return v * 3\n")  # the second one: unused
    assert project.root.joinpath("mathx.py").read_text().count("v * 2") == 1
    assert statuses(project.step()) == {"t": "SKIPPED"}


@pytest.mark.parametrize(
    "helper",
    [
        "class S:\n    @staticmethod\n    def f(v):\n        return v * 2\nf = S.f\n",
        "import functools\n@functools.lru_cache(maxsize=None)\ndef f(v):\n    return v * 2\n",
        "import functools\nclass Counted:\n    def __init__(self, fn):\n        self.fn = fn\n"
        "        functools.update_wrapper(self, fn)\n    def __call__(self, v):\n        return self.fn(v)\n"
        "@Counted\ndef f(v):\n    return v * 2\n",
        "import functools\nclass Cp:\n    @functools.cached_property\n    def p(self):\n        return 2\n"
        "def f(v):\n    return v * Cp().p\n",
    ],
    ids=["staticmethod", "lru_cache", "callable object", "cached_property"],
)
def test_helpers_of_every_kind_run_then_skip_then_see_edits(tmp_path, helper):
    files = {
        "helpers.py": helper,
        "app.py": "import importlib\ndef task(v):\n    return importlib.import_module('helpers').f(v)\n",
    }
    check_edit_reruns(tmp_path, files, ("helpers.py", "2", "3"), 10, 15)
