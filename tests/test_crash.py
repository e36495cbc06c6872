"""Crash safety: kill -9 a process running the article's scenario at random
moments; after each kill the registry opens sound, every stored version is
readable, no job is left RUNNING, and a new submit completes correctly.

CI runs a few kills (SCENARIUM_CRASH_KILLS, default 6); the reported run uses 100+.
"""

from __future__ import annotations

import contextlib
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
