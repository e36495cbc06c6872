"""Skipping is never stale and never needless (DESIGN.md, "Skipping")."""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import scenarium as sc
from conftest import ids
from scenarium import Config

pytest.importorskip("dask.dataframe")

ALL = [
    "preprocess_and_score",
    "featurization_and_segmentation",
    "segment_analysis",
    "high_value_cust_summary_statistics",
]


@pytest.fixture
def article(article_dir, capsys):
    import config

    yield sc.create_scenario(config.scenario_cfg)
    capsys.readouterr()


def test_article_sequence_then_nothing(article) -> None:
    s = article
    assert ids(s.submit(), sc.Status.COMPLETED) == ALL
    s.payment_threshold.write(1600)
    assert ids(s.submit(), sc.Status.COMPLETED) == ALL[1:]
    s.metric.write("median")
    assert ids(s.submit(), sc.Status.COMPLETED) == ALL[2:]
    s.summary_statistic_type.write("max")
    fourth = s.submit()
    assert ids(fourth, sc.Status.COMPLETED) == ALL[3:]
    assert fourth.explain()["high_value_cust_summary_statistics"] == (
        "RAN",
        'input "summary_statistic_type" changed: "median" -> "max"',
    )
    fifth = s.submit()
    assert ids(fifth, sc.Status.SKIPPED) == ALL


def test_same_value_back_old_values_and_twin_scenarios(article) -> None:
    import config

    s = article
    s.submit()
    s.payment_threshold.write(1000)  # the value it already has
    assert ids(s.submit(), sc.Status.SKIPPED) == ALL
    s.payment_threshold.write(1600)
    s.submit()
    before = len(sc.get_jobs())
    s.payment_threshold.write(1000)
    back = s.submit()
    assert ids(back, sc.Status.SKIPPED) == ALL
    assert all(j.status is not sc.Status.COMPLETED for j in sc.get_jobs()[before:])
    assert s.payment_threshold.read() == 1000
    twin = sc.create_scenario(config.scenario_cfg)
    # reused without running; COMPLETED as Taipy reports a twin's first run (see reused_status)
    twin_jobs = twin.submit().jobs
    assert all(j.status is sc.Status.COMPLETED and j.reused_from for j in twin_jobs)
    assert sorted(j.task_config_id for j in twin_jobs) == sorted(ALL)
    assert twin.high_value_summary_df.read().equals(s.high_value_summary_df.read())


def test_csv_rewritten_in_place_with_the_same_size_and_mtime_reruns(article) -> None:
    s = article
    s.submit()
    path = "data/customers_data.csv"
    stat = os.stat(path)
    lines = Path(path).read_text().splitlines(keepends=True)
    # Swap two data rows: same size, different content.
    first, second = lines[1], lines[2]
    lines[1], lines[2] = second, first
    Path(path).write_text("".join(lines))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(path).st_size == stat.st_size and os.stat(path).st_mtime_ns == stat.st_mtime_ns
    again = s.submit()
    assert "preprocess_and_score" in ids(again, sc.Status.COMPLETED)
    assert "content of data/customers_data.csv changed" in again.explain()["preprocess_and_score"][1]
    scored = s.scored_df.read()
    assert scored["TotalPurchaseAmount"].iloc[0] == float(second.split(",")[3])


def write_module(folder, body: str) -> None:
    (folder / "mytasks.py").write_text(textwrap.dedent(body))
    sys.modules.pop("mytasks", None)
    importlib.invalidate_caches()


MODULE = '''
def helper(x):
    return x + 1


def compute(x):
    """Adds one."""
    # a comment
    return helper(x) * 2
'''


@pytest.mark.parametrize(
    ("old", "new", "reruns"),
    [
        ("return helper(x) * 2", "return helper(x) * 3", True),
        ("return x + 1", "return x + 2", True),
        ('"""Adds one."""', '"""Adds one, then doubles."""', False),
        ("# a comment", "# another comment, on a longer line", False),
        ("def compute(x):", "\n\ndef compute(x):", False),  # line numbers move
    ],
)
def test_code_edits(tmp_path, monkeypatch, old, new, reruns) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    write_module(tmp_path, MODULE)
    import mytasks

    x = Config.configure_data_node("x", default_data=1)
    y = Config.configure_data_node("y")
    Config.configure_task("compute", mytasks.compute, input=[x], output=[y], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("code", task_configs=[Config.tasks["compute"]]))
    s.submit()
    assert s.y.read() == 4
    write_module(tmp_path, MODULE.replace(old, new))
    Config._reset()  # a new process would import the edited module
    Config.configure_core(storage_folder=str(tmp_path / ".scenarium"))
    sub = s.submit()
    assert ids(sub, sc.Status.COMPLETED if reruns else sc.Status.SKIPPED) == ["compute"]
    if reruns:
        assert sub.explain()["compute"][1].startswith("the task's code changed: function mytasks.")
    sys.modules.pop("mytasks", None)


def test_closure_values_count() -> None:
    def make(k):
        return lambda v: v * k

    x = Config.configure_data_node("x", default_data=2)
    y = Config.configure_data_node("y")
    t = Config.configure_task("scale", make(3), input=[x], output=[y], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("closures", task_configs=[t]))
    s.submit()
    # Reconfigured in this process: the scenario's task now resolves to the new lambda.
    Config.configure_task("scale", make(5), input=[x], output=[y], skippable=True)
    assert ids(s.submit(), sc.Status.COMPLETED) == ["scale"]
    assert s.y.read() == 10


def test_dry_run_says_what_would_run_and_runs_nothing(article) -> None:
    s = article
    plan = sc.dry_run(s)
    assert [d for _, d, _ in plan] == ["run", "may run", "may run", "may run"]
    s.submit()
    s.metric.write("median")
    plan = s.submit(dry_run=True)
    assert [d for _, d, _ in plan] == ["skip", "skip", "run", "may run"]
    assert plan["segment_analysis"][1] == 'input "metric" changed: "mean" -> "median"'
    assert len(s.submissions) == 1
    assert "segment_analysis" in str(plan) and "<table>" in plan._repr_html_()


def test_cache_false_does_not_borrow_other_scenarios_results() -> None:
    effects = []

    def send(x):
        effects.append(x)
        return x

    x = Config.configure_data_node("x", default_data=1)
    y = Config.configure_data_node("y")
    t = Config.configure_task("send", send, input=[x], output=[y], skippable=True, cache=False)
    cfg = Config.configure_scenario("effects", task_configs=[t])
    a, b = sc.create_scenario(cfg), sc.create_scenario(cfg)
    a.submit()
    b.submit()
    assert effects == [1, 1]
    # `effects` is reached (a closure cell) and the task changed it: it runs again,
    # never guessing that a list it appends to cannot change its result.
    again = b.submit()
    assert ids(again, sc.Status.COMPLETED) == ["send"]
    assert "as the task's own last run left it" in again.jobs[0].reason, again.jobs[0].reason
    assert effects == [1, 1, 1]


def test_values_with_sets_are_fingerprinted_canonically() -> None:
    """A set's pickle follows the hash seed; its fingerprint does not, so a task
    reading it is skipped when the same set is written again (in any order, in any
    process)."""
    labels = Config.configure_data_node("labels", default_data=["a", "b"])
    n = Config.configure_data_node("n")
    t = Config.configure_task("count_tags", len, input=[labels], output=[n], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("sets", task_configs=[t]))
    s.submit()
    assert ids(s.submit(), sc.Status.SKIPPED) == ["count_tags"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.labels.write({"a", "b", "c"})
    assert ids(s.submit(), sc.Status.COMPLETED) == ["count_tags"]
    assert s.n.read() == 3
    s.labels.write({"c", "b", "a"})
    assert ids(s.submit(), sc.Status.SKIPPED) == ["count_tags"], "the same set, written again"


def spread(*xs):
    return max(xs) - min(xs)


def product_mod(*xs):
    out = 1
    for x in xs:
        out = out * (x + 2) % 1009
    return out


def test_two_jobs_of_one_submission_with_one_key_compute_it_once() -> None:
    # t1 waits for t0 while t2 is ready at once: t2 runs first, and t1 (same function,
    # equal input values) reuses t2's result from this very submission.
    p = [Config.configure_data_node(f"p{j}", default_data=0) for j in range(3)]
    o = [Config.configure_data_node(f"o{i}") for i in range(3)]
    t0 = Config.configure_task("t0", spread, input=[p[0], p[0]], output=[o[0]], skippable=True)
    t1 = Config.configure_task("t1", product_mod, input=[o[0], p[2], p[1]], output=[o[1]], skippable=True)
    t2 = Config.configure_task("t2", product_mod, input=[p[1], p[2], p[2]], output=[o[2]], skippable=True)
    s = sc.create_scenario(
        Config.configure_scenario("twins", task_configs=[t0, t1, t2], additional_data_node_configs=p)
    )
    jobs = {j.task_config_id: j for j in s.submit().jobs}
    assert jobs["t1"].cache_key == jobs["t2"].cache_key
    # t1 never ran before: COMPLETED, as Taipy reports it, with t2's result
    assert [jobs[t].status.name for t in ("t0", "t1", "t2")] == ["COMPLETED", "COMPLETED", "COMPLETED"]
    assert jobs["t1"].reused_from == jobs["t2"].id and jobs["t2"].reused_from is None
    assert s.o1.read() == s.o2.read() == 8
