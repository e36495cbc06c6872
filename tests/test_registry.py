"""The execution registry: lineage, comparison, versions, duplication, deletion, gc."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta

import polars as pl
import pytest

import scenarium as sc
from conftest import ids
from scenarium import Config

pytest.importorskip("dask.dataframe")


@pytest.fixture
def article(article_dir, capsys):
    import config

    yield config
    capsys.readouterr()


def test_lineage_across_the_four_tasks(article) -> None:
    s = sc.create_scenario(article.scenario_cfg)
    s.submit()
    s.payment_threshold.write(1600, comment="generous")
    s.submit()
    s.metric.write("median")
    s.submit()
    s.summary_statistic_type.write("max")
    s.submit()
    lin = sc.lineage(s.high_value_summary_df)
    by_node = {r["node"]: r for r in lin}
    top = lin.rows[0]
    assert top["node"] == "high_value_summary_df@4" and top["task"] == "high_value_cust_summary_statistics"
    assert top["inputs"] == ["segment_result@3", "segmented_customer_df@2", "summary_statistic_type@2"]
    assert by_node["segment_result@3"]["inputs"] == ["segmented_customer_df@2", "metric@2"]
    assert by_node["segmented_customer_df@2"]["inputs"] == ["scored_df@1", "payment_threshold@2", "score_threshold@1"]
    assert by_node["scored_df@1"]["inputs"] == ["path_to_data@1"]
    assert by_node["payment_threshold@2"]["writer"] == "user" and by_node["path_to_data@1"]["writer"] == "default"
    assert by_node["segmented_customer_df@2"]["submission_id"] == s.submissions[1].id
    assert by_node["scored_df@1"]["code_fingerprint"]
    assert ("scored_df@1", "segmented_customer_df@2", "featurization_and_segmentation") in lin.edges
    frame = lin.to_frame()
    assert isinstance(frame, pl.DataFrame) and frame.height == len(lin) == 9
    assert "high_value_summary_df@4 written by high_value_cust_summary_statistics" in repr(lin)
    assert "<table>" in lin._repr_html_()
    first = sc.lineage(s.high_value_summary_df, version=1)
    assert first.rows[0]["inputs"][1] == "segmented_customer_df@1"


def test_comparison_of_two_payment_thresholds(article) -> None:
    base = sc.create_scenario(article.scenario_cfg, name="base")
    generous = sc.create_scenario(article.scenario_cfg, name="generous")
    generous.payment_threshold.write(1600)
    base.submit()
    generous.submit()
    cmp = sc.compare_scenarios(base, generous)
    assert "payment_threshold" in cmp.differences and "segmented_customer_df" in cmp.differences
    assert "score_threshold" not in cmp.differences and "scored_df" not in cmp.differences
    row = cmp.table.filter(pl.col("data_node") == "payment_threshold").row(0, named=True)
    assert (row["kind"], row["base"], row["generous"]) == ("parameter", "1000", "1600")
    details = cmp.details["segmented_customer_df"]
    high = details.filter(pl.col("column") == "HighSpender").row(0, named=True)
    assert high["max_abs_diff"] == 1.0 and high["mean [base]"] > high["mean [generous]"]
    only = sc.compare_scenarios(base, generous, data_node_config_id="payment_threshold")
    assert only.table.height == 1
    with pytest.raises(sc.exceptions.NonExistingEntity, match="no data node 'nope'"):
        sc.compare_scenarios(base, generous, data_node_config_id="nope")
    assert "Comparison" in cmp._repr_html_()


def test_configured_comparators_run_as_in_taipy() -> None:
    def difference(a, b):
        return b - a

    x = Config.configure_data_node("x", default_data=1)
    cfg = Config.configure_scenario("cmp", additional_data_node_configs=[x], comparators={"x": difference})
    a, b = sc.create_scenario(cfg), sc.create_scenario(cfg)
    b.x.write(5)
    assert sc.compare_scenarios(a, b)["x"] == {"difference": 4}
    other = sc.create_scenario(Config.configure_scenario("other", additional_data_node_configs=[x]))
    with pytest.raises(sc.ConfigError, match="different configs"):
        sc.compare_scenarios(a, other)


def test_versions_duplicates_tags_primary(article) -> None:
    s = sc.create_scenario(article.scenario_cfg, name="base")
    s.submit()
    copy = sc.duplicate_scenario(s, name="what if")
    assert copy.name == "what if" and copy.id != s.id and not copy.is_primary
    assert copy.payment_threshold.read() == 1000
    assert copy.scored_df.read().equals(s.scored_df.read())
    assert ids(copy.submit(), sc.Status.SKIPPED) == [  # its outputs already hold the results: up to date
        "preprocess_and_score",
        "featurization_and_segmentation",
        "segment_analysis",
        "high_value_cust_summary_statistics",
    ]
    copy.payment_threshold.write(1600)
    assert s.payment_threshold.read() == 1000, "the copy has its own parameters"
    sc.tag(copy, "what-if")
    assert [x.id for x in sc.get_scenarios(tag="what-if")] == [copy.id]
    sc.untag(copy, "what-if")
    assert sc.get_scenarios(tag="what-if") == []
    assert sc.get_primary(article.scenario_cfg) == s
    sc.set_primary(copy)
    assert sc.get_primary("scenario_1") == copy
    versions = sc.get_versions()
    assert len(versions) == 1 and versions[0]["scenarios"] == 2 and versions[0]["config_id"] == "scenario_1"
    Config.configure_data_node("score_threshold", default_data=2.0)
    article.score_threshold_cfg.properties["default_data"] = 2.0
    sc.create_scenario(article.scenario_cfg)
    assert [v["scenarios"] for v in sc.get_versions()] == [2, 1]


def test_gc_frees_deleted_scenarios_objects_only(article) -> None:
    keep = sc.create_scenario(article.scenario_cfg)
    keep.submit()
    drop = sc.create_scenario(article.scenario_cfg)
    drop.payment_threshold.write(1234)
    drop.submit()
    sc.delete(drop)
    report = sc.gc(grace_period=timedelta(0))
    # Its segmented frame and segment table; the scores and the summary equal keep's.
    assert report.objects_deleted == 2 and report.bytes_freed > 0
    for name in ["scored_df", "segmented_customer_df", "segment_result", "high_value_summary_df"]:
        getattr(keep, name).read()
    assert ids(keep.submit(), sc.Status.SKIPPED)
    again = sc.gc(grace_period=timedelta(0))
    assert again.objects_deleted == 0
    assert sc.integrity_check() == "ok"


WORKER = """
import sys
import scenarium as sc
from scenarium import Config

Config.configure_core(storage_folder=sys.argv[1])
tag = sys.argv[2]

def add(a, b):
    return a + b

a = Config.configure_data_node("a", default_data=1)
b = Config.configure_data_node("b", default_data=2)
c = Config.configure_data_node("c")
d = Config.configure_data_node("d")
t1 = Config.configure_task("add1", add, input=[a, b], output=[c], skippable=True)
t2 = Config.configure_task("add2", add, input=[c, b], output=[d], skippable=True)
cfg = Config.configure_scenario("concurrent", task_configs=[t1, t2])
for i in range(20):
    s = sc.create_scenario(cfg, name=f"{tag}-{i}")
    s.a.write(i)
    s.submit()
"""


def test_two_processes_submitting_at_once(tmp_path, storage) -> None:
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER))
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(storage), tag], cwd=tmp_path, stderr=subprocess.PIPE, text=True
        )
        for tag in ("p", "q")
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert sc.integrity_check() == "ok"
    scenarios = sc.get_scenarios()
    assert sorted(s.name for s in scenarios) == sorted(f"{t}-{i}" for t in "pq" for i in range(20))
    for s in scenarios:
        i = int(s.name.split("-")[1])
        assert (s.c.read(), s.d.read()) == (i + 2, i + 4)
        assert len(s.submissions) == 1 and s.submissions[0].status is sc.SubmissionStatus.COMPLETED


def double(x):
    return 2 * x


def triple(x):
    return 3 * x


def test_submitting_under_a_changed_config_upgrades_or_explains() -> None:
    a, b, c = (
        Config.configure_data_node("a", default_data=1),
        Config.configure_data_node("b"),
        Config.configure_data_node("c"),
    )
    t1 = Config.configure_task("t1", double, input=[a], output=[b], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("evolving", task_configs=[t1]))
    s.submit()
    old_version = s.version
    t2 = Config.configure_task("t2", double, input=[b], output=[c], skippable=True)
    Config.configure_scenario("evolving", task_configs=[t1, t2])
    sub = s.submit()
    assert [(j.task_config_id, j.status.name) for j in sub.jobs] == [("t1", "SKIPPED"), ("t2", "COMPLETED")]
    assert s.c.read() == 4 and s.version != old_version
    assert [v["scenarios"] for v in sc.get_versions()] == [0, 1]
    Config.configure_task("t1", triple, input=[a], output=[b], skippable=True)
    Config.configure_scenario("evolving", task_configs=[Config.tasks["t1"], t2])
    with pytest.raises(sc.exceptions.ConfigVersionMismatch, match=r'task "t1": function .*double -> .*triple'):
        s.submit()
    assert s.b.read() == 2, "nothing ran"
