"""Sequences as Taipy has them: from configure_scenario(sequences=...) or added to a
scenario, found as scenario.<name>, scenario.sequences, sc.get, sc.get_sequences, and
submitted on their own with the same skipping and records as a scenario."""

from __future__ import annotations

import pytest

import scenarium as sc
from conftest import CallLog
from scenarium import Config

calls: list[str] = CallLog()


def train(x):
    calls.append("train")
    return x + 1


def predict(x):
    calls.append("predict")
    return x * 10


def plan(x):
    calls.append("plan")
    return x - 1


def pipeline() -> sc.Scenario:
    a, b, c, d = (Config.configure_data_node(n, default_data=1 if n == "a" else None) for n in "abcd")
    t1 = Config.configure_task("training", train, input=a, output=b, skippable=True)
    t2 = Config.configure_task("predicting", predict, input=b, output=c, skippable=True)
    t3 = Config.configure_task("planning", plan, input=c, output=d, skippable=True)
    cfg = Config.configure_scenario(
        "monthly", task_configs=[t1, t2, t3], sequences={"sales": [t1, t2], "production": [t3]}
    )
    return sc.create_scenario(cfg)


def test_configured_sequences_exist_on_every_new_scenario() -> None:
    scenario = pipeline()
    assert sorted(scenario.sequences) == ["production", "sales"]
    sales = scenario.sales
    assert list(sales.tasks) == ["training", "predicting"] and sales.training == scenario.training
    assert sorted(sales.data_nodes) == ["a", "b", "c"] and sales.a == scenario.a
    assert sales.owner_id == scenario.id and sales.get_parents() == {"scenario": {scenario}}
    assert sc.get(sales.id) == sales and sales in sc.get_sequences()


def test_a_sequence_runs_only_its_tasks_and_skips_like_a_scenario() -> None:
    scenario = pipeline()
    calls.clear()
    first = scenario.sales.submit()
    assert calls == ["train", "predict"] and first.entity_id == scenario.sales.id
    assert scenario.c.read() == 20 and not scenario.d.is_ready_for_reading
    second = sc.submit(scenario.sales.id)
    assert [j.status for j in second.jobs] == [sc.Status.SKIPPED] * 2
    scenario.submit()  # the whole scenario: only planning is new
    assert calls == ["train", "predict", "plan"] and scenario.d.read() == 19
    assert sc.get_latest_submission(scenario.sales).id == second.id


def test_sequences_added_and_removed_persist() -> None:
    scenario = pipeline()
    scenario.add_sequence("all_but_plan", [scenario.training, "predicting"])
    scenario.add_sequences({"only_plan": [Config.tasks["planning"]]})
    again = sc.get(scenario.id)
    assert sorted(again.sequences) == ["all_but_plan", "only_plan", "production", "sales"]
    again.remove_sequences(["sales", "production"])
    again.remove_sequence("only_plan")
    assert list(sc.get(scenario.id).sequences) == ["all_but_plan"]
    with pytest.raises(sc.NonExistingEntity, match="'nope'"):
        again.remove_sequence("nope")
    with pytest.raises(sc.InvalidArgument, match='names task "ghost", which is not a task of scenario'):
        again.add_sequence("bad", ["ghost"])
    with pytest.raises(sc.NonExistingEntity):
        sc.get(f"SEQUENCE_sales_{scenario.id}")


def test_an_unknown_attribute_lists_the_sequences_too() -> None:
    scenario = pipeline()
    with pytest.raises(AttributeError, match="sequences: production, sales"):
        scenario.no_such_thing  # noqa: B018


def test_parents_submit_entity_and_deleting_a_sequence() -> None:
    scenario = pipeline()
    sales = scenario.sales
    assert sc.get_parents(scenario.training)["sequence"] == {sales}
    assert sc.get_parents(scenario.b)["sequence"] == {sales}
    assert sc.get_parents(sales) == {"scenario": {scenario}}
    job = sales.submit().jobs[0]
    assert job.submit_entity == sales and job.submit_entity_id == sales.id
    sc.delete(sales.id)
    assert list(sc.get(scenario.id).sequences) == ["production"]


def test_a_sequence_added_with_subscribers_calls_them() -> None:
    scenario = pipeline()
    seen = []
    seq = scenario.add_sequence(
        "train_only", [scenario.training], subscribers=[(lambda s, j, tag: seen.append(tag), ["t"])]
    )
    seq.submit()
    assert "t" in seen and seq.subscribers


def test_sequence_properties_are_kept_and_names_are_not_replaced_silently(tmp_path) -> None:
    """Taipy's add_sequence keeps the properties it is given (in the registry: another
    process sees them), refuses a name already taken, and update_sequence replaces."""
    scenario = pipeline()
    scenario.add_sequence("x", [scenario.training], properties={"owner": "me", "when": 3})
    assert scenario.sequences["x"].properties == {"owner": "me", "when": 3, "name": "x"}
    with pytest.raises(sc.SequenceAlreadyExists, match="'x'"):
        scenario.add_sequence("x", [scenario.predicting])
    with pytest.raises(sc.SequenceAlreadyExists):
        scenario.add_sequences({"x": [scenario.predicting], "y": [scenario.predicting]})
    assert "y" not in scenario.sequences, "all or none"
    scenario.update_sequence("x", [scenario.predicting], {"owner": "you"})
    again = sc.get(scenario.id)
    assert list(again.sequences["x"].tasks) == ["predicting"]
    assert again.sequences["x"].properties == {"owner": "you", "name": "x"}
    with pytest.raises(sc.NonExistingEntity):
        scenario.update_sequence("nope", [scenario.training])
    scenario.remove_sequence("x")
    scenario.add_sequence("x", [scenario.training])
    assert sc.get(scenario.id).sequences["x"].properties == {"name": "x"}, "a removed sequence's properties go"


def test_clean_all_entities() -> None:
    scenario = pipeline()
    scenario.submit()
    assert sc.clean_all_entities("1.0") is True
    assert sc.get_scenarios() == [] and sc.get_submissions() == [] and sc.get_jobs() == []
