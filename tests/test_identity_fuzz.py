"""A differential fuzzer for skipping (issue 34, acceptance 1).

Random user projects (tests/identity_fuzz.py: a package with modules and a
subpackage; constants of every common type, tuple/dict/list subclasses, namedtuples,
dataclasses holding sets, enums, numpy structured arrays, pandas and polars frames
and expressions; classes with inheritance, properties, class/static methods, slots,
cached properties, descriptors; closures, partials, lambdas, function attributes,
decorators of every kind, lru_cache, singledispatch, comprehensions; imports at
module level and inside bodies, re-exports, modules passed as arguments; some tasks
read a list of data files, up to 1,100) get random edits: an atom's value, code no
task reaches, the input, a data file, a revert to an earlier state, files rewritten
unchanged. Each step runs

- **fresh**: scenarium in a new interpreter with a random ``PYTHONHASHSEED`` (every
  project of a batch in one interpreter, one storage folder), and the oracle, a second
  new interpreter that calls the task functions from scratch without scenarium;
- **notebook**: every step in one interpreter; a step edits files and reloads them
  (``importlib.reload``; the tasks module too, or not), or changes a value in memory,
  and the oracle is the task functions called directly in that interpreter; then the
  same projects once more as a script (a new interpreter on the notebook's storage).

A step whose served value differs from the oracle's is **stale**: the first test fails
and prints minimal reproducers (shrunk to the one atom that shows it again from a
clean storage folder, when one does). A failed job or submit fails the second. A job
that ran although its from-scratch output is unchanged since the previous step is a
**needless** re-run (each atom reaches the output injectively, so an unchanged output
means nothing the task reaches changed): the third test wants them in under 2% of
project steps, and the report groups them by the job's reason.

Sizes: SCN_FUZZ_SEQUENCES (fresh projects, 500), SCN_FUZZ_NOTEBOOK (notebook
projects, a tenth of that), SCN_FUZZ_STEPS (edits per project, 5), SCN_FUZZ_BATCH
(projects per interpreter, 250); SCN_FUZZ_SEED replays a run; SCN_FUZZ_REPORT=path
writes the report (``-s`` prints it). ``make identity-fuzz-long`` is the nightly size.
"""

from __future__ import annotations

import difflib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterator

import pytest

import identity_fuzz as fz

SEQUENCES = int(os.environ.get("SCN_FUZZ_SEQUENCES", "500"))
NOTEBOOK_SEQUENCES = int(os.environ.get("SCN_FUZZ_NOTEBOOK", str(max(1, SEQUENCES // 10))))
STEPS = int(os.environ.get("SCN_FUZZ_STEPS", "5"))
BATCH = int(os.environ.get("SCN_FUZZ_BATCH", "250"))
NEEDLESS_MAX = float(os.environ.get("SCN_FUZZ_NEEDLESS_MAX", "0.02"))
SHRINK_MAX = int(os.environ.get("SCN_FUZZ_SHRINK", "40"))  # distinct stale events shrunk


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


ATOM_NAMES = [a for a, atom in fz.ATOMS.items() if not atom.needs or _has(atom.needs)]


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED=str(random.randrange(2**32)), PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    return env


def _start(root: Path, code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=root,
        env=_env(root),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen[str], what: str) -> dict[str, Any]:
    out, err = proc.communicate(timeout=3600)
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT")), None)
    assert proc.returncode == 0 and line is not None, f"{what} process failed: {err[-4000:]}"
    return json.loads(line[len("RESULT") :])


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _norm(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def _shape(reason: str | None) -> str:
    """A reason without the project's name, job ids or hashes, to group events."""
    text = re.sub(r"/\S*/([fnr]\d+)/", "…/PKG/", reason or "")
    text = re.sub(r"\b[fnr]\d+(?=[._'])", "PKG", text)
    text = re.sub(r"JOB_[\w-]+", "JOB_…", text)
    return re.sub(r"\b[0-9a-f]{8,}\b", "…", text)


def _outputs(got: dict[str, Any], oracle: Any) -> list[Any] | None:
    """The from-scratch outputs of a step, each None where the job did not end well."""
    if "error" in got or isinstance(oracle, dict):
        return None
    ok = [got["status"].get(t) in ("COMPLETED", "SKIPPED") for t in fz.TASKS]
    return [value if fine else None for value, fine in zip(_norm(oracle), ok)]


class Report:
    def __init__(self) -> None:
        self.stale: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.needless: list[dict[str, Any]] = []
        self.revert_reruns = 0
        self.jobs = 0
        self.project_steps = 0
        self.needless_steps = 0
        self.seconds: dict[str, float] = {}
        self.text = ""  # the whole report, shrunk reproducers included

    def check(
        self, mode: str, p: fz.Project, step: int, got: dict[str, Any], oracle: Any, seen: list[list[Any]]
    ) -> None:
        """One project's step: stale and needless jobs. ``seen`` holds the oracle
        outputs of the earlier steps (each task's), newest last."""
        where = {"mode": mode, "pkg": p.pkg, "step": step, "op": p.op}
        if "error" in got or (isinstance(oracle, dict) and "error" in oracle):
            self.errors.append({**where, "error": got.get("error") or oracle["error"]})
            return
        served = _norm(got["served"])
        scratch = _norm(oracle)
        needless_here = False
        if step:
            self.project_steps += 1
        for k, task in enumerate(fz.TASKS):
            status = got["status"].get(task)
            reason = got["reasons"].get(task)
            if status not in ("COMPLETED", "SKIPPED"):
                self.errors.append({**where, "error": f"{task} {status}: {reason}"})
                continue
            if served[k] != scratch[k]:
                # The step whose result was served: what changed since then went unseen.
                source = [j for j, out in enumerate(seen) if out and out[k] == served[k]]
                where["source_step"] = source[-1] if source else max(step - 1, 0)
                # t2 reads t0's output: stale there because t0 was, nothing of its own.
                where["downstream"] = k == 2 and served[0] != scratch[0] and served[k][0] != scratch[k][0]
                self.stale.append(
                    {
                        **where,
                        "task": task,
                        "status": status,
                        "reason": reason,
                        "served": served[k],
                        "oracle": scratch[k],
                    }
                )
            if not step:
                continue
            self.jobs += 1
            if status != "COMPLETED" or seen[-1] is None or seen[-1][k] is None:
                continue  # (after a step that failed, a run is no surprise)
            if scratch[k] == seen[-1][k]:
                needless_here = True
                self.needless.append(
                    {**where, "task": task, "reason": reason, "reach": _reach_of({"task": task}, p.reach)}
                )
            elif any(earlier and scratch[k] == earlier[k] for earlier in seen[:-1]):
                self.revert_reruns += 1
        self.needless_steps += needless_here

    def summary(self) -> str:
        lines = [
            f"project steps checked: {self.project_steps}, jobs: {self.jobs}",
            f"stale jobs: {len(self.stale)}, errors: {len(self.errors)}",
            f"needless re-runs: {len(self.needless)} jobs, in {self.needless_steps} project steps "
            f"({self.needless_rate():.2%} of project steps); re-runs on a revert to an earlier state: "
            f"{self.revert_reruns}",
            "timings: " + ", ".join(f"{k} {v:.0f}s" for k, v in self.seconds.items()),
        ]
        if self.needless:
            lines.append("needless re-runs by the job's reason:")
            grouped = Counter((n["mode"], _shape(n["reason"])) for n in self.needless)
            for (mode, reason), count in grouped.most_common(25):
                example = next(n for n in self.needless if (n["mode"], _shape(n["reason"])) == (mode, reason))
                lines.append(
                    f"  {count:5d}  [{mode}] {reason}   e.g. {example['pkg']} step {example['step']} ({example['op']});"
                    f" the task reaches {example['reach']}"
                )
        if self.errors:
            lines.append("errors (a failed job or submit), by their last line:")
            grouped_errors: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
            for e in self.errors:
                last = _shape(e["error"].strip().splitlines()[-1])
                grouped_errors[(e["mode"], re.sub(r"\(job JOB_…\)|'PKG_t\d'|JOB_…", "…", last))].append(e)
            for (mode, last), group in sorted(grouped_errors.items(), key=lambda kv: -len(kv[1]))[:25]:
                e = group[0]
                lines.append(f"  {len(group):5d}  [{mode}] {last}   e.g. {e['pkg']} step {e['step']} ({e['op']})")
        return "\n".join(lines)

    def needless_rate(self) -> float:
        return self.needless_steps / max(1, self.project_steps)


# ---------------------------------------------------------------- running steps


def run_fresh(root: Path, projects: list[fz.Project], steps: int, report: Report, storage: str) -> dict:
    """Every step of every project: scenarium and the oracle, each in new interpreters."""
    states: dict[str, list[tuple[dict[str, int], int, dict]]] = defaultdict(list)
    seen: dict[str, list[list[Any]]] = defaultdict(list)
    for step in range(steps + 1):
        actions = {}
        for p in projects:
            if step:
                actions[p.pkg] = p.mutate()
                _write(root, actions[p.pkg]["write"])
            else:
                _write(root, p.files())
            states[p.pkg].append((dict(p.values), p.x, actions.get(p.pkg, {})))
        plan = root / f"plan_{storage}.json"
        plan.write_text(json.dumps({p.pkg: p.plan() for p in projects}))
        driver = _start(root, fz.DRIVER, str(plan), storage)
        oracle = _start(root, fz.ORACLE, str(plan))
        got, want = _result(driver, "scenarium"), _result(oracle, "oracle")
        for p in projects:
            report.check("fresh", p, step, got[p.pkg], want[p.pkg], seen[p.pkg])
            seen[p.pkg].append(_outputs(got[p.pkg], want[p.pkg]))
    return states


def run_notebook(root: Path, projects: list[fz.Project], steps: int, report: Report, storage: str) -> dict:
    """Every step of every project in one interpreter, reloading what a step edits."""
    states: dict[str, list[tuple[dict[str, int], int, dict]]] = defaultdict(list)
    plan_steps = []
    for step in range(steps + 1):
        todo = {}
        for p in projects:
            if step:
                action = p.mutate()
            else:
                action = {"write": p.files(), "x": p.x, "inplace": [], "reload_tasks": False, "op": "create"}
            states[p.pkg].append((dict(p.values), p.x, action))
            todo[p.pkg] = {**action, "files": p.plan()["files"]}  # paths relative to root, the notebook's folder
        plan_steps.append(todo)
    plan = root / f"plan_{storage}.json"
    plan.write_text(json.dumps({"reload_order": fz.RELOAD_ORDER, "steps": plan_steps}))
    got = _result(_start(root, fz.NOTEBOOK, str(plan), storage), "notebook")
    seen: dict[str, list[Any]] = defaultdict(list)
    for p in projects:
        for step, result in enumerate(got[p.pkg]):
            p.op = states[p.pkg][step][2]["op"]
            report.check("notebook", p, step, result, result.get("scratch", result), seen[p.pkg])
            seen[p.pkg].append(_outputs(result, result.get("scratch", result)))
    # Then the same project run as a script, on the notebook's storage (a new interpreter).
    plan.write_text(json.dumps({p.pkg: p.plan() for p in projects}))
    driver = _start(root, fz.DRIVER, str(plan), storage)
    oracle = _start(root, fz.ORACLE, str(plan))
    got, want = _result(driver, "scenarium"), _result(oracle, "oracle")
    for p in projects:
        p.op = "the notebook's project run as a script"
        states[p.pkg].append((dict(p.values), p.x, {"op": p.op}))
        report.check("notebook then script", p, steps + 1, got[p.pkg], want[p.pkg], seen[p.pkg])
    return states


# ---------------------------------------------------------------- shrinking


def _mini(pkg: str, reach: list[str], values: dict[str, int], notebook: bool) -> fz.Project:
    return fz.Project(
        pkg,
        random.Random(0),
        ATOM_NAMES,
        notebook=notebook,
        reach=[list(reach), list(reach), list(reach)],
        values={a: values[a] for a in reach},
        unreachable=False,
        data_files=False,
    )


def shrink(root: Path, events: list[dict[str, Any]], states: dict) -> list[dict[str, Any]]:
    """For each stale event: the smallest project (one atom, else the task's atoms) that
    shows it again from a clean storage folder in two steps (before and after the edit)."""
    trials = []  # (event, reach, before values, after values, x before, x after, action)
    for event in events:
        p_reach = event["reach"]
        before_values, x0, _ = states[event["pkg"]][event["source_step"]]
        after_values, x1, action = states[event["pkg"]][event["step"]]
        changed = [a for a in p_reach if before_values.get(a) != after_values.get(a)]
        if any(
            k.startswith("F") and k[1:].isdigit() and before_values[k] != after_values.get(k) for k in before_values
        ):
            continue  # a data file changed: the event itself is the reproducer
        if action.get("inplace"):
            changed = [a for a in p_reach if fz.ATOMS[a].inplace and f".{fz.ATOMS[a].module[:-3]}']" in event["op"]]
        for a in changed:
            trials.append((event, [a], before_values, after_values, x0, x1, action))
        trials.append((event, p_reach, before_values, after_values, x0, x1, action))
    found: dict[int, dict[str, Any]] = {}
    fresh = [t for t in trials if t[0]["mode"] == "fresh"]
    book = [t for t in trials if t[0]["mode"] == "notebook"]
    for mode, group in (("fresh", fresh), ("notebook", book)):
        if not group:
            continue
        folder = root / f"shrink_{mode}"
        folder.mkdir()
        minis = []
        for i, (event, reach, before, after, x0, x1, action) in enumerate(group):
            m = _mini(f"r{i}", reach, before, mode == "notebook")
            m.x = x0
            first = m.files()
            m.values.update({a: after[a] for a in reach})
            m.x = x1
            then = m.files()
            edit = {k: v for k, v in then.items() if first.get(k) != v}
            inplace = [c.replace(event["pkg"], m.pkg) for c in action.get("inplace", [])]
            if inplace and len(reach) == 1 and not any(f".{fz.ATOMS[reach[0]].module[:-3]}']" in c for c in inplace):
                continue
            minis.append((i, m, first, edit, x0, x1, inplace, action.get("reload_tasks", False)))
        if mode == "fresh":
            for step in (0, 1):
                for _, m, first, edit, x0, x1, _, _ in minis:
                    _write(folder, first if step == 0 else edit)
                    m.x = x0 if step == 0 else x1
                plan = folder / "plan.json"
                plan.write_text(json.dumps({m.pkg: m.plan() for _, m, *_ in minis}))
                got = _result(_start(folder, fz.DRIVER, str(plan), ".scn"), "scenarium")
                want = _result(_start(folder, fz.ORACLE, str(plan)), "oracle")
                if step == 1:
                    for i, m, *_ in minis:
                        g, w = got[m.pkg], want[m.pkg]
                        if "error" not in g and _norm(g["served"]) != _norm(w):
                            found.setdefault(id(group[i][0]), _repro(group[i], m, minis, w, g, mode))
        else:
            steps = [{}, {}]
            for _, m, first, edit, x0, x1, inplace, reload_tasks in minis:
                steps[0][m.pkg] = {"write": first, "x": x0}
                steps[0][m.pkg].update(inplace=[], reload_tasks=False, op="create", files=None)
                steps[1][m.pkg] = {"write": edit, "x": x1}
                steps[1][m.pkg].update(inplace=inplace, reload_tasks=reload_tasks, op="edit", files=None)
            plan = folder / "plan.json"
            plan.write_text(json.dumps({"reload_order": fz.RELOAD_ORDER, "steps": steps}))
            got = _result(_start(folder, fz.NOTEBOOK, str(plan), ".scn"), "notebook")
            for i, m, *_ in minis:
                g = got[m.pkg][1]
                if "error" not in g and _norm(g["served"]) != _norm(g["scratch"]):
                    found.setdefault(id(group[i][0]), _repro(group[i], m, minis, g["scratch"], g, mode))
    out = []
    for event in events:
        out.append(found.get(id(event)) or {"class": f"{event['mode']}: not shrunk ({event['op']})", "event": event})
    return out


def _repro(trial: tuple, m: fz.Project, minis: list, oracle: Any, got: dict, mode: str) -> dict[str, Any]:
    event, reach, before, after, x0, x1, action = trial
    entry = next(e for e in minis if e[1] is m)
    _, _, first, edit, _, _, inplace, reload_tasks = entry
    text = [f"# {mode} mode; package {m.pkg}; x = {x0} then {x1}"]
    for name, source in sorted(first.items()):
        if source.strip():
            text.append(f"# --- {name}\n{source}")
    for name, source in sorted(edit.items()):
        diff = difflib.unified_diff(first.get(name, "").splitlines(), source.splitlines(), name, name, lineterm="")
        text.append("# edit:\n" + "\n".join(diff))
    if mode == "notebook":
        text.append(f"# notebook: reload the edited modules{' and tasks' if reload_tasks else ''}; cells: {inplace}")
    text.append(f"# served {got['served']}\n# oracle {oracle}\n# status {got['status']} reasons {got['reasons']}")
    label = "+".join(reach) if len(reach) == 1 else f"{len(reach)} atoms together"
    return {"class": f"{mode}: {label}", "repro": "\n".join(text), "event": event}


# ---------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Report, list[dict[str, Any]]]]:
    # In memory when it can be: every first run fsyncs its output.
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        root = Path(tempfile.mkdtemp(prefix="scn_fuzz_", dir=shm))
    else:
        root = tmp_path_factory.mktemp("fuzz")
    try:
        yield _fuzz(root)
    finally:
        if root.parent == shm:
            shutil.rmtree(root, ignore_errors=True)


def _fuzz(root: Path) -> tuple[Report, list[dict[str, Any]]]:
    import time

    seed = int(os.environ.get("SCN_FUZZ_SEED", random.randrange(2**31)))
    rng = random.Random(seed)
    report = Report()
    states: dict = {}
    reach: dict[str, list[list[str]]] = {}
    start = time.perf_counter()
    for b in range(0, SEQUENCES, BATCH):
        projects = [
            fz.Project(f"f{i}", random.Random(rng.random()), ATOM_NAMES) for i in range(b, min(SEQUENCES, b + BATCH))
        ]
        reach.update({p.pkg: p.reach for p in projects})
        # One storage folder for the batch, another per batch: both shared and fresh stores.
        states.update(run_fresh(root, projects, STEPS, report, f".scn_fresh{b // BATCH}"))
    report.seconds["fresh"] = time.perf_counter() - start
    start = time.perf_counter()
    if NOTEBOOK_SEQUENCES:
        projects = [
            fz.Project(f"n{i}", random.Random(rng.random()), ATOM_NAMES, notebook=True)
            for i in range(NOTEBOOK_SEQUENCES)
        ]
        reach.update({p.pkg: p.reach for p in projects})
        states.update(run_notebook(root, projects, STEPS, report, ".scn_notebook"))
    report.seconds["notebook"] = time.perf_counter() - start
    # Shrink one event per (mode, task's atoms, op): distinct stale cases, not every repeat.
    for event in report.stale:
        event["reach"] = _reach_of(event, reach[event["pkg"]])
    distinct: dict[tuple[Any, ...], dict[str, Any]] = {}
    for event in (e for e in report.stale if not e["downstream"]):
        before, after = states[event["pkg"]][event["source_step"]][0], states[event["pkg"]][event["step"]][0]
        changed = tuple(a for a in event["reach"] if before.get(a) != after.get(a))
        if event["task"] == "t1":
            files = [k for k in after if k.startswith("F") and k[1:].isdigit() and before.get(k) != after[k]]
            changed += (f"data files {', '.join(k[1:] for k in files)}",) if files else ()
        event["changed"] = changed
        kind = event["op"].split(" ")[0]
        distinct.setdefault((event["mode"], changed or kind), event)
    counts = Counter(
        (e["mode"], "+".join(e["changed"]) or e["op"].split(" ")[0]) for e in report.stale if not e["downstream"]
    )
    if any(e["downstream"] for e in report.stale):
        counts[("both", "t2 stale only because t0 was (its input)")] = sum(e["downstream"] for e in report.stale)
    start = time.perf_counter()
    findings = shrink(root, list(distinct.values())[:SHRINK_MAX], states) if distinct else []
    report.seconds["shrink"] = time.perf_counter() - start
    if sys.platform != "win32":
        import resource

        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        report.seconds["CPU of all steps' interpreters"] = cpu.ru_utime + cpu.ru_stime
    text = f"seed {seed} (SCN_FUZZ_SEED={seed} replays it)\n" + report.summary()
    if counts:
        text += "\nstale jobs by what changed in the task's reach (or the edit):\n"
        text += "\n".join(f"  {n:5d}  [{mode}] {what}" for (mode, what), n in counts.most_common())
    if findings:
        text += "\n\nSTALE, by class (minimal reproducers):\n"
        for cls, entries in _by_class(findings).items():
            text += f"\n## {cls}  ({len(entries)} events shrunk)\n"
            text += entries[0].get("repro") or json.dumps(entries[0]["event"], default=repr, indent=1)
            text += "\n"
    print(text)
    if os.environ.get("SCN_FUZZ_REPORT"):
        Path(os.environ["SCN_FUZZ_REPORT"]).write_text(text)
    report.text = text
    return report, findings


def _reach_of(event: dict[str, Any], reach: list[list[str]]) -> list[str]:
    k = fz.TASKS.index(event["task"])
    # t2 reads t0's output: what t0 reaches reaches t2 too.
    return sorted(set(reach[k]) | (set(reach[0]) if k == 2 else set()))


def _by_class(findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        out[f["class"]].append(f)
    return out


def test_no_served_result_differs_from_a_run_from_scratch(fuzz) -> None:
    report, _ = fuzz
    assert not report.stale, report.text


def test_no_job_fails_on_generated_code(fuzz) -> None:
    """Every generated task runs from scratch (the oracle): a failed or abandoned job,
    or a submit that raises, is scenarium's."""
    report, _ = fuzz
    assert not report.errors, report.text


def test_needless_reruns_stay_rare(fuzz) -> None:
    report, _ = fuzz
    assert report.needless_rate() < NEEDLESS_MAX, report.text
