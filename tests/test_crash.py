"""Crash safety: kill -9 a process running the article's scenario at random
moments; after each kill the registry opens sound, every stored version is
readable, no job is left RUNNING, and a new submit completes correctly.

CI runs a few kills (SCENARIUM_CRASH_KILLS, default 6); the reported run uses 100+.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import REPO, SAMPLE_CSV
from scenarium import _core

KILLS = int(os.environ.get("SCENARIUM_CRASH_KILLS", "6"))

CHILD = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[4])
    import scenarium as sc
    from scenarium import Config

    mode, storage, csv = sys.argv[1:4]
    Config.configure_core(storage_folder=storage)
    import config  # examples/native/config.py: the article's scenario with native tasks

    found = sc.get_scenarios()
    scenario = found[0] if found else sc.create_scenario(config.scenario_cfg)
    if mode == "finish":
        scenario.path_to_data.write(csv)
        for node, value in [("payment_threshold", 1600), ("metric", "median"), ("summary_statistic_type", "max")]:
            scenario.data_nodes[node].write(value)
        scenario.submit()
        print(json.dumps(scenario.high_value_summary_df.read().to_dicts()[0]))
        sys.exit(0)
    scenario.path_to_data.write(csv)
    metrics, statistics = ["mean", "median", "max"], ["median", "max", "mean"]
    i = int(time.time() * 1000) % 1_000_000   # differs from one child to the next
    while True:                      # until killed; new values each time, so that tasks really run
        i += 1
        scenario.payment_threshold.write(1000 + i % 5000)
        scenario.submit()
        scenario.metric.write(metrics[i % 3])
        scenario.submit()
        scenario.summary_statistic_type.write(statistics[i % 3])
        scenario.submit()
    """
)


def run_child(mode: str, storage: Path, csv: Path, script: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(script), mode, str(storage), str(csv), str(REPO / "examples" / "native")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check_after_kill(storage: Path, checked: list[int]) -> dict:
    """Checks the store after a kill. Versions up to rowid ``checked[0]`` were checked before."""
    engine = _core.Engine(str(storage))  # a fresh open: this is where dead runs are ended
    assert engine.integrity_check() == "ok"
    with contextlib.closing(sqlite3.connect(storage / "registry.sqlite")) as db:
        stuck = db.execute(
            "SELECT body FROM jobs WHERE status IN ('RUNNING', 'PENDING', 'BLOCKED', 'SUBMITTED')"
        ).fetchall()
        jobs, failed = db.execute("SELECT count(*), sum(status = 'FAILED') FROM jobs").fetchone()
        new = db.execute(
            "SELECT rowid, data_node_id, version FROM versions WHERE rowid > ? ORDER BY rowid", (checked[0],)
        ).fetchall()
    assert not stuck, stuck[:3]
    for rowid, dn_id, number in new:
        value = engine.version(dn_id, number).value
        if value.kind == "object":
            path = Path(engine.object_path(value.hash))
            assert path.is_file() and path.stat().st_size == value.size, (dn_id, number)
        elif value.kind == "recipe":
            engine.materialize(value, dn_id)  # its inputs are all there
        checked[0] = rowid
    return {"jobs": jobs, "failed_jobs": failed or 0, "new_versions": len(new)}


def test_kill_9_at_random_points_loses_nothing(tmp_path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    csv = tmp_path / "customers.csv"
    csv.write_bytes(SAMPLE_CSV.read_bytes())
    reference = subprocess.run(
        [
            sys.executable,
            str(script),
            "finish",
            str(tmp_path / "reference"),
            str(csv),
            str(REPO / "examples" / "native"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = json.loads(reference.stdout.strip().splitlines()[-1])
    rng = random.Random(int(os.environ.get("SCENARIUM_CRASH_SEED", "7")))
    storage = tmp_path / "store"
    outcomes, checked = [], [0]
    for kill in range(KILLS):
        child = run_child("run", storage, csv, script)
        delay = rng.uniform(0.2, 3.0)
        time.sleep(delay)
        if child.poll() is not None:
            raise AssertionError(f"the child ended by itself: {child.communicate()}")
        os.kill(child.pid, signal.SIGKILL)
        child.communicate()  # reaps it and closes its pipes
        outcomes.append({"kill": kill, "after_s": round(delay, 3), **check_after_kill(storage, checked)})
    finish = run_child("finish", storage, csv, script)
    out, err = finish.communicate(timeout=300)
    assert finish.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1]) == expected
    report = os.environ.get("SCENARIUM_CRASH_REPORT")
    if report:
        Path(report).write_text(json.dumps({"kills": KILLS, "outcomes": outcomes}, indent=1))


# ------------------------------------------------ file-backed, multi-output, gc

STEPS = textwrap.dedent(
    """
    import pandas as pd

    def split(values, k):
        # Three outputs from one job: a csv file, a json file and a pickle.
        scaled = [v * k for v in values]
        return pd.DataFrame({"v": scaled}), {"sum": sum(scaled), "k": k}, list(reversed(scaled))
    """
)

FILES_CHILD = textwrap.dedent(
    """
    import json, os, random, sys
    storage, workdir, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.chdir(workdir)
    sys.path.insert(0, workdir)
    import scenarium as sc
    from scenarium import Config
    import steps

    Config.configure_core(storage_folder=storage)
    k = Config.configure_data_node("k", default_data=1)
    src = Config.configure_data_node("src", storage_type="json", default_path="in.json")
    a = Config.configure_data_node("a", storage_type="csv", default_path="out/a.csv")
    b = Config.configure_data_node("b", storage_type="json", default_path="out/b.json")
    c = Config.configure_data_node("c")
    t = Config.configure_task("split", steps.split, input=[src, k], output=[a, b, c])
    cfg = Config.configure_scenario("files", task_configs=[t])
    found = sc.get_scenarios()
    s = found[0] if found else sc.create_scenario(cfg)
    journal = open("journal.jsonl", "a")

    def log(**entry):
        journal.write(json.dumps(entry) + "\\n")
        journal.flush()
        os.fsync(journal.fileno())

    rng = random.Random(os.getpid())
    for _ in range(rounds):
        r = rng.random()
        if r < 0.25:  # a person edits the input file (atomically, as editors save)
            values = [rng.randint(0, 99) for _ in range(rng.randint(1, 5))]
            with open("in.json.tmp", "w") as f:
                json.dump(values, f)
            os.replace("in.json.tmp", "in.json")
            assert s.src.read() == values
            log(node="src", version=s.src.version, value=values)
        elif r < 0.4:
            value = rng.randint(1, 5)
            s.k.write(value)
            log(node="k", version=s.k.version, value=value)
        elif r < 0.5:
            sc.gc(0)
        else:
            s.submit(force=rng.random() < 0.3)
    """
)


def _value_of(engine, dn_id: str, number: int):
    import io
    import pickle

    import pandas as pd

    value = engine.version(dn_id, number).value
    if value.kind == "inline":
        return json.loads(value.json)
    data = bytes(engine.read_object(value.hash))
    if value.format == "json":
        return json.loads(data)
    if value.format.startswith("csv/"):
        return {"v": list(pd.read_csv(io.BytesIO(data))["v"])}
    assert value.format == "pickle", value.format
    return pickle.loads(data)


def _outside_snapshot(root: Path, own: set[Path]) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(p == o or o in p.parents for o in own)
    }


def check_files_store(workdir: Path, storage: Path, steps) -> dict:
    """After a kill: the store is sound (full check), every journaled write reads
    back as written, every finished job's outputs are what its inputs give, and
    each configured path holds its node's latest version."""
    engine = _core.Engine(str(storage))
    report = engine.integrity_check(True)
    assert report.startswith("ok"), report
    with contextlib.closing(sqlite3.connect(storage / "registry.sqlite")) as db:
        nodes = dict(db.execute("SELECT config_id, id FROM data_nodes").fetchall())
        jobs = [json.loads(b) for (b,) in db.execute("SELECT body FROM jobs WHERE status IN ('COMPLETED', 'SKIPPED')")]
        stuck = db.execute("SELECT count(*) FROM jobs WHERE status IN ('RUNNING', 'PENDING', 'BLOCKED')").fetchone()[0]
    assert stuck == 0
    journal = workdir / "journal.jsonl"
    entries = [json.loads(line) for line in journal.read_text().splitlines()] if journal.exists() else []
    for entry in entries:
        assert _value_of(engine, nodes[entry["node"]], entry["version"]) == entry["value"], entry
    for job in jobs:
        (src_id, src_v, _), (k_id, k_v, _) = job["inputs"]
        frame, summary, reversed_ = steps.split(_value_of(engine, src_id, src_v), _value_of(engine, k_id, k_v))
        outputs = {dn: _value_of(engine, dn, v) for dn, v in job["outputs"]}
        assert list(outputs.values()) == [{"v": list(frame["v"])}, summary, reversed_], job["id"]
    for config_id, path in (("src", "in.json"), ("a", "out/a.csv"), ("b", "out/b.json")):
        latest = engine.latest_version(nodes[config_id]) if config_id in nodes else None
        if latest is not None and (workdir / path).exists():
            assert (workdir / path).read_bytes() == bytes(engine.read_object(latest.value.hash)), path
    return {"journaled": len(entries), "finished_jobs": len(jobs)}


def test_kill_9_during_file_outputs_multi_output_jobs_and_gc(tmp_path, monkeypatch) -> None:
    workdir = tmp_path / "project"
    workdir.mkdir()
    (workdir / "steps.py").write_text(STEPS)
    (workdir / "in.json").write_text("[1, 2, 3]")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep.txt").write_text("not scenarium's")
    script = tmp_path / "child.py"
    script.write_text(FILES_CHILD)
    storage = workdir / ".scenarium"
    own = {storage, workdir / "in.json", workdir / "in.json.tmp", workdir / "out", workdir / "journal.jsonl"}
    own |= {workdir / "__pycache__"}
    before = _outside_snapshot(tmp_path, own)
    monkeypatch.chdir(workdir)  # the configured paths are relative to the project
    # The children's steps.py, loaded under a name of its own: a module named
    # "steps" left in sys.modules would shadow other tests' own steps.py.
    spec = importlib.util.spec_from_file_location("crash_harness_steps", workdir / "steps.py")
    steps = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(steps)

    rng = random.Random(int(os.environ.get("SCENARIUM_CRASH_SEED", "7")))
    outcomes = []
    for kill in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, str(script), str(storage), str(workdir), "1000000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        delay = rng.uniform(0.8, 3.0)
        time.sleep(delay)
        if child.poll() is not None:
            raise AssertionError(f"the child ended by itself: {child.communicate()}")
        os.kill(child.pid, signal.SIGKILL)
        child.communicate()
        outcomes.append({"kill": kill, "after_s": round(delay, 3), **check_files_store(workdir, storage, steps)})
        assert _outside_snapshot(tmp_path, own) == before, "a file outside the store and the configured paths changed"
    finish = subprocess.run(
        [sys.executable, str(script), str(storage), str(workdir), "30"], capture_output=True, text=True
    )
    assert finish.returncode == 0, finish.stderr
    final = check_files_store(workdir, storage, steps)
    assert final["finished_jobs"] > 0
    report = os.environ.get("SCENARIUM_CRASH_FILES_REPORT")
    if report:
        Path(report).write_text(json.dumps({"kills": KILLS, "outcomes": outcomes, "final": final}, indent=1))
