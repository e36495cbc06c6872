"""No panic and no hang reaches a user (issue 40): a value read close to a memory
limit is an ``OutOfMemory`` (a ``MemoryError`` of scenarium's hierarchy) naming the
node, at every headroom; a helper process that a task forked and that outlives its
submitter does not keep the job RUNNING; the errors a bug or a bad argument raise
are scenarium's and still the builtin kinds users catch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import scenarium as sc
from scenarium import exceptions

WRITE = """
import numpy as np, pandas as pd, scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=".scenarium")
nodes = [Config.configure_data_node(kind, storage_type=kind) for kind in ("pickle", "parquet", "csv")]
scenario = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=nodes))
n = 6_000_000  # 48 MB of float64
scenario.pickle.write(np.arange(n, dtype="float64"))
frame = pd.DataFrame({"a": np.arange(n, dtype="float64")})
scenario.parquet.write(frame)
scenario.csv.write(frame.head(2_000_000))
print(scenario.pickle.id, scenario.parquet.id, scenario.csv.id)
"""

READ = """
import re, resource, sys, faulthandler
import numpy as np, pandas as pd, scenarium as sc
faulthandler.dump_traceback_later(60, exit=True)  # a hang fails the test with a stack
node_id, headroom = sys.argv[1], int(sys.argv[2])
vm = int(re.search(r"VmSize:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + headroom * 2**20, resource.RLIM_INFINITY))
for attempt in range(2):  # the process goes on after a refusal
    try:
        value = sc.get(node_id).read()
        print("read", len(value))
    except sc.exceptions.OutOfMemory as e:
        assert node_id in str(e) or "registry" in str(e), e
        print("OutOfMemory")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc are Linux's")
def test_reading_close_to_a_memory_limit_is_out_of_memory_or_the_value(tmp_path: Path) -> None:
    made = subprocess.run([sys.executable, "-c", WRITE], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    outcomes = {}
    for node_id in made.stdout.split():
        for headroom in (8, 40, 90, 160, 800):
            read = subprocess.run(
                [sys.executable, "-c", READ, node_id, str(headroom)],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            lines = read.stdout.split()
            assert read.returncode == 0, (node_id, headroom, read.stderr[-3000:])
            assert "PanicException" not in read.stderr, read.stderr
            outcomes[node_id.split("_")[1], headroom] = lines
    # Each node is refused where memory is short and read where it is not.
    for kind in ("pickle", "parquet", "csv"):
        assert outcomes[kind, 8][0] == "OutOfMemory", outcomes
        assert outcomes[kind, 800][0] == "read", outcomes


POLARS_WRITE = """
import numpy as np, polars as pl, scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=".scenarium")
nodes = [Config.configure_data_node("parquet", storage_type="parquet", exposed_type="polars"),
         Config.configure_data_node("csv", storage_type="csv", exposed_type="polars"),
         Config.configure_data_node("pickle", storage_type="pickle")]
scenario = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=nodes))
frame = pl.DataFrame({"a": np.arange(6_000_000, dtype="float64")})
scenario.parquet.write(frame)
scenario.csv.write(frame.head(2_000_000))
scenario.pickle.write(frame)  # a polars frame in a pickle node
print(scenario.parquet.id, scenario.csv.id, scenario.pickle.id)
"""

POLARS_READ_OR_WRITE = """
import re, resource, sys, faulthandler
import numpy as np, polars as pl, scenarium as sc
faulthandler.dump_traceback_later(90, exit=True)  # a hang fails the test with a stack
node_id, headroom, op = sys.argv[1], int(sys.argv[2]), sys.argv[3]
frame = pl.DataFrame({"a": np.arange(6_000_000, dtype="float64")}) if op == "write" else None
vm = int(re.search(r"VmSize:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + headroom * 2**20, resource.RLIM_INFINITY))
for attempt in range(2):  # the process goes on after a refusal
    try:
        node = sc.get(node_id)
        if op == "read":
            print("done", len(node.read()))
        elif op == "lazy":
            print("done", node.read(lazy=True).select(pl.len()).collect().item())
        else:
            node.write(frame)
            print("done")
    except sc.exceptions.OutOfMemory as e:
        assert node_id in str(e) or "registry" in str(e), e  # the registry may not open either
        print("OutOfMemory")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and /proc are Linux's")
def test_polars_frames_read_and_written_close_to_a_memory_limit(tmp_path: Path) -> None:
    """polars aborts the process when one of its Rust allocations fails ("memory
    allocation of N bytes failed"), and its first use reserves gigabytes of address
    space for its thread pools: a polars read or write that cannot fit is refused with
    ``OutOfMemory`` first. Parquet, csv and a pickled frame; reads, writes, and a lazy
    read collected (refused up front where polars' own start cannot fit)."""
    from scenarium._utils import memory as _memory

    made = subprocess.run(
        [sys.executable, "-c", POLARS_WRITE], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert made.returncode == 0, made.stderr
    enough = (_memory._polars_cold_cost() >> 20) + 1500
    for node_id in made.stdout.split():
        for op in ("read", "write", "lazy"):
            for headroom in (40, 1000, 2000, enough):
                run = subprocess.run(
                    [sys.executable, "-c", POLARS_READ_OR_WRITE, node_id, str(headroom), op],
                    cwd=tmp_path,
                    capture_output=True,
                    text=True,
                    timeout=240,
                    check=False,
                )
                where = (node_id.split("_")[1], op, headroom)
                assert run.returncode == 0, (where, run.stderr[-3000:])
                assert "PanicException" not in run.stderr, (where, run.stderr[-3000:])
                outcomes = run.stdout.split()
                assert outcomes[0] in ("done", "OutOfMemory"), (where, run.stdout)
                if headroom == enough:
                    assert outcomes[0] == "done", (where, run.stdout)


FORKING_TASK = """
import os, time

def fork_a_helper(x):
    if os.fork() == 0:  # a helper that outlives the task and its submitter
        time.sleep(60)
        os._exit(0)
    time.sleep(60)  # the submitter is killed meanwhile
    return x
"""

SUBMIT = """
import scenarium as sc
from scenarium import Config
import tasks
Config.configure_core(storage_folder=".scenarium")
a, b = Config.configure_data_node("a", default_data=1), Config.configure_data_node("b")
task = Config.configure_task("fork_a_helper", tasks.fork_a_helper, [a], [b])
sc.create_scenario(Config.configure_scenario("s", task_configs=[task])).submit(wait=True)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="fork and /proc are Linux's")
def test_a_forked_helper_does_not_keep_a_killed_submitters_job_running(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(FORKING_TASK)
    submitter = subprocess.Popen([sys.executable, "-c", SUBMIT], cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.5)
            statuses = _job_statuses(tmp_path)
            if statuses == ["RUNNING"]:
                break
        assert statuses == ["RUNNING"], statuses
        time.sleep(0.5)  # the fork has happened
        submitter.send_signal(signal.SIGKILL)
        submitter.wait()
        # The helper still runs, holding every file the submitter had open.
        assert _job_statuses(tmp_path) == ["FAILED"]
    finally:
        os.killpg(submitter.pid, signal.SIGKILL)


def _job_statuses(folder: Path) -> list[str]:
    """The jobs' statuses as a new process opening the store sees them."""
    seen = subprocess.run(
        [sys.executable, "-c", "import scenarium as sc; print(*[j.status.name for j in sc.get_jobs()])"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return seen.stdout.split()


def test_the_errors_of_a_bug_and_of_a_bad_argument_are_scenariums_and_the_builtin_kinds() -> None:
    assert issubclass(exceptions.InternalError, exceptions.ScenariumError)
    assert issubclass(exceptions.InternalError, RuntimeError)
    assert issubclass(exceptions.OutOfMemory, MemoryError)
    with pytest.raises(exceptions.InvalidArgument, match="grace_period") as raised:
        sc.gc(1e19)
    assert isinstance(raised.value, ValueError)
