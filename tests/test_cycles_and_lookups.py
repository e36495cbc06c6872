"""Cycles and Taipy's look-ups: scenario.cycle, get_cycles, get(cycle_id),
get_cycles_scenarios, get_scenarios(cycle=, is_sorted=...), get_primary(cycle),
get_latest_job/submission, get_entities_by_config_id, exists, task.<node>, Task.submit."""

from __future__ import annotations

from datetime import datetime

import pytest

import scenarium as sc
from scenarium import Config, Frequency, Scope


def double(x):
    return 2 * x


def monthly() -> sc.ScenarioConfig:
    x = Config.configure_data_node("x", default_data=1)
    shared = Config.configure_data_node("month_note", scope=Scope.CYCLE, default_data="")
    y = Config.configure_data_node("y")
    task = Config.configure_task("double", double, input=x, output=y)
    return Config.configure_scenario(
        "plan", task_configs=[task], additional_data_node_configs=[shared], frequency=Frequency.MONTHLY
    )


def at(day: str) -> datetime:
    return datetime.fromisoformat(day)  # naive, as Taipy's dates


def test_scenarios_of_one_month_share_a_cycle_and_its_data_nodes() -> None:
    cfg = monthly()
    nov_a = sc.create_scenario(cfg, creation_date=at("2026-11-03"), name="a")
    nov_b = sc.create_scenario(cfg, creation_date=at("2026-11-28"), name="b")
    dec = sc.create_scenario(cfg, creation_date=at("2026-12-01"), name="c")
    assert nov_a.cycle == nov_b.cycle != dec.cycle
    assert nov_a.cycle.frequency is Frequency.MONTHLY
    assert (nov_a.cycle.start_date, nov_a.cycle.end_date.day) == (at("2026-11-01"), 30)
    assert [c.id for c in sc.get_cycles()] == ["CYCLE_MONTHLY_2026-11", "CYCLE_MONTHLY_2026-12"]
    assert sc.get(nov_a.cycle.id) == nov_a.cycle
    by_cycle = sc.get_cycles_scenarios()
    assert [s.name for s in by_cycle[nov_a.cycle]] == ["a", "b"]
    assert [s.name for s in sc.get_scenarios(cycle=dec.cycle)] == ["c"]
    nov_a.month_note.write("busy")
    assert nov_b.month_note.read() == "busy" and dec.month_note.read() == ""
    assert sc.get_primary(nov_a.cycle) == nov_a  # the first of a cycle is primary
    sc.set_primary(nov_b)
    assert sc.get_primary(nov_a.cycle) == nov_b and sc.get_primary(dec.cycle) == dec


@pytest.mark.parametrize(
    ("frequency", "day", "start", "end"),
    [
        (Frequency.DAILY, "2026-02-28", "2026-02-28", "2026-02-28"),
        (Frequency.WEEKLY, "2026-12-03", "2026-11-30", "2026-12-06"),  # Monday to Sunday
        (Frequency.QUARTERLY, "2026-08-15", "2026-07-01", "2026-09-30"),
        (Frequency.YEARLY, "2026-08-15", "2026-01-01", "2026-12-31"),
    ],
)
def test_each_frequency_has_its_period(frequency, day, start, end) -> None:
    cfg = Config.configure_scenario("s", frequency=frequency)
    cycle = sc.create_scenario(cfg, creation_date=at(day)).cycle
    assert (cycle.start_date.date().isoformat(), cycle.end_date.date().isoformat()) == (start, end)


def test_a_cycle_keeps_the_name_a_user_gives_it(tmp_path) -> None:
    import subprocess
    import sys

    scenario = sc.create_scenario(monthly(), creation_date=at("2022-01-03"))
    assert scenario.cycle.name == "January 2022"  # Taipy's name of the period
    scenario.cycle.name = "January cycle"
    assert sc.get(scenario.cycle.id).name == "January cycle"
    code = (
        "import scenarium as sc; sc.Config.configure_core(storage_folder='.scenarium'); print(sc.get_cycles()[0].name)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "January cycle"
    with pytest.raises(sc.InvalidArgument, match="through a scenario"):
        sc.Cycle(scenario.cycle.id).name = "x"


def test_unknown_cycle_ids_are_clear_errors() -> None:
    with pytest.raises(sc.NonExistingEntity, match="CYCLE_MONTHLY_1999-01"):
        sc.get("CYCLE_MONTHLY_1999-01")
    assert not sc.exists("CYCLE_MONTHLY_1999-01") and not sc.exists("SCENARIO_nope")


def test_sorted_scenarios_and_lookups() -> None:
    cfg = monthly()
    b = sc.create_scenario(cfg, name="b")
    a = sc.create_scenario(cfg, name="a")
    assert [s.name for s in sc.get_scenarios(is_sorted=True)] == ["a", "b"]
    assert [s.name for s in sc.get_scenarios(is_sorted=True, descending=True, sort_key="creation_date")] == ["a", "b"]
    with pytest.raises(sc.InvalidArgument, match="sort_key 'size'"):
        sc.get_scenarios(is_sorted=True, sort_key="size")
    task = a.tasks["double"]
    assert task.x == a.x and task.y == a.y  # inputs and outputs by config id, as Taipy
    assert sc.get_latest_job(task) is None
    first = task.submit()
    second = a.submit()
    assert sc.get_latest_submission(a).id == second.id and sc.get_latest_submission(task).id == first.id
    assert sc.get_latest_job(task).id == second.jobs[0].id
    assert {e.id for e in sc.get_entities_by_config_id("plan")} == {a.id, b.id}
    assert len(sc.get_entities_by_config_id("double")) == 2 and len(sc.get_tasks()) == 2
    assert sc.exists(a.id) and sc.exists(task.id)


def test_global_data_nodes_exist_without_a_scenario_and_are_shared() -> None:
    cfg = Config.configure_data_node("rate", scope=Scope.GLOBAL, default_data=1.5)
    node = sc.create_global_data_node(cfg)
    assert node.read() == 1.5 and node.owner_id is None
    node.write(2.0)
    assert sc.create_global_data_node(cfg).id == node.id  # the existing one
    x = Config.configure_data_node("x", default_data=1)
    t = Config.configure_task("use", double, input=[x], output=Config.configure_data_node("y"))
    scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[t], additional_data_node_configs=[cfg]))
    assert scenario.rate.id == node.id and scenario.rate.read() == 2.0
    with pytest.raises(sc.InvalidArgument, match="only GLOBAL data nodes"):
        sc.create_global_data_node(Config.configure_data_node("local"))


def test_predicates() -> None:
    cfg = monthly()
    first = sc.create_scenario(cfg, creation_date=at("2026-11-02"))
    second = sc.create_scenario(cfg, creation_date=at("2026-11-03"))
    assert sc.is_submittable(first) and sc.is_submittable(first.tasks["double"])
    assert sc.is_promotable(second) and not sc.is_promotable(first)
    assert not sc.is_deletable(first) and sc.is_deletable(second)  # the primary of a cycle with others stays
    assert sc.is_readable(first) and sc.is_editable(first.id) and sc.can_create()
    empty_input = Config.configure_data_node("empty")
    t = Config.configure_task("t", double, input=empty_input, output=Config.configure_data_node("out"))
    blocked = sc.create_scenario(Config.configure_scenario("blocked", task_configs=[t]))
    assert not sc.is_submittable(blocked)


def test_deleting_submissions_and_jobs() -> None:
    scenario = sc.create_scenario(monthly(), name="jan")
    assert scenario.properties == {"name": "jan"}
    first = scenario.submit()
    scenario.submit()
    sc.delete(sc.get_latest_submission(scenario).id)
    assert [s.id for s in sc.get_submissions()] == [first.id]
    job = first.jobs[0]
    sc.delete_job(job)
    assert not sc.exists(job.id) and sc.get(first.id).jobs == []
    scenario.submit()
    sc.delete_jobs()
    assert sc.get_jobs() == []
    assert [j.status for j in scenario.submit().jobs] == [sc.Status.COMPLETED]
    with pytest.raises(sc.NonExistingEntity, match="goes with its scenario"):
        sc.delete(scenario.tasks["double"].id)


def test_deleting_a_cycle_deletes_its_scenarios() -> None:
    cfg = monthly()
    nov = sc.create_scenario(cfg, creation_date=at("2026-11-03"))
    dec = sc.create_scenario(cfg, creation_date=at("2026-12-03"))
    assert sc.get_parents(nov) == {"cycle": {nov.cycle}}
    sc.delete(nov.cycle.id)
    assert [s.id for s in sc.get_scenarios()] == [dec.id] and not sc.exists(nov.id)
