"""Scenarios, data nodes, submissions and skipping through the public API."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import polars as pl
import pytest

import scenarium as sc
from conftest import CallLog, ids
from scenarium import Config, Scope

CALLS: list[str] = CallLog()


def double(x):
    CALLS.append("double")
    return 2 * x


def add(x, y):
    CALLS.append("add")
    return x + y


def split(x):
    return x // 10, x % 10


def to_frame(n):
    CALLS.append("to_frame")
    return pl.DataFrame({"i": list(range(n)), "sq": [i * i for i in range(n)]})


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()


def chain(skippable: bool = True) -> sc.ScenarioConfig:
    a = Config.configure_data_node("a", default_data=3)
    b = Config.configure_data_node("b")
    c = Config.configure_data_node("c", default_data=4)
    d = Config.configure_data_node("d")
    t1 = Config.configure_task("t1", double, input=[a], output=[b], skippable=skippable)
    t2 = Config.configure_task("t2", add, input=[b, c], output=[d], skippable=skippable)
    return Config.configure_scenario("chain", task_configs=[t2, t1])


def test_submit_runs_in_dependency_order_and_stores_outputs() -> None:
    s = sc.create_scenario(chain(), name="baseline")
    sub = s.submit()
    assert [j.task_config_id for j in sub.jobs] == ["t1", "t2"]
    assert sub.status is sc.SubmissionStatus.COMPLETED
    assert (s.b.read(), s.d.read()) == (6, 10)
    assert s.name == "baseline"
    assert s.is_primary


def test_unchanged_inputs_skip_and_force_reruns() -> None:
    s = sc.create_scenario(chain())
    s.submit()
    again = s.submit()
    assert ids(again, sc.Status.SKIPPED) == ["t1", "t2"]
    assert CALLS == ["double", "add"]
    assert "same code and inputs" in again.jobs[0].reason
    forced = s.submit(force=True)
    assert ids(forced, sc.Status.COMPLETED) == ["t1", "t2"]


def test_only_downstream_of_a_change_runs() -> None:
    s = sc.create_scenario(chain())
    s.submit()
    s.c.write(5)
    sub = s.submit()
    assert ids(sub, sc.Status.SKIPPED) == ["t1"]
    assert ids(sub, sc.Status.COMPLETED) == ["t2"]
    assert s.d.read() == 11


def test_writing_back_an_old_value_reuses_the_old_result() -> None:
    s = sc.create_scenario(chain())
    s.submit()
    s.a.write(10)
    s.submit()
    assert s.d.read() == 24
    s.a.write(3)
    sub = s.submit()
    assert ids(sub, sc.Status.SKIPPED) == ["t1", "t2"]
    assert s.d.read() == 10
    assert CALLS == ["double", "add", "double", "add"]


def test_non_skippable_tasks_always_run() -> None:
    s = sc.create_scenario(chain(skippable=False))
    s.submit()
    s.submit()
    assert CALLS == ["double", "add", "double", "add"]


def test_a_second_scenario_with_the_same_inputs_reuses_work() -> None:
    cfg = chain()
    sc.create_scenario(cfg).submit()
    other = sc.create_scenario(cfg)
    sub = other.submit()
    # reused, not run; COMPLETED: this scenario's tasks had no result yet (as Taipy reports it)
    assert ids(sub, sc.Status.COMPLETED) == ["t1", "t2"] and all(j.reused_from for j in sub.jobs)
    assert other.d.read() == 10


def test_dict_input_binds_by_name_and_tuple_return_fills_outputs() -> None:
    x = Config.configure_data_node("x", default_data=1)
    y = Config.configure_data_node("y", default_data=100)
    total = Config.configure_data_node("total")
    tens = Config.configure_data_node("tens")
    units = Config.configure_data_node("units")
    t_add = Config.configure_task("adder", add, input={"y": y, "x": x}, output=total)
    t_split = Config.configure_task("splitter", split, input=[total], output=[tens, units])
    s = sc.create_scenario(Config.configure_scenario("named", task_configs=[t_add, t_split]))
    s.submit()
    assert (s.total.read(), s.tens.read(), s.units.read()) == (101, 10, 1)


def test_dataframes_round_trip_as_their_own_kind() -> None:
    n = Config.configure_data_node("n", default_data=5)
    frame = Config.configure_data_node("frame")
    t = Config.configure_task("make_frame", to_frame, input=[n], output=[frame], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("frames", task_configs=[t]))
    s.submit()
    out = s.frame.read()
    assert isinstance(out, pl.DataFrame) and out["sq"].to_list() == [0, 1, 4, 9, 16]
    pdf = pd.DataFrame({"a": [1.5, 2.5], "b": ["x", "y"]}, index=[10, 20])
    s.frame.write(pdf)
    back = s.frame.read()
    assert isinstance(back, pd.DataFrame)
    pd.testing.assert_frame_equal(back, pdf)


def test_every_write_is_a_version() -> None:
    s = sc.create_scenario(chain())
    s.a.write(7, comment="try seven")
    s.a.write({"nested": [1, 2]})
    assert s.a.read() == {"nested": [1, 2]}
    assert s.a.read(version=1) == 3
    assert s.a.read(version=2) == 7
    history = s.a.history()
    assert [h["writer"] for h in history] == ["default", "user", "user"]
    assert history[1]["comment"] == "try seven"
    assert s.a.version == 3


def test_global_scope_is_shared_and_scenario_scope_is_not() -> None:
    shared = Config.configure_data_node("shared", scope=Scope.GLOBAL, default_data=1)
    own = Config.configure_data_node("own", default_data=1)
    out = Config.configure_data_node("out")
    t = Config.configure_task("adder", add, input=[shared, own], output=[out])
    cfg = Config.configure_scenario("scoped", task_configs=[t])
    s1, s2 = sc.create_scenario(cfg), sc.create_scenario(cfg)
    assert s1.shared.id == s2.shared.id and s1.own.id != s2.own.id
    s1.shared.write(50)
    s2.submit()
    assert s2.out.read() == 51


def test_failure_marks_job_failed_abandons_dependants_and_keeps_values() -> None:
    def boom(x):
        raise ValueError(f"bad value {x}")

    a = Config.configure_data_node("a", default_data=1)
    b = Config.configure_data_node("b", default_data="before")
    c = Config.configure_data_node("c")
    t1 = Config.configure_task("explode", boom, input=[a], output=[b])
    t2 = Config.configure_task("after", double, input=[b], output=[c])
    s = sc.create_scenario(Config.configure_scenario("failing", task_configs=[t1, t2]))
    with pytest.raises(sc.JobFailed) as info:
        s.submit()
    err = info.value
    assert err.task_config_id == "explode"
    assert "ValueError: bad value 1" in str(err) and "raise ValueError" in err.stacktrace
    sub = s.submissions[-1]
    assert [j.status for j in sub.jobs] == [sc.Status.FAILED, sc.Status.ABANDONED]
    assert "explode" in sub.jobs[1].reason
    assert s.b.read() == "before"
    assert CALLS == []


def test_wait_false_returns_at_once_and_wait_joins() -> None:
    s = sc.create_scenario(chain())
    sub = s.submit(wait=False)
    assert sub.wait(timeout=30).status is sc.SubmissionStatus.COMPLETED
    assert s.d.read() == 10


def test_wrong_number_of_outputs_fails_clearly() -> None:
    x = Config.configure_data_node("x", default_data=1)
    o1, o2 = Config.configure_data_node("o1"), Config.configure_data_node("o2")
    t = Config.configure_task("two_out", double, input=[x], output=[o1, o2])
    s = sc.create_scenario(Config.configure_scenario("outs", task_configs=[t]))
    with pytest.raises(sc.JobFailed, match="2 outputs and must return a tuple of 2 values; it returned a single int"):
        s.submit()


def test_lookups_tags_primary_and_delete() -> None:
    cfg = chain()
    when = datetime(2026, 1, 2)  # naive, as Taipy's dates
    s1 = sc.create_scenario(cfg, creation_date=when, name="one")
    s2 = sc.create_scenario(cfg, name="two")
    assert s1.creation_date == when
    assert not s2.is_primary
    sc.set_primary(s2)
    assert s2.is_primary and not s1.is_primary
    s1.add_tag("baseline")
    assert [s.id for s in sc.get_scenarios(tag="baseline")] == [s1.id]
    assert sc.get(s1.id) == s1 and sc.get(s1.a.id).read() == 3
    s1.submit()
    job = sc.get_jobs()[0]
    assert sc.get(job.id).status is sc.Status.COMPLETED and job.duration is not None
    assert set(s1.data_nodes) == {"a", "b", "c", "d"} and set(s1.tasks) == {"t1", "t2"}
    sc.delete(s1.id)
    assert [s.id for s in sc.get_scenarios()] == [s2.id]
    with pytest.raises(sc.NonExistingScenario):
        sc.get(s1.id)


def test_file_backed_csv_changed_in_place_is_rerun(tmp_path) -> None:
    path = tmp_path / "input.csv"
    path.write_text("v\n1\n2\n")
    src = Config.configure_data_node("src", storage_type="csv", path=str(path))
    total = Config.configure_data_node("total")
    t = Config.configure_task("sum_v", lambda df: int(df["v"].sum()), input=[src], output=[total], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("files", task_configs=[t]))
    s.submit()
    assert s.total.read() == 3
    path.write_text("v\n1\n2\n3\n")
    sub = s.submit()
    assert ids(sub, sc.Status.COMPLETED) == ["sum_v"]
    assert s.total.read() == 6
    assert ids(s.submit(), sc.Status.SKIPPED) == ["sum_v"]


def test_in_memory_values_are_not_pickled() -> None:
    handle = Config.configure_data_node("handle", storage_type="in_memory")
    s = sc.create_scenario(Config.configure_scenario("mem", additional_data_node_configs=[handle]))
    unpicklable = lambda: 42  # noqa: E731
    s.handle.write(unpicklable)
    assert s.handle.read() is unpicklable


def test_taipy_names_exist() -> None:
    sc.Orchestrator().run()
    sc.Core().run()
    assert Config.data_nodes == {}
    Config.configure_job_executions(mode="development", max_nb_of_workers=2)
    assert Config.job_config.max_nb_of_workers == 2
