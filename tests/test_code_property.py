"""Property: over generated projects (a package of several modules: constants of many
types, helpers, a class, a closure, a partial, a decorator, relative imports) and
random edits of their code and inputs, each step in a fresh process with a random
``PYTHONHASHSEED``:

- every output equals the current code called from scratch on the current inputs;
- a skippable task runs exactly when the values of what it can reach (and of its
  inputs) were never seen together before, so an edit to code it cannot reach never
  re-runs it, and an edit back to an earlier state reuses that state's result.

Many projects run side by side (a package each, one storage folder), so that each
step is one interpreter for all of them: 500 sequences fit CI time.
SCN_PROPERTY_SEQUENCES and SCN_PROPERTY_STEPS make it longer (``make property-long``).
"""

from __future__ import annotations

import json
import os
import random

from projects import Project

SEQUENCES = int(os.environ.get("SCN_PROPERTY_SEQUENCES", "500"))
STEPS = int(os.environ.get("SCN_PROPERTY_STEPS", "6"))

# Each atom is a number written in the source, and how a task reaches it.
ATOMS = {
    "C_INT": ("consts.py", "C_INT = {v}\n", "consts.C_INT"),
    "C_DICT": ("consts.py", "C_DICT = {{'k': {v}, 'other': 0}}\n", "C_DICT['k']"),
    "C_LIST": ("consts.py", "C_LIST = [{v}, 1]\n", "sum(consts.C_LIST)"),
    "C_SET": ("consts.py", "C_SET = {{{v}, -1000}}\n", "sum(C_SET)"),
    "C_TUPLE": ("consts.py", "C_TUPLE = ({v}, (2, 'x'))\n", "consts.C_TUPLE[0]"),
    "H_PLAIN": ("helpers.py", "def h_plain(v):\n    return v * {v}\n", "helpers.h_plain(v)"),
    "H_DICT": ("helpers.py", "def h_dict(v):\n    return v + {v}\n", "helpers.OPS['f'](v)"),
    "K_METH": ("model.py", "    def meth(self, v):\n        return v - {v}\n", "K().meth(v)"),
    "K_ATTR": ("model.py", "    ATTR = {v}\n", "K.ATTR"),
    "CLOSURE": ("helpers.py", "closure = make({v})\n", "helpers.closure(v)"),
    "PARTIAL": ("helpers.py", "part = functools.partial(_add, k={v})\n", "helpers.part(v)"),
    "DECO": ("helpers.py", "@deco\ndef decorated(v):\n    return v * 2 + {v}\n", "helpers.decorated(v)"),
    "DEEP": ("deep.py", "def inner(v):\n    return v + {v}\n", "helpers.chain(v)"),
}
# Edited too, but reachable by no task: they must never make one run.
UNREACHABLE = {
    "U_FUNC": ("helpers.py", "def unused(v):\n    return v * {v}\n"),
    "U_CONST": ("consts.py", "UNUSED = {v}\n"),
}
MODULES = ("consts.py", "helpers.py", "model.py", "deep.py")
HEADERS = {
    "consts.py": "",
    "helpers.py": "import functools\nfrom . import consts\nfrom .deep import inner\n"
    "def make(k):\n    def f(v):\n        return v + k\n    return f\n"
    "def _add(v, k):\n    return v + k\n"
    "def deco(fn):\n    def wrapper(v):\n        return fn(v)\n    return wrapper\n"
    "def chain(v):\n    return inner(v) + 1\n",
    "model.py": "class K:\n",
    "deep.py": "",
}
FOOTERS = {"helpers.py": "OPS = {'f': h_dict}\n", "model.py": "    def other(self):\n        return 0\n"}
TASKS = 3  # t0 and t1 read x; t2 reads t0's output
# A class is one unit: reaching one of its methods or attributes reaches all of them.
TOGETHER = [{"K_METH", "K_ATTR"}]


def reached(atoms: list[str]) -> list[str]:
    found = set(atoms)
    for group in TOGETHER:
        if found & group:
            found |= group
    return sorted(found)


def module_text(name: str, values: dict[str, int]) -> str:
    body = [HEADERS[name]]
    body += [template.format(v=values[a]) for a, (module, template, _) in ATOMS.items() if module == name]
    body += [template.format(v=values[a]) for a, (module, template) in UNREACHABLE.items() if module == name]
    body.append(FOOTERS.get(name, ""))
    return "".join(body)


def tasks_text(reach: list[list[str]]) -> str:
    lines = [
        "from . import consts, helpers",
        "from .consts import C_DICT, C_SET",
        "from .model import K",
    ]
    for k, atoms in enumerate(reach):
        expr = " + ".join(["v", *(ATOMS[a][2] for a in atoms)])
        lines.append(f"def t{k}(v):\n    return {expr}")
    return "\n".join(lines) + "\n"


class Sequence:
    def __init__(self, index: int, rng: random.Random) -> None:
        self.name = f"g{index}"
        self.rng = rng
        self.values = {a: rng.randint(1, 9) for a in [*ATOMS, *UNREACHABLE]}
        self.x = rng.randint(0, 9)
        atoms = list(ATOMS)
        self.reach = [rng.sample(atoms, rng.randint(1, 5)) for _ in range(TASKS)]
        self.seen: list[set[str]] = [set() for _ in range(TASKS)]
        self.last_op = "create"

    def files(self) -> dict[str, str]:
        files = {f"{self.name}/{m}": module_text(m, self.values) for m in MODULES}
        files[f"{self.name}/__init__.py"] = ""
        files[f"{self.name}/tasks.py"] = tasks_text(self.reach)
        return files

    def mutate(self) -> list[str]:
        """One random edit; the files it rewrites."""
        roll = self.rng.random()
        if roll < 0.2:
            self.x = self.rng.randint(0, 9)
            self.last_op = f"write x={self.x}"
            return []
        pool = list(UNREACHABLE) if roll < 0.35 else list(ATOMS)
        atom = self.rng.choice(pool)
        # Small range: edits often return to an earlier value (the cache must serve it).
        self.values[atom] = self.rng.randint(1, 4)
        self.last_op = f"{atom}={self.values[atom]}"
        module = (ATOMS.get(atom) or UNREACHABLE[atom])[0]
        return [f"{self.name}/{module}"]

    def state(self, k: int, inputs: int) -> str:
        return json.dumps([inputs, [self.values[a] for a in reached(self.reach[k])]])


DRIVER = """
import importlib, json, sys
import scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=".scenarium", progress=False)
plan = json.load(open("plan.json"))
existing = {s.config_id: s for s in sc.get_scenarios()}
report = {}
for name, x in plan.items():
    tasks = importlib.import_module(name + ".tasks")
    xs = Config.configure_data_node(name + "_x", default_data=0)
    y = [Config.configure_data_node(f"{name}_y{k}") for k in range(3)]
    ts = [
        Config.configure_task(f"{name}_t0", tasks.t0, input=[xs], output=[y[0]], skippable=True),
        Config.configure_task(f"{name}_t1", tasks.t1, input=[xs], output=[y[1]], skippable=True),
        Config.configure_task(f"{name}_t2", tasks.t2, input=[y[0]], output=[y[2]], skippable=True),
    ]
    cfg = Config.configure_scenario(name, task_configs=ts)
    scenario = existing.get(name) or sc.create_scenario(cfg)
    if scenario.data_nodes[name + "_x"].read() != x:
        scenario.data_nodes[name + "_x"].write(x)
    submission = scenario.submit()
    outputs = [scenario.data_nodes[f"{name}_y{k}"].read() for k in range(3)]
    scratch = [tasks.t0(x), tasks.t1(x)]
    scratch.append(tasks.t2(scratch[0]))
    report[name] = {
        "status": {j.task_config_id[len(name) + 1:]: j.status.name for j in submission.jobs},
        "reasons": {j.task_config_id[len(name) + 1:]: j.reason for j in submission.jobs},
        "outputs": outputs,
        "scratch": scratch,
    }
print("RESULT" + json.dumps(report))
"""


def test_generated_projects_never_stale_and_rerun_only_what_changed(tmp_path) -> None:
    seed = int(os.environ.get("SCN_PROPERTY_SEED", random.randrange(2**31)))
    rng = random.Random(seed)
    sequences = [Sequence(i, random.Random(rng.random())) for i in range(SEQUENCES)]
    project = Project(tmp_path, {})
    for s in sequences:
        project.write(s.files())
    for step in range(STEPS + 1):
        if step:
            for s in sequences:
                for path in s.mutate():
                    project.write({path: s.files()[path]})
        (tmp_path / "plan.json").write_text(json.dumps({s.name: s.x for s in sequences}))
        out = project.run(DRIVER)
        assert out.returncode == 0, f"seed {seed}, step {step}: {out.stderr[-3000:]}"
        report = json.loads(next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT"))[6:])
        for s in sequences:
            got = report[s.name]
            where = f"seed {seed}, step {step}, {s.name} after {s.last_op}: reach {s.reach}; {got['reasons']}"
            assert got["outputs"] == got["scratch"], f"stale output ({where})"
            inputs = [s.x, s.x, got["scratch"][0]]
            for k in range(TASKS):
                state = s.state(k, inputs[k])
                expected = "SKIPPED" if state in s.seen[k] else "COMPLETED"
                assert got["status"][f"t{k}"] == expected, f"t{k}: {where}"
                s.seen[k].add(state)
