"""Parallel execution: independent jobs overlap, failures stay contained,
cancellation and Ctrl-C leave every job in a final state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import scenarium as sc
from scenarium import Config, datagen

RELEASE = threading.Event()


def timed_sleep(seconds):
    start = time.perf_counter()
    time.sleep(seconds)
    return (start, time.perf_counter())


def wait_for_release(x):
    assert RELEASE.wait(10), "the test never released the task"
    return x


def explode(x):
    raise ValueError("no")


def plus_one(x):
    return x + 1


def two_sleepers(workers: int):
    Config.configure_job_executions(max_nb_of_workers=workers)
    d = Config.configure_data_node("d", default_data=0.3)
    left, right = Config.configure_data_node("left"), Config.configure_data_node("right")
    tasks = [
        Config.configure_task("sleep_left", timed_sleep, input=[d], output=[left]),
        Config.configure_task("sleep_right", timed_sleep, input=[d], output=[right]),
    ]
    return sc.create_scenario(Config.configure_scenario("pair", task_configs=tasks))


def test_two_workers_run_independent_tasks_at_once() -> None:
    s = two_sleepers(2)
    s.submit()
    (a_start, a_end), (b_start, b_end) = s.left.read(), s.right.read()
    assert a_start < b_end and b_start < a_end, "the two sleeps overlapped"


def test_one_worker_runs_them_one_after_the_other() -> None:
    s = two_sleepers(1)
    s.submit()
    (a_start, a_end), (b_start, b_end) = sorted([s.left.read(), s.right.read()])
    assert a_end <= b_start


def test_a_failure_abandons_dependants_and_completes_independent_tasks() -> None:
    Config.configure_job_executions(max_nb_of_workers=2)
    x = Config.configure_data_node("x", default_data=1)
    bad, after, good = (Config.configure_data_node(n) for n in ("bad", "after", "good"))
    tasks = [
        Config.configure_task("explode", explode, input=[x], output=[bad]),
        Config.configure_task("after_explode", plus_one, input=[bad], output=[after]),
        Config.configure_task("aside", plus_one, input=[x], output=[good]),
    ]
    s = sc.create_scenario(Config.configure_scenario("mixed", task_configs=tasks))
    s.bad.write(41)
    with pytest.raises(sc.JobFailed) as e:
        s.submit()
    statuses = {j.task_config_id: j.status for j in sc.get(e.value.submission_id).jobs}
    assert statuses == {
        "explode": sc.Status.FAILED,
        "after_explode": sc.Status.ABANDONED,
        "aside": sc.Status.COMPLETED,
    }
    assert s.bad.read() == 41, "the failed task's earlier output is untouched"
    assert s.good.read() == 2


def chain():
    x = Config.configure_data_node("x", default_data=1)
    y, z, w = (Config.configure_data_node(n) for n in ("y", "z", "w"))
    tasks = [
        Config.configure_task("held", wait_for_release, input=[x], output=[y]),
        Config.configure_task("second", plus_one, input=[y], output=[z]),
        Config.configure_task("third", plus_one, input=[z], output=[w]),
    ]
    return sc.create_scenario(Config.configure_scenario("chain", task_configs=tasks))


def wait_until_running(submission: sc.Submission) -> None:
    for _ in range(500):
        if any(j.status is sc.Status.RUNNING for j in submission.jobs):
            return
        time.sleep(0.01)
    raise AssertionError("the first job never started")


def test_cancel_stops_what_has_not_started() -> None:
    RELEASE.clear()
    s = chain()
    submission = s.submit(wait=False)
    wait_until_running(submission)
    submission.cancel()
    RELEASE.set()
    submission.wait()
    assert submission.status is sc.SubmissionStatus.CANCELED
    assert [j.status for j in submission.jobs] == [sc.Status.COMPLETED, sc.Status.CANCELED, sc.Status.ABANDONED]


def test_cancel_job_cancels_one_job_and_its_dependants() -> None:
    RELEASE.clear()
    s = chain()
    submission = s.submit(wait=False)
    wait_until_running(submission)
    sc.cancel_job(submission.jobs[1])
    RELEASE.set()
    submission.wait()
    assert [j.status for j in submission.jobs] == [sc.Status.COMPLETED, sc.Status.CANCELED, sc.Status.ABANDONED]
    assert "canceled before it started" in submission.jobs[1].reason


CHILD = textwrap.dedent(
    """
    import sys, time
    import scenarium as sc
    from scenarium import Config

    def slow(marker):
        open(marker, "w").close()
        for _ in range(400):          # 20 s of Python work, interruptible
            time.sleep(0.05)
        return 1

    def plus_one(x):
        return x + 1

    Config.configure_core(storage_folder=sys.argv[1])
    Config.configure_job_executions(max_nb_of_workers=int(sys.argv[3]))
    m = Config.configure_data_node("marker", default_data=sys.argv[2])
    a, b, c = (Config.configure_data_node(n) for n in "abc")
    tasks = [
        Config.configure_task("slow", slow, input=[m], output=[a]),
        Config.configure_task("next", plus_one, input=[a], output=[b]),
        Config.configure_task("slow_too", slow, input=[m], output=[c]),
    ]
    s = sc.create_scenario(Config.configure_scenario("interrupted", task_configs=tasks))
    s.submit()
    """
)


def started_child(args: list, marker, cwd) -> subprocess.Popen:
    """A Python child process running `args`, once it has created `marker`."""
    child = subprocess.Popen(
        [sys.executable, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    )
    for _ in range(3000):
        if marker.exists() or child.poll() is not None:
            break
        time.sleep(0.01)
    assert marker.exists(), child.communicate()
    return child


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_cancels_within_a_second_and_leaves_no_job_running(tmp_path, workers) -> None:
    script, marker, storage = tmp_path / "child.py", tmp_path / "started", tmp_path / "store"
    script.write_text(CHILD)
    child = started_child([script, storage, marker, workers], marker, tmp_path)
    os.kill(child.pid, signal.SIGINT)
    start = time.perf_counter()
    _, stderr = child.communicate(timeout=20)
    assert "KeyboardInterrupt" in stderr, stderr
    assert time.perf_counter() - start < 5, "Ctrl-C took effect promptly (target 1 s; 5 s allows a loaded machine)"
    Config.configure_core(storage_folder=str(storage))
    jobs = {j.task_config_id: j.status for j in sc.get_jobs()}
    assert sc.Status.RUNNING not in jobs.values(), jobs
    assert jobs["next"] in (sc.Status.CANCELED, sc.Status.ABANDONED), jobs
    assert sc.get_scenarios()[0].submissions[-1].status is sc.SubmissionStatus.CANCELED


NATIVE_CHILD = textwrap.dedent(
    """
    import sys
    import scenarium as sc
    from scenarium import Config
    from scenarium.tasks import customer_analysis as ca

    storage, marker, csv, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    Config.configure_core(storage_folder=storage, progress=False)
    Config.configure_job_executions(max_nb_of_workers=workers)
    path = Config.configure_data_node("path", default_data=csv)
    scored = Config.configure_data_node("scored")
    task = Config.configure_task("score", ca.preprocess_and_score, input=[path], output=[scored])
    s = sc.create_scenario(Config.configure_scenario("interrupted", task_configs=[task]))

    def started(job):
        if job.status is sc.Status.RUNNING:
            open(marker, "w").close()

    s.submit(on_event=started)
    """
)


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_a_running_native_task_part_way(tmp_path, workers) -> None:
    script, marker, storage, csv = tmp_path / "child.py", tmp_path / "started", tmp_path / "store", tmp_path / "c.csv"
    script.write_text(NATIVE_CHILD)
    # Rows enough that reading them takes long after the job starts, even in a release build.
    datagen.write_csv(str(csv), 3_000_000, seed=3)
    child = started_child([script, storage, marker, csv, workers], marker, tmp_path)
    os.kill(child.pid, signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert "KeyboardInterrupt" in stderr, stderr
    Config.configure_core(storage_folder=str(storage))
    [job] = sc.get_jobs()
    assert job.status is sc.Status.CANCELED, (job.status, job.reason)
    assert "interrupted" in job.reason
    with pytest.raises(sc.exceptions.NoData):  # nothing half-written was recorded
        sc.get_scenarios()[0].scored.read_or_raise()


WORK_MODULE = textwrap.dedent(
    """
    import time

    def burn(seconds):
        start = time.time()
        n = 0
        while time.time() - start < seconds:   # pure Python: holds the GIL throughout
            n += 1
        return (start, time.time())

    def nap(seconds):
        for _ in range(int(seconds * 20)):
            time.sleep(0.05)
        return seconds
    """
)


@pytest.fixture
def work_module(tmp_path, monkeypatch):
    (tmp_path / "work_fns.py").write_text(WORK_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("work_fns", None)
    import work_fns

    return work_fns


def test_standalone_runs_cpu_bound_python_tasks_in_parallel_processes(work_module) -> None:
    Config.configure_job_executions(mode="standalone", max_nb_of_workers=2)
    d = Config.configure_data_node("d", default_data=1.0)
    left, right = Config.configure_data_node("left"), Config.configure_data_node("right")
    tasks = [
        Config.configure_task("burn_left", work_module.burn, input=[d], output=[left]),
        Config.configure_task("burn_right", work_module.burn, input=[d], output=[right]),
    ]
    s = sc.create_scenario(Config.configure_scenario("cpu", task_configs=tasks))
    s.submit()
    (a_start, a_end), (b_start, b_end) = s.left.read(), s.right.read()
    assert a_start < b_end and b_start < a_end, "two GIL-holding loops overlapped: separate processes"
    # Warm workers are reused: a second scenario's jobs run at once too.
    s2 = sc.create_scenario(Config.scenarios["cpu"])
    s2.d.write(0.2)
    assert [j.status for j in s2.submit().jobs] == [sc.Status.COMPLETED] * 2


@pytest.mark.parametrize("mode", ["development", "standalone"])
def test_a_task_over_its_timeout_fails_with_the_reason(work_module, mode) -> None:
    Config.configure_job_executions(mode=mode, max_nb_of_workers=2)
    d = Config.configure_data_node("d", default_data=30)
    out, after = Config.configure_data_node("out"), Config.configure_data_node("after")
    tasks = [
        Config.configure_task("nap", work_module.nap, input=[d], output=[out], timeout=0.5),
        Config.configure_task("after_nap", plus_one, input=[out], output=[after]),
    ]
    s = sc.create_scenario(Config.configure_scenario("slow", task_configs=tasks))
    with pytest.raises(sc.JobFailed, match=r"task 'nap' timed out after 0.5 s"):
        s.submit()
    assert s.submissions[-1].jobs[1].status is sc.Status.ABANDONED
    s.d.write(0.1)
    assert [j.status for j in s.submit().jobs] == [sc.Status.COMPLETED] * 2, "a new worker took over"


def test_events_report_each_state_change_as_it_happens() -> None:
    RELEASE.set()
    s = chain()
    seen = [(job.task_config_id, job.status) for job in s.submit(wait=False).events()]
    assert seen == [
        ("held", sc.Status.RUNNING),
        ("held", sc.Status.COMPLETED),
        ("second", sc.Status.RUNNING),
        ("second", sc.Status.COMPLETED),
        ("third", sc.Status.RUNNING),
        ("third", sc.Status.COMPLETED),
    ]


def test_several_submissions_in_flight_at_once() -> None:
    s1, s2 = two_sleepers(2), sc.create_scenario(Config.scenarios["pair"])
    s2.d.write(0.2)
    first, second = s1.submit(wait=False), s2.submit(wait=False)
    assert first.wait().status is sc.SubmissionStatus.COMPLETED
    assert second.wait().status is sc.SubmissionStatus.COMPLETED
    (start1, end1), (start2, end2) = s1.left.read(), s2.left.read()
    assert start1 < end2 and start2 < end1, "the two submissions ran at the same time"


CALLBACK_CHILD = textwrap.dedent(
    """
    import sys, time
    import scenarium as sc
    from scenarium import Config

    def slow(x):
        for _ in range(200):          # 10 s of Python work, interruptible
            time.sleep(0.05)
        return x

    Config.configure_core(storage_folder=sys.argv[1], progress=False)
    Config.configure_job_executions(max_nb_of_workers=2)
    a, b = Config.configure_data_node("a", default_data=1), Config.configure_data_node("b")
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[Config.configure_task("slow", slow, a, b)]))

    def on_event(job):
        if job.status is sc.Status.RUNNING:
            raise KeyboardInterrupt  # as Ctrl-C does when it lands while this callback runs

    start = time.perf_counter()
    try:
        s.submit(on_event=on_event)
    except KeyboardInterrupt:
        print(f"interrupted after {time.perf_counter() - start:.1f} s")
    """
)


def test_a_ctrl_c_landing_in_an_event_callback_stops_the_submission(tmp_path) -> None:
    """Python runs a signal's handler in whatever Python code the main thread runs next:
    when that is an on_event callback, the KeyboardInterrupt used to be kept as the
    callback's error and raised only after every job had finished (a loaded machine's
    Ctrl-C seemed ignored). It stops the submission at once instead."""
    (tmp_path / "child.py").write_text(CALLBACK_CHILD)
    done = subprocess.run(
        [sys.executable, "child.py", str(tmp_path / "store")], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seconds = float(done.stdout.split("interrupted after ")[1].split()[0])
    assert seconds < 5, f"the submission ran on for {seconds} s after the interrupt"
    Config.configure_core(storage_folder=str(tmp_path / "store"))
    assert sc.get_scenarios()[0].submissions[-1].status is sc.SubmissionStatus.CANCELED
