"""Subscriptions and events as Taipy has them: subscribe_scenario / subscribe_sequence
callbacks with (entity, job, *params) on each job status change, Scenario.subscribe,
and the Notifier's queues of creation / update / deletion / submission events read
by a CoreEventConsumerBase thread."""

from __future__ import annotations

import queue
import threading

import pytest

import scenarium as sc
from scenarium import Config, EventEntityType, EventOperation, Notifier


def inc(x):
    return x + 1


def two_scenarios() -> tuple[sc.Scenario, sc.Scenario]:
    a, b = Config.configure_data_node("a", default_data=1), Config.configure_data_node("b")
    t = Config.configure_task("inc", inc, input=a, output=b)
    cfg = Config.configure_scenario("s", task_configs=[t], sequences={"only": [t]})
    return sc.create_scenario(cfg), sc.create_scenario(cfg)


def test_scenario_subscribers_see_each_status_change_with_their_params() -> None:
    first, second = two_scenarios()
    seen: list[tuple[str, str, str]] = []

    def everywhere(scenario, job):
        seen.append(("all", scenario.id, job.status.name))

    def with_params(scenario, job, label, n):
        seen.append((f"{label}{n}", scenario.id, job.status.name))

    sc.subscribe_scenario(everywhere)
    sc.subscribe_scenario(with_params, ["p", 1], first)
    assert [s[0] for s in first.subscribers] == [everywhere, with_params]
    sc.submit(first)
    assert ("all", first.id, "COMPLETED") in seen and ("p1", first.id, "COMPLETED") in seen
    assert ("all", first.id, "RUNNING") in seen
    seen.clear()
    sc.unsubscribe_scenario(everywhere, scenario=first)
    first.submit()
    second.submit()
    assert {s[:2] for s in seen} == {("p1", first.id), ("all", second.id)}


def test_a_failing_subscriber_warns_and_the_jobs_go_on() -> None:
    scenario, _ = two_scenarios()

    def broken(scenario, job):
        raise RuntimeError("subscriber bug")

    scenario.subscribe(broken)
    with pytest.warns(UserWarning, match="subscriber bug"):
        done = scenario.submit()
    assert done.jobs[0].status is sc.Status.COMPLETED
    scenario.unsubscribe(broken)
    assert scenario.subscribers == []


def test_sequence_subscribers_get_the_sequence() -> None:
    scenario, _ = two_scenarios()
    got = []
    sc.subscribe_sequence(lambda seq, job: got.append((seq.name, job.status.name)), sequence=scenario.only)
    scenario.only.submit()
    assert ("only", "COMPLETED") in got and scenario.only.subscribers


def test_the_notifier_reports_creations_updates_submissions_and_deletions() -> None:
    registration, events = Notifier.register()
    try:
        scenario, _ = two_scenarios()
        scenario.a.write(5)
        job_id = scenario.submit().jobs[0].id
        sc.delete(scenario)
        found = []
        while True:
            try:
                found.append(events.get_nowait())
            except queue.Empty:
                break
    finally:
        Notifier.unregister(registration)
    kinds = {(e.entity_type, e.operation) for e in found}
    assert (EventEntityType.SCENARIO, EventOperation.CREATION) in kinds
    assert (EventEntityType.DATA_NODE, EventOperation.UPDATE) in kinds
    assert (EventEntityType.SCENARIO, EventOperation.SUBMISSION) in kinds
    assert (EventEntityType.SUBMISSION, EventOperation.CREATION) in kinds
    assert (EventEntityType.SCENARIO, EventOperation.DELETION) in kinds
    statuses = [e.attribute_value for e in found if e.entity_type is EventEntityType.JOB]
    assert statuses[-1] == "COMPLETED" and job_id in {e.entity_id for e in found}


def test_a_consumer_thread_processes_filtered_events() -> None:
    done = threading.Event()
    got = []

    class Consumer(sc.CoreEventConsumerBase):
        def process_event(self, event):
            got.append(event)
            done.set()

    registration, events = Notifier.register(entity_type=EventEntityType.SCENARIO, operation=EventOperation.CREATION)
    consumer = Consumer(registration, events)
    consumer.start()
    try:
        two_scenarios()
        assert done.wait(5)
    finally:
        consumer.stop()
        Notifier.unregister(registration)
    assert got and all(e.entity_type is EventEntityType.SCENARIO for e in got)
