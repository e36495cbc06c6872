"""A task run in the submitter's process may close or replace sys.stdout and
sys.stderr, change the current folder or sys.path: the submission, its progress
display and the next submission go on as if it had not (issue 40)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

TASKS = """
import os
import sys


def rude(x):
    sys.stderr.close()
    return x + 1


def wander(x):
    os.chdir("/")
    sys.path.insert(0, "/nowhere")
    sys.stdout = None
    sys.stderr = None
    return x * 2
"""

SUBMITTER = """
import os
import sys

import scenarium as sc
from scenarium import Config
import fns

Config.configure_core(storage_folder=".scenarium")
a = Config.configure_data_node("a", default_data=1)
b = Config.configure_data_node("b")
c = Config.configure_data_node("c")
t1 = Config.configure_task("rude", fns.rude, [a], [b])
t2 = Config.configure_task("wander", fns.wander, [b], [c])
scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[t1, t2]))
here, path, out = os.getcwd(), list(sys.path), sys.stdout
first = scenario.submit(progress=True)
second = scenario.submit(progress=True, force=True)
assert os.getcwd() == here, os.getcwd()
assert sys.path == path
assert sys.stdout is out
print(first.status.name, second.status.name, [j.status.name for j in second.jobs], scenario.c.read())
"""


def test_a_task_that_closes_stderr_and_moves_the_process_about(tmp_path: Path) -> None:
    (tmp_path / "fns.py").write_text(TASKS)
    assert _last_line(textwrap.dedent(SUBMITTER), tmp_path) == "COMPLETED COMPLETED ['COMPLETED', 'COMPLETED'] 4"


def _last_line(script: str, folder: Path, **env: str) -> str:
    """What ``script`` prints last, run in a fresh process in ``folder``."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=folder,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n")[-2]


SLOW_AND_FAST = """
import os
import time


def settle_in(x):
    os.chdir(os.environ["TASK_FOLDER"])
    time.sleep(1.5)  # meanwhile the other task ends
    with open("here.txt") as f:  # relative to the folder this task moved to
        return f.read() + str(x)


def quick(x):
    time.sleep(0.5)  # ends while the other task is in its folder
    return x
"""


def test_a_task_ending_does_not_move_another_running_task(tmp_path: Path) -> None:
    (tmp_path / "fns.py").write_text(SLOW_AND_FAST)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "here.txt").write_text("found ")
    submitter = f"""
import os
import scenarium as sc
from scenarium import Config
import fns

Config.configure_core(storage_folder={str(tmp_path / ".scenarium")!r})
Config.configure_job_executions(max_nb_of_workers=2)
a, b, c = (Config.configure_data_node(n, default_data=1) for n in "abc")
d = Config.configure_data_node("d")
slow = Config.configure_task("settle_in", fns.settle_in, [a], [c])
fast = Config.configure_task("quick", fns.quick, [b], [d])
here = os.getcwd()
scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[slow, fast]))
submission = scenario.submit()
assert os.getcwd() == here, os.getcwd()
print(submission.status.name, scenario.c.read())
"""
    assert _last_line(submitter, tmp_path, TASK_FOLDER=str(folder)) == "COMPLETED found 1"


CLOSING_TASK = """
import os


def close_descriptors(x):
    os.close(1)
    os.close(2)
    return x + 1
"""

CLOSES_DESCRIPTORS = """
import sys

import scenarium as sc
from scenarium import Config
import closing

if __name__ == "__main__":
    Config.configure_core(storage_folder=".scenarium-" + sys.argv[1])
    Config.configure_job_executions(mode=sys.argv[1])
    a, b = Config.configure_data_node("a", default_data=1), Config.configure_data_node("b")
    task = Config.configure_task("close_descriptors", closing.close_descriptors, [a], [b])
    scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[task]))
    statuses = [scenario.submit(wait=True, force=True).status.name for _ in range(3)]
    with open("outcome.txt", "w") as f:
        f.write(f"{statuses} {scenario.b.read()}")
"""


def test_a_task_that_closes_the_standard_descriptors(tmp_path: Path) -> None:
    """Descriptor 1 closed by a task was given to the next file the core opened; the
    task closing it again closed that file under Rust, which aborted the process
    ("IO Safety violation"); a standalone worker failed its next job (EBADF)."""
    (tmp_path / "closing.py").write_text(CLOSING_TASK)
    (tmp_path / "submit.py").write_text(CLOSES_DESCRIPTORS)
    for mode in ("development", "standalone"):
        run = subprocess.run([sys.executable, "submit.py", mode], cwd=tmp_path, capture_output=True, check=False)
        assert run.returncode == 0, (mode, run.returncode, run.stderr[-2000:])
        assert (tmp_path / "outcome.txt").read_text() == "['COMPLETED', 'COMPLETED', 'COMPLETED'] 2", mode
