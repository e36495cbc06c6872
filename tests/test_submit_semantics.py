"""Taipy's submit semantics where Taipy code depends on them: a task whose input was
never written is BLOCKED (so is what depends on it), with a warning naming the data
node, and submit() returns; writing the input and submitting again runs them."""

from __future__ import annotations

import pytest

import scenarium as sc
from scenarium import Config


def inc(x):
    return x + 1


def test_blocked_jobs_wait_for_their_inputs_and_run_once_written() -> None:
    x, y, z = (Config.configure_data_node(n) for n in "xyz")
    a = Config.configure_data_node("a", default_data=1)
    t1 = Config.configure_task("first", inc, input=x, output=y)
    t2 = Config.configure_task("second", inc, input=y, output=z)
    side = Config.configure_task("side", inc, input=a, output=Config.configure_data_node("b"))
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t1, t2, side]))
    with pytest.warns(sc.BlockedJobWarning, match='first .*"x" has no data'):
        submission = sc.submit(s)
    statuses = {j.task_config_id: j.status for j in submission.jobs}
    assert statuses == {"first": sc.Status.BLOCKED, "second": sc.Status.BLOCKED, "side": sc.Status.COMPLETED}
    assert submission.is_finished() and not submission.is_completed()
    s.x.write(1)
    assert sc.submit(s).status is sc.SubmissionStatus.COMPLETED and s.z.read() == 3


def test_a_failing_task_still_raises() -> None:
    a = Config.configure_data_node("a", default_data="text")
    t = Config.configure_task("boom", inc, input=a, output=Config.configure_data_node("b"))
    with pytest.raises(sc.JobFailed, match="TypeError"):
        sc.create_scenario(Config.configure_scenario("s", task_configs=[t])).submit()


def slow(x):
    import time

    time.sleep(1.5)
    return x


def test_wait_with_a_timeout_returns_when_it_passes_and_the_submission_goes_on() -> None:
    a = Config.configure_data_node("a", default_data=1)
    t = Config.configure_task("slow", slow, input=a, output=Config.configure_data_node("b"))
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    submission = sc.submit(s, wait=True, timeout=0.1)
    assert not submission.is_finished()
    assert submission.wait().status is sc.SubmissionStatus.COMPLETED and s.b.read() == 1
    done = sc.submit(s, wait=True, timeout=30, force=True)
    assert done.is_finished()


EXIT_CHILD = """
import sys, time
import scenarium as sc
from scenarium import Config

def slow(x):
    time.sleep(0.5)
    return x + 1

if __name__ == "__main__":  # standalone workers import this module again
    Config.configure_core(storage_folder=sys.argv[1], progress=False)
    Config.configure_job_executions(mode=sys.argv[2], max_nb_of_workers=2)
    a = Config.configure_data_node("a", default_data=1)
    b, c = Config.configure_data_node("b"), Config.configure_data_node("c")
    tasks = [Config.configure_task("one", slow, a, b), Config.configure_task("two", slow, b, c)]
    scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=tasks))
    scenario.submit(wait=True, timeout=0.1)  # returns while the jobs still run, as in Taipy's tutorial
"""


@pytest.mark.parametrize("mode", ["development", "standalone"])
def test_a_script_that_ends_while_its_jobs_run_waits_for_them_and_exits_cleanly(tmp_path, mode) -> None:
    """Taipy's job-execution tutorial ends right after submit(wait=True, timeout=5): the
    process must finish the jobs and exit 0. (The submission's thread was a daemon: the
    interpreter finalized under it and the process aborted about one run in four.) In
    standalone mode the second job's worker starts after the script's end and still
    finds the script's functions."""
    import subprocess
    import sys

    (tmp_path / "child.py").write_text(EXIT_CHILD)
    for attempt in range(4):
        storage = tmp_path / f"store{attempt}"
        done = subprocess.run(
            [sys.executable, "child.py", str(storage), mode], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, (attempt, done.returncode, done.stderr[-2000:])
        Config.configure_core(storage_folder=str(storage))
        assert sc.get_scenarios()[0].c.read() == 3, "both jobs ran to the end"
