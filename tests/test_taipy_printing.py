"""What Taipy 4.1.1 programs print and rely on, checked against what Taipy really does
(each expected value below was printed by Taipy 4.1.1): cycles' names, dates and labels,
entities printed as labels, compare_scenarios as a dict, a task without inputs or outputs,
a csv node holding a Series, and the status of a job whose result another task computed."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

import scenarium as sc
from scenarium import Config, Frequency

WHEN = datetime(2024, 12, 18, 10, 30)


def last(year: int, month: int, day: int) -> datetime:
    """The last instant of a day, Taipy's end of a cycle."""
    return datetime(year, month, day, 23, 59, 59, 999999)


def ident(v):
    return v


def price(x):
    return x * 1.2


@pytest.mark.parametrize(
    ("frequency", "name", "start", "end"),
    [
        (Frequency.DAILY, "Wednesday, 18. December 2024", datetime(2024, 12, 18), last(2024, 12, 18)),
        (Frequency.WEEKLY, "Week 51 2024, from 16. December", datetime(2024, 12, 16), last(2024, 12, 22)),
        (Frequency.MONTHLY, "December 2024", datetime(2024, 12, 1), last(2024, 12, 31)),
        # Taipy 4.1.1 starts a quarter at the creation date (and ends it before): scenarium's is the quarter
        (Frequency.QUARTERLY, "2024 Q4", datetime(2024, 10, 1), last(2024, 12, 31)),
        (Frequency.YEARLY, "2024", datetime(2024, 1, 1), last(2024, 12, 31)),
    ],
)  # fmt: skip
def test_a_cycle_prints_and_dates_as_taipys(frequency, name, start, end) -> None:
    x = Config.configure_data_node("x", default_data=1)
    y = Config.configure_data_node("y")
    cfg = Config.configure_scenario("s", [Config.configure_task("t", ident, x, y)], frequency=frequency)
    scenario = sc.create_scenario(cfg, creation_date=WHEN)
    sc.create_scenario(cfg, creation_date=WHEN.replace(hour=11))  # later: not the cycle's creation date
    cycle = scenario.cycle
    assert (str(cycle), repr(cycle), cycle.name, cycle.get_label(), cycle.get_simple_label()) == (name,) * 5
    assert (cycle.start_date, cycle.end_date, cycle.creation_date) == (start, end, WHEN)
    assert cycle.creation_date.tzinfo is None and scenario.creation_date.tzinfo is None
    assert str([cycle]) == f"[{name}]"
    assert str(scenario) == f"{name} > s" and str([scenario.x, scenario.t]) == f"[{name} > s > x, {name} > s > t]"
    assert str(sc.get_cycles_scenarios()) == f"{{{name}: [{name} > s, {name} > s]}}"
    job = scenario.submit().jobs[0]
    assert str(job) == f"{name} > s > t > {job.id}"


def test_compare_scenarios_is_taipys_dict_and_keeps_the_rich_view() -> None:
    a = Config.configure_data_node("a", default_data=3)
    p = Config.configure_data_node("p")
    cfg = Config.configure_scenario(
        "cmp", [Config.configure_task("t", price, a, p)], comparators={p.id: lambda *v: list(v)}
    )
    one, two = sc.create_scenario(cfg), sc.create_scenario(cfg)
    two.a.write(3.2)
    one.submit(), two.submit()
    compared = sc.compare_scenarios(one, two)
    assert isinstance(compared, dict) and compared == {"p": {"<lambda>": [3.5999999999999996, 3.84]}}
    assert str(compared) == repr(compared) == "{'p': {'<lambda>': [3.5999999999999996, 3.84]}}"
    assert "Comparison" in compared._repr_html_() and "differs in" in compared.summary
    assert compared.differences == ["a", "p"]


def test_a_task_with_neither_inputs_nor_outputs_runs(capsys) -> None:
    def minimal():
        print("minimal ran")

    cfg = Config.configure_scenario("m", [Config.configure_task("minimal_task", minimal)])
    assert [j.status.name for j in sc.create_scenario(cfg).submit().jobs] == ["COMPLETED"]
    assert "minimal ran" in capsys.readouterr().out
    assert any("neither inputs nor outputs" in i.message and i.level == "warning" for i in Config.check())


def test_a_csv_node_writes_a_series_as_one_column(tmp_path) -> None:
    node = Config.configure_csv_data_node("series_csv", default_path=str(tmp_path / "s.csv"))
    scenario = sc.create_scenario(Config.configure_scenario("c", additional_data_node_configs=[node]))
    scenario.series_csv.write(pd.Series([1, 2, 3], name="v"))
    assert (tmp_path / "s.csv").read_text().split() == ["v", "1", "2", "3"]  # as Taipy writes it
    assert scenario.series_csv.read().equals(pd.DataFrame({"v": [1, 2, 3]}))
    scenario.series_csv.write(pd.Series([4, 5]))
    assert (tmp_path / "s.csv").read_text().split() == ["0", "4", "5"]


def test_a_result_another_task_computed_is_completed_where_taipy_runs_it() -> None:
    a = Config.configure_data_node("a", default_data=3)
    p1, p2 = Config.configure_data_node("p1"), Config.configure_data_node("p2")
    t1 = Config.configure_task("t_price", price, a, p1, skippable=True)
    t2 = Config.configure_task("t_mean", price, a, p2, skippable=True)
    cfg = Config.configure_scenario("twice", [t1, t2])
    s1, s2 = sc.create_scenario(cfg), sc.create_scenario(cfg)

    def statuses(scenario):
        jobs = scenario.submit().jobs
        return sorted((j.task_config_id, j.status.name, j.reused_from is not None) for j in jobs)

    # what Taipy 4.1.1 reports: COMPLETED, COMPLETED, then SKIPPED; scenarium runs price once
    assert statuses(s1) == [("t_mean", "COMPLETED", True), ("t_price", "COMPLETED", False)]
    assert statuses(s2) == [("t_mean", "COMPLETED", True), ("t_price", "COMPLETED", True)]
    assert statuses(s1) == [("t_mean", "SKIPPED", True), ("t_price", "SKIPPED", True)]
    ran = [j for j in sc.get_jobs() if j.reused_from is None]
    assert len(ran) == 1 and s2.p2.read() == s1.p1.read() == 3.5999999999999996


def double(nb):
    return nb * 2


def add(nb):
    return nb + 10


def test_subscribers_and_consumers_see_the_statuses_and_events_taipy_reports() -> None:
    from scenarium.core.notification import CoreEventConsumerBase, Notifier

    seen: list[str] = []
    a = Config.configure_data_node("a", default_data=21)
    b, c = Config.configure_data_node("b"), Config.configure_data_node("c")
    cfg = Config.configure_scenario(
        "subscribed", [Config.configure_task("double", double, a, b), Config.configure_task("add", add, b, c)]
    )
    scenario = sc.create_scenario(cfg)
    scenario.subscribe(lambda _, job: seen.append(f"{job.task_config_id} {job.status.name}"))

    class Consumer(CoreEventConsumerBase):
        def process_event(self, event):
            seen.append(f"{event.entity_type.name} {event.operation.name}")

    consumer = Consumer(*Notifier.register(entity_type=sc.EventEntityType.SUBMISSION))
    consumer.start()
    try:
        scenario.submit()
    finally:
        consumer.stop()
    # what Taipy 4.1.1 reports to the same subscriber and consumer, in this order
    assert seen == [
        "SUBMISSION CREATION",
        "SUBMISSION UPDATE",
        "double PENDING",
        "SUBMISSION UPDATE",
        "add BLOCKED",
        "double RUNNING",
        "SUBMISSION UPDATE",
        "double COMPLETED",
        "SUBMISSION UPDATE",
        "add PENDING",
        "SUBMISSION UPDATE",
        "add RUNNING",
        "SUBMISSION UPDATE",
        "add COMPLETED",
        "SUBMISSION UPDATE",
    ]
