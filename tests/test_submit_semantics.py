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
