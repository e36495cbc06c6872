"""The members Taipy's entities have beyond scenarium's own needs (labels, inputs and
outputs by role, a job's and a submission's facts under Taipy's names, ...), each as
Taipy 4.1 defines it."""

from __future__ import annotations

import datetime as dt

import pytest

import scenarium as sc
from scenarium import Config, Frequency


def double(x):
    return 2 * x


def add(x):
    return x + 10


def pipeline() -> sc.Scenario:
    a = Config.configure_data_node("a", default_data=21)
    b = Config.configure_data_node("b")
    c = Config.configure_data_node("c")
    note = Config.configure_data_node("note", default_data="kept aside")
    t1 = Config.configure_task("double", double, a, b)
    t2 = Config.configure_task("add", add, b, c)
    cfg = Config.configure_scenario(
        "s", [t1, t2], additional_data_node_configs=[note], frequency=Frequency.MONTHLY, sequences={"first": [t1]}
    )
    return sc.create_scenario(cfg, creation_date=dt.datetime(2026, 11, 3), name="baseline")


def test_inputs_outputs_and_intermediate_by_role() -> None:
    s = pipeline()
    ids = lambda nodes: sorted(n.config_id for n in nodes)  # noqa: E731
    assert (ids(s.get_inputs()), ids(s.get_intermediate()), ids(s.get_outputs())) == (["a"], ["b"], ["c"])
    assert ids(s.first.get_outputs()) == ["b"] and ids(s.add.get_inputs()) == ["b"]
    assert list(s.additional_data_nodes) == ["note"]
    assert s.is_ready_to_run() and not s.data_nodes_being_edited()
    s.a.lock_edit("ana")
    assert not s.is_ready_to_run() and {n.config_id for n in s.data_nodes_being_edited()} == {"a"}
    assert all(isinstance(x, sc.Submittable) for x in (s, s.first, s.add))


def test_a_jobs_and_a_submissions_facts() -> None:
    s = pipeline()
    sub = s.submit()
    assert (sub.entity_type, sub.entity_config_id, sub.submission_status) == (
        "SCENARIO",
        "s",
        sc.SubmissionStatus.COMPLETED,
    )
    assert sub.submitted_at <= sub.run_at <= sub.finished_at and sub.execution_duration >= 0
    assert not sub.is_canceled() and not sub.is_abandoned() and sub.properties == {}
    job = sub.jobs[0]
    assert job.is_completed() and not (job.is_running() or job.is_pending() or job.is_blocked() or job.is_canceled())
    assert job.submitted_at <= job.run_at <= job.finished_at and job.execution_duration == job.duration
    seq = s.first.submit()
    assert (seq.entity_type, seq.entity_config_id) == ("SEQUENCE", "first")
    assert (s.add.submit().entity_type, s.add.submit().entity_config_id) == ("TASK", "add")


def test_data_node_task_and_scenario_members() -> None:
    s = pipeline()
    s.submit()
    assert s.b.job_ids == [j.id for j in s.submissions[-1].jobs if j.task_config_id == "double"]
    assert s.b.get_last_edit()["job_id"] == s.b.job_ids[-1]
    assert s.b.is_up_to_date
    s.a.write(5)
    assert not s.b.is_up_to_date, "its input changed after it was written"
    assert s.b.parent_ids == {s.double.id, s.add.id}
    assert s.b.name is None and s.b.get_simple_label() == "b"  # its config id, as Taipy
    assert (s.add.owner_id, s.add.parent_ids, s.add.scope) == (s.id, {s.id}, sc.Scope.SCENARIO)
    assert set(s.add.data_nodes) == {"b", "c"}
    assert s.get_simple_label() == "baseline" and s.owner_id == s.cycle.id
    s.rename_sequence("first", "doubling")
    assert list(sc.get(s.id).sequences) == ["doubling"]
    with pytest.raises(sc.NonExistingEntity):
        s.rename_sequence("first", "x")


def test_primary_and_deletable_and_set() -> None:
    first, second = pipeline(), pipeline()
    assert first.is_primary and not first.is_deletable(), "the primary of a cycle with others"
    second.set_primary()
    assert sc.get(second.id).is_primary and not sc.get(first.id).is_primary
    assert sc.get(first.id).is_deletable()
    sc.set(first)  # Taipy's tp.set: every change is already recorded
    with pytest.raises(TypeError):
        sc.set("not an entity")
    assert sc.ScenarioId(first.id) == first.id


def test_a_sequence_has_its_own_subscribers() -> None:
    s = pipeline()
    seen = []
    s.first.subscribe(lambda seq, job: seen.append(job.status.name))
    s.first.submit()
    assert "COMPLETED" in seen and s.first.subscribers


def test_config_backup_and_restore(tmp_path) -> None:
    pipeline()
    Config.backup(tmp_path / "backup.toml")
    before = {k: v._spec() for k, v in Config.scenarios.items()}
    Config._reset()
    Config.restore(tmp_path / "backup.toml")
    assert {k: v._spec() for k, v in Config.scenarios.items()} == before


def test_finished_jobs_and_submissions_are_deletable() -> None:
    s = pipeline()
    sub = s.submit()
    assert sc.is_deletable(sub) and sc.is_deletable(sub.jobs[0])
    assert not sc.is_deletable(s.a), "a data node goes with its scenario"
