"""A chaos harness for one storage folder (issue 35), in the spirit of Jepsen and
SQLite's crash tests: several processes at once write values (drawn from a small pool,
so that values a deleted scenario held and gc collected come back), submit, delete
scenarios, run gc(0), export and import, while the supervisor kills one of them with
SIGKILL at random moments and plants links at random places in the store. Each process
journals what it saw committed. Afterwards, in a fresh process: every journaled version
reads back exactly, no file outside the store changed, and integrity_check(full=True)
is ok once the planted links are taken out.

    python benches/chaos.py --seconds 1800 --processes 4 --kill-every 6

prints one JSON line with what was done and found (exit status 1 when something was
lost). tests/test_chaos.py runs a CI-sized run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

APP = textwrap.dedent(
    """
    import scenarium as sc
    from scenarium import Config

    def double(v):
        return v + v

    def configure(storage):
        Config.configure_core(storage_folder=storage, progress=False)
        v = Config.configure_data_node("v")
        w = Config.configure_data_node("w")
        t = Config.configure_task("double", double, input=[v], output=[w])
        return Config.configure_scenario("chaos", task_configs=[t])

    def value(i):
        # Bytes, so that every version is a stored object (not inline JSON).
        return bytes([i % 251]) * 3000 + str(i).encode()
    """
)

CHILD = textwrap.dedent(
    """
    import json, os, random, sys, traceback
    sys.path.insert(0, sys.argv[1])
    import chaos_app
    import scenarium as sc

    root, storage, name, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cfg = chaos_app.configure(storage)
    rng = random.Random(seed)
    journal = open(os.path.join(root, "journal", name + ".jsonl"), "a", buffering=1)
    errors = open(os.path.join(root, "journal", name + ".errors"), "a", buffering=1)
    mine = []

    def note(**entry):
        journal.write(json.dumps(entry) + "\\n")

    def versions(scenario, node, expected):
        note(op="version", scenario=scenario.id, dn=node.id, version=node._latest().version, value=expected)

    while True:
        op = rng.choices(["create", "write", "submit", "delete", "gc", "export"], [1, 8, 3, 1, 1, 1])[0]
        try:
            if op == "create" or not mine:
                s = sc.create_scenario(cfg)
                mine.append(s.id)
                note(op="scenario", id=s.id)
            elif op == "write":
                s = sc.get(rng.choice(mine))
                i = rng.randrange(40)
                s.v.write(chaos_app.value(i))
                versions(s, s.v, i)
            elif op == "submit":
                s = sc.get(rng.choice(mine))
                if s.v.is_ready_for_reading:
                    i = int(s.v.read()[3000:])
                    s.submit()
                    versions(s, s.w, -1 - i)  # w holds value(i) twice
            elif op == "delete" and len(mine) > 1:
                victim = mine.pop(rng.randrange(len(mine)))
                note(op="deleting", id=victim)
                sc.delete(victim)
            elif op == "gc":
                sc.gc(0)
            elif op == "export":
                s = sc.get(rng.choice(mine))
                path = os.path.join(root, "exports", name + ".zip")
                sc.export_scenario(s, path, override=True, include_data=True)
                copy = sc.import_scenario(path)
                mine.append(copy.id)
                note(op="scenario", id=copy.id)
                if copy.v.is_ready_for_reading:
                    versions(copy, copy.v, int(copy.v.read()[3000:]))
        except Exception:
            errors.write(json.dumps({"op": op, "error": traceback.format_exc()}) + "\\n")
    """
)

CHECK = textwrap.dedent(
    """
    import glob, json, os, sys
    sys.path.insert(0, sys.argv[1])
    import chaos_app
    import scenarium as sc

    root, storage = sys.argv[1], sys.argv[2]
    chaos_app.configure(storage)
    deleted, checked, lost = set(), 0, []
    entries = []
    for path in sorted(glob.glob(os.path.join(root, "journal", "*.jsonl"))):
        with open(path) as f:
            for line in f:
                if line.endswith("\\n"):  # a line cut by a kill is not a record
                    entries.append(json.loads(line))
    deleted = {e["id"] for e in entries if e["op"] == "deleting"}
    existing = {s.id for s in sc.get_scenarios()}
    nodes = {dn.id for dn in sc.get_data_nodes()}
    for e in entries:
        if e["op"] != "version" or e["scenario"] in deleted:
            continue
        if e["dn"] not in nodes:
            lost.append({"dn": e["dn"], "version": e["version"], "why": "its data node is gone"})
            continue
        i = e["value"]
        expected = chaos_app.value(i) if i >= 0 else chaos_app.value(-1 - i) * 2
        checked += 1
        try:
            got = sc.get(e["dn"]).read(version=e["version"])
        except Exception as error:
            lost.append({"dn": e["dn"], "version": e["version"], "why": repr(error)})
            continue
        if got != expected:
            lost.append({"dn": e["dn"], "version": e["version"], "why": "a different value"})
    unjournaled_deletes = [s for s in {e["id"] for e in entries if e["op"] == "scenario"} - existing - deleted]
    print(json.dumps({"checked": checked, "lost": lost, "scenarios": len(existing),
                      "vanished_scenarios": unjournaled_deletes,
                      "integrity": sc.integrity_check(full=True)}))
    """
)


def _tree_digest(folder: Path) -> dict[str, str]:
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _plant_link(store: Path, outside: Path, rng: random.Random, planted: list[Path]) -> None:
    """A link at a random place where the store keeps its own files and folders."""
    objects = store / "objects"
    target_file = rng.choice(sorted((outside / "files").iterdir()))
    choices = [
        (objects / f"{rng.randrange(256):02x}", outside / "folder"),  # a prefix folder
        (objects / "trees", outside / "trees"),
        (objects / "tmp" / f"planted-{rng.randrange(10**9)}.part", target_file),
    ]
    prefixes = [p for p in objects.glob("??") if p.is_dir() and not p.is_symlink()]
    if prefixes:
        choices.append((rng.choice(prefixes) / ("f" * 62), target_file))  # an object file
    link, target = rng.choice(choices)
    try:
        os.symlink(target, link)
        planted.append(link)
    except OSError:
        pass  # something is there already: the store's own, left alone


def run(root: Path, seconds: float, processes: int, kill_every: float, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    store = root / "store"
    outside = root / "outside"
    for folder in ("journal", "exports", "outside/files", "outside/folder", "outside/trees/x"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for i in range(5):
        (outside / "files" / f"precious-{i}.part").write_bytes(os.urandom(100))
        (outside / "folder" / ("e" * 62)).write_bytes(b"not an object")
        (outside / "trees" / "x" / "data").write_bytes(b"not a tree")
    old = time.time() - 10**7  # older than any grace period
    for path in outside.rglob("*"):
        os.utime(path, (old, old), follow_symlinks=False)
    before = _tree_digest(outside)
    (root / "chaos_app.py").write_text(APP)
    (root / "child.py").write_text(CHILD)
    (root / "check.py").write_text(CHECK)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def start(n: int, generation: int) -> subprocess.Popen:
        name = f"p{n}-{generation}"
        args = [sys.executable, str(root / "child.py"), str(root), str(store), name, str(rng.randrange(10**9))]
        with open(root / "journal" / f"{name}.stderr", "wb") as stderr:
            return subprocess.Popen(args, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=stderr)

    children = [start(n, 0) for n in range(processes)]
    generations = [0] * processes
    kills, planted, crashes = 0, [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(0, 2 * kill_every))
        for n, child in enumerate(children):
            if child.poll() is not None:  # exited by itself: a crash of scenarium's
                crashes.append((root / "journal" / f"p{n}-{generations[n]}.stderr").read_text()[-2000:])
                generations[n] += 1
                children[n] = start(n, generations[n])
        n = rng.randrange(processes)
        children[n].send_signal(signal.SIGKILL)
        children[n].wait()
        kills += 1
        generations[n] += 1
        children[n] = start(n, generations[n])
        if rng.random() < 0.3:
            _plant_link(store, outside, rng, planted)
    for child in children:
        child.send_signal(signal.SIGKILL)
        child.wait()
    for link in planted:  # the store's own folders were never links: take the planted ones out
        if link.is_symlink():
            link.unlink()
    out = subprocess.run(
        [sys.executable, str(root / "check.py"), str(root), str(store)], cwd=root, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    found = json.loads(out.stdout)
    errors = []
    for path in sorted((root / "journal").glob("*.errors")):
        errors += [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]
    ops: dict[str, int] = {}
    for path in (root / "journal").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            if line.endswith("}"):
                op = json.loads(line)["op"]
                ops[op] = ops.get(op, 0) + 1
    return {
        **found,
        "seconds": seconds,
        "processes": processes,
        "kills": kills,
        "links_planted": len(planted),
        "journal": ops,
        "errors": errors,
        "crashes": crashes,
        "outside_unchanged": _tree_digest(outside) == before,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--kill-every", type=float, default=3.0, help="mean seconds between two kills")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--keep", action="store_true", help="keep the run's folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="scenarium-chaos-"))
    report = run(root, args.seconds, args.processes, args.kill_every, args.seed)
    report["seed"] = args.seed
    report["errors_by_op"] = {}
    for e in report["errors"]:
        report["errors_by_op"][e["op"]] = report["errors_by_op"].get(e["op"], 0) + 1
    report["errors"] = report["errors"][:5]
    print(json.dumps(report, indent=1))
    if not args.keep:
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    ok = not report["lost"] and report["outside_unchanged"] and report["integrity"].startswith("ok")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
