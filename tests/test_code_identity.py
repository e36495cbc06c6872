"""Never stale, for real code: a task re-runs when any code or value it can reach
changes, across modules and packages, and only then; each step in a fresh process
with a random hash seed (tests/projects.py)."""

from __future__ import annotations

import os

import pytest

from projects import Project, statuses

# One skippable task `t` over data node x (5) into y; `app.task` is what it runs.
PIPELINE = """
from scenarium import Config
import app
x = Config.configure_data_node("x", default_data=5)
y = Config.configure_data_node("y")
t = Config.configure_task("t", app.task, input=[x], output=[y], skippable=True)
scenario_cfg = Config.configure_scenario("s", task_configs=[t])
"""


def check_edit_reruns(tmp_path, files, edit, expected_before, expected_after, part=None):
    """Run, edit one file, run again in a new process: t must run and see the edit;
    a third run with another hash seed must skip."""
    project = Project(tmp_path, {"pipeline.py": PIPELINE, **files})
    first = project.step()
    assert statuses(first) == {"t": "COMPLETED"}
    assert first["values"]["y"] == expected_before
    assert statuses(project.step()) == {"t": "SKIPPED"}, "unchanged code ran again"
    project.edit(*edit)
    second = project.step()
    assert statuses(second) == {"t": "COMPLETED"}, f"stale after editing {edit[0]}: {second['jobs']['t'][1]}"
    assert second["values"]["y"] == expected_after
    if part is not None:
        assert part in second["jobs"]["t"][1], second["jobs"]["t"][1]
    assert statuses(project.step()) == {"t": "SKIPPED"}


# ---------------------------------------------------------------- stale after an edit

STALE_CASES = {
    "from helpers import f": (
        {
            "helpers.py": "def f(v):\n    return v + 1\n",
            "app.py": "from helpers import f\ndef task(v):\n    return f(v)\n",
        },
        ("helpers.py", "v + 1", "v + 2"),
        6,
        7,
        "function helpers.f changed",
    ),
    "import helpers; helpers.f": (
        {
            "helpers.py": "def f(v):\n    return v + 1\n",
            "app.py": "import helpers\ndef task(v):\n    return helpers.f(v)\n",
        },
        ("helpers.py", "v + 1", "v + 2"),
        6,
        7,
        "function helpers.f changed",
    ),
    "from .helpers import f in a package": (
        {
            "pkg/__init__.py": "",
            "pkg/helpers.py": "def f(v):\n    return v + 1\n",
            "pkg/steps.py": "from .helpers import f\ndef run(v):\n    return f(v)\n",
            "app.py": "from pkg.steps import run as task\n",
        },
        ("pkg/helpers.py", "v + 1", "v + 2"),
        6,
        7,
        "function pkg.helpers.f changed",
    ),
    "relative import inside the function body": (
        {
            "pkg/__init__.py": "",
            "pkg/helpers.py": "def f(v):\n    return v + 1\n",
            "pkg/steps.py": "def run(v):\n    from .helpers import f\n    return f(v)\n",
            "app.py": "from pkg.steps import run as task\n",
        },
        ("pkg/helpers.py", "v + 1", "v + 2"),
        6,
        7,
        "function pkg.helpers.f changed",
    ),
    "method of a class in the same file": (
        {"app.py": "class M:\n    def run(self, v):\n        return v + 1\ndef task(v):\n    return M().run(v)\n"},
        ("app.py", "v + 1", "v + 2"),
        6,
        7,
        "function app.M.run changed",
    ),
    "helper reached through a dict": (
        {"app.py": "def inc(v):\n    return v + 1\nOPS = {'f': inc}\ndef task(v):\n    return OPS['f'](v)\n"},
        ("app.py", "v + 1", "v + 2"),
        6,
        7,
        "function app.inc changed",
    ),
    "module-level dict constant": (
        {"app.py": "K = {'a': 1}\ndef task(v):\n    return v + K['a']\n"},
        ("app.py", "{'a': 1}", "{'a': 2}"),
        6,
        7,
        "value app.K changed",
    ),
    "module-level list constant": (
        {"app.py": "K = [1, 2]\ndef task(v):\n    return v + sum(K)\n"},
        ("app.py", "[1, 2]", "[1, 3]"),
        8,
        9,
        "value app.K changed",
    ),
    "module-level set constant": (
        {"app.py": "K = {'a', 'b'}\ndef task(v):\n    return v + len(K)\n"},
        ("app.py", "{'a', 'b'}", "{'a', 'b', 'c'}"),
        7,
        8,
        "value app.K changed",
    ),
    "class attribute": (
        {"app.py": "class C:\n    K = 1\ndef task(v):\n    return v + C.K\n"},
        ("app.py", "K = 1", "K = 2"),
        6,
        7,
        "class app.C changed",
    ),
    "attribute of an imported module": (
        {"settings.py": "FACTOR = 2\n", "app.py": "import settings\ndef task(v):\n    return v * settings.FACTOR\n"},
        ("settings.py", "FACTOR = 2", "FACTOR = 3"),
        10,
        15,
        "value settings.FACTOR changed",
    ),
    "closure over a dict": (
        {"app.py": "def make(d):\n    def f(v):\n        return v + d['a']\n    return f\ntask = make({'a': 1})\n"},
        ("app.py", "{'a': 1}", "{'a': 2}"),
        6,
        7,
        None,
    ),
    "decorator without wraps": (
        {
            "app.py": "def deco(fn):\n    def wrapper(v):\n        return fn(v)\n    return wrapper\n"
            "@deco\ndef task(v):\n    return v + 1\n"
        },
        ("app.py", "v + 1", "v + 2"),
        6,
        7,
        None,
    ),
    "bound method's instance state": (
        {
            "app.py": "class M:\n    def __init__(self, k):\n        self.k = k\n"
            "    def run(self, v):\n        return v + self.k\n"
            "task = M(1).run\n"
        },
        ("app.py", "M(1)", "M(2)"),
        6,
        7,
        None,
    ),
    "callable object's state": (
        {
            "app.py": "class M:\n    def __init__(self, k):\n        self.k = k\n"
            "    def __call__(self, v):\n        return v + self.k\n"
            "task = M(1)\n"
        },
        ("app.py", "M(1)", "M(2)"),
        6,
        7,
        None,
    ),
}


@pytest.mark.parametrize("case", list(STALE_CASES))
def test_an_edit_to_reachable_code_reruns_the_task(tmp_path, case) -> None:
    files, edit, before, after, part = STALE_CASES[case]
    check_edit_reruns(tmp_path, files, edit, before, after, part)


def test_large_numpy_default_is_hashed_whole(tmp_path) -> None:
    np = pytest.importorskip("numpy")
    assert np is not None
    files = {
        "app.py": "import numpy as np\nW = np.zeros(100_000)\nW[50_000] = 1.0\n"
        "def task(v, w=W):\n    return float(v + w.sum())\n"
    }
    check_edit_reruns(tmp_path, files, ("app.py", "W[50_000] = 1.0", "W[50_000] = 2.0"), 6.0, 7.0)


def test_numpy_constant(tmp_path) -> None:
    pytest.importorskip("numpy")
    files = {"app.py": "import numpy as np\nK = np.array([1, 2])\ndef task(v):\n    return int(v + K.sum())\n"}
    check_edit_reruns(tmp_path, files, ("app.py", "[1, 2]", "[1, 3]"), 8, 9, "value app.K changed")


def test_an_unrelated_edit_does_not_rerun(tmp_path) -> None:
    project = Project(
        tmp_path,
        {
            "pipeline.py": PIPELINE,
            "helpers.py": "def f(v):\n    return v + 1\ndef unused(v):\n    return v\nOTHER = 1\n",
            "app.py": "from helpers import f\ndef task(v):\n    return f(v)\n",
        },
    )
    assert statuses(project.step()) == {"t": "COMPLETED"}
    project.edit("helpers.py", "return v\n", "return v * 100\n")
    project.edit("helpers.py", "OTHER = 1", "OTHER = 2")
    assert statuses(project.step()) == {"t": "SKIPPED"}


# ---------------------------------------------------------------- the wrong function

TWO_TASKS = """
from scenarium import Config
import app
x = Config.configure_data_node("x", default_data=5)
a = Config.configure_data_node("a")
b = Config.configure_data_node("b")
ta = Config.configure_task("ta", app.FIRST, input=[x], output=[a], skippable=True)
tb = Config.configure_task("tb", app.SECOND, input=[x], output=[b], skippable=True)
scenario_cfg = Config.configure_scenario("s", task_configs=[ta, tb])
"""

SAME_NAME_CASES = {
    "two lambdas": "FIRST = lambda v: v + 1\nSECOND = lambda v: v * 2\n",
    "two closures of one factory": "def make(k):\n    def f(v):\n        return v + k\n    return f\n"
    "FIRST = make(1)\nSECOND = make(5)\n",
    "bound methods of two instances": "class M:\n    def __init__(self, k):\n        self.k = k\n"
    "    def run(self, v):\n        return v + self.k\nFIRST = M(1).run\nSECOND = M(5).run\n",
    "one decorator without wraps": "def deco(fn):\n    def wrapper(v):\n        return fn(v)\n    return wrapper\n"
    "FIRST = deco(lambda v: v + 1)\nSECOND = deco(lambda v: v * 2)\n",
}
SAME_NAME_EXPECTED = {
    "two lambdas": (6, 10),
    "two closures of one factory": (6, 10),
    "bound methods of two instances": (6, 10),
    "one decorator without wraps": (6, 10),
}


@pytest.mark.parametrize("case", list(SAME_NAME_CASES))
def test_functions_sharing_a_name_each_run_their_own_code(tmp_path, case) -> None:
    project = Project(tmp_path, {"pipeline.py": TWO_TASKS, "app.py": SAME_NAME_CASES[case]})
    result = project.step()
    assert statuses(result) == {"ta": "COMPLETED", "tb": "COMPLETED"}, result["jobs"]
    assert (result["values"]["a"], result["values"]["b"]) == SAME_NAME_EXPECTED[case]
    again = project.step()
    assert statuses(again) == {"ta": "SKIPPED", "tb": "SKIPPED"}, again["jobs"]
    assert (again["values"]["a"], again["values"]["b"]) == SAME_NAME_EXPECTED[case]


# ---------------------------------------------------------------- needless re-runs

STABLE_CASES = {
    "set literal in the code": "def task(v):\n    return v + (1 if 'b' in {'a', 'b', 'c', 'd'} else 0)\n",
    "function as a default argument": "def helper(v):\n    return v + 1\ndef task(v, f=helper):\n    return f(v)\n",
    "functools.partial": "import functools\ndef add(v, k):\n    return v + k\ntask = functools.partial(add, k=1)\n",
    "callable object without __repr__": "class Add:\n    def __init__(self, k):\n        self.k = k\n"
    "    def __call__(self, v):\n        return v + self.k\ntask = Add(1)\n",
    "module-level set and frozenset": "S = {'x', 'y', 'z'}\nF = frozenset(S)\n"
    "def task(v):\n    return v + len(S) + len(F)\n",
}


@pytest.mark.parametrize("case", list(STABLE_CASES))
def test_unchanged_code_is_skipped_in_every_new_process(tmp_path, case) -> None:
    project = Project(tmp_path, {"pipeline.py": PIPELINE, "app.py": STABLE_CASES[case]})
    assert statuses(project.step(seed=1)) == {"t": "COMPLETED"}
    for seed in (2, 3, 12345):
        result = project.step(seed=seed)
        assert statuses(result) == {"t": "SKIPPED"}, result["jobs"]["t"][1]


def test_declared_environment_variable_and_file_enter_the_key(tmp_path) -> None:
    pipeline = PIPELINE.replace("skippable=True)", "skippable=True, depends_on=['$SCN_FACTOR', 'lookup/*.txt'])")
    project = Project(
        tmp_path,
        {
            "pipeline.py": pipeline,
            "app.py": "import os, glob\ndef task(v):\n"
            "    return v * int(os.environ.get('SCN_FACTOR', '1')) + len(glob.glob('lookup/*.txt'))\n",
            "lookup/a.txt": "a",
        },
    )
    assert project.step()["values"]["y"] == 6
    assert statuses(project.step()) == {"t": "SKIPPED"}
    env = project.step(before="import os; os.environ['SCN_FACTOR'] = '2'")
    assert statuses(env) == {"t": "COMPLETED"} and env["values"]["y"] == 11
    assert "env SCN_FACTOR" in env["jobs"]["t"][1]
    project.write({"lookup/b.txt": "b"})
    files = project.step()
    assert statuses(files) == {"t": "COMPLETED"} and files["values"]["y"] == 7
    assert "file lookup/*.txt changed" in files["jobs"]["t"][1]


def test_why_shows_every_part_of_the_key(tmp_path) -> None:
    project = Project(
        tmp_path,
        {
            "pipeline.py": PIPELINE,
            "settings.py": "FACTOR = 2\n",
            "helpers.py": "import settings\ndef f(v):\n    return v * settings.FACTOR\n",
            "app.py": "from helpers import f\ndef task(v):\n    return f(v)\n",
        },
    )
    project.step()
    project.edit("settings.py", "FACTOR = 2", "FACTOR = 3")
    out = project.run(
        "import scenarium as sc, pipeline\n"
        "from scenarium import Config\n"
        "Config.configure_core(storage_folder='.scenarium')\n"
        "s = sc.get_scenarios()[0]\n"
        "r = sc.why(s.tasks['t'])\n"
        "print(r.decision, '|', r.reason)\n"
        "print(sorted(r.code))\n"
        "print(r._repr_html_()[:5])\n"
    )
    assert out.returncode == 0, out.stderr
    decision, parts, html = out.stdout.splitlines()
    assert decision.startswith("run |") and "value settings.FACTOR changed" in decision
    for label in ("function helpers.f", "value settings.FACTOR", "python", "task"):
        assert label in parts
    assert html == "<div>"
    # The command line shows the same key, in a process that never configured anything.
    cli = project.run(
        "import sys, scenarium as sc\n"
        "from scenarium import Config, cli\n"
        "Config.configure_core(storage_folder='.scenarium')\n"
        "sys.exit(cli.main(['explain', sc.get_scenarios()[0].id]))\n"
    )
    assert cli.returncode == 0, cli.stderr
    assert "task t: run (the task's code changed: value settings.FACTOR changed)" in cli.stdout
    assert "value settings.FACTOR" in cli.stdout and "function helpers.f" in cli.stdout


def test_a_worker_process_with_older_code_is_replaced(tmp_path, monkeypatch) -> None:
    """Standalone workers outlive submissions and keep the modules they imported: a
    helper edited (and reloaded here) between two submits must not run in its old
    form under the new code's key."""
    import importlib
    import sys

    import scenarium as sc
    from scenarium import Config

    (tmp_path / "wkhelpers.py").write_text("def f(v):\n    return v + 1\n")
    (tmp_path / "wkapp.py").write_text("from wkhelpers import f\ndef task(v):\n    return f(v)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import wkapp
    import wkhelpers

    Config.configure_job_executions(mode="standalone", max_nb_of_workers=1)
    x = Config.configure_data_node("x", default_data=5)
    y = Config.configure_data_node("y")
    t = Config.configure_task("t", wkapp.task, input=[x], output=[y], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    try:
        s.submit()
        assert s.y.read() == 6
        (tmp_path / "wkhelpers.py").write_text("def f(v):\n    return v + 2\n")
        for name in ("wkhelpers", "wkapp"):
            cached = importlib.util.cache_from_source(str(tmp_path / f"{name}.py"))
            if os.path.exists(cached):
                os.remove(cached)
        importlib.reload(wkhelpers)
        importlib.reload(wkapp)
        Config.configure_task("t", wkapp.task, input=[x], output=[y], skippable=True)
        sub = s.submit()
        assert [j.status.name for j in sub.jobs] == ["COMPLETED"], sub.jobs[0].reason
        assert s.y.read() == 7, "the worker ran the helper it imported before the edit"
    finally:
        for name in ("wkhelpers", "wkapp"):
            sys.modules.pop(name, None)
