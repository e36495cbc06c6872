"""Task 1 of the article stores a large CSV's scores as partitions of the file (byte
ranges of whole lines): rows appended to the file make only the new partitions, and
every output equals a from-scratch run's and an unpartitioned run's. Each step runs in
a fresh interpreter; small partitions (``SCENARIUM_PART_BYTES``) stand in for 64 MiB."""

from __future__ import annotations

import json
import os
import re
import shutil
import time

import pytest

from projects import Project
from scenarium import datagen

PIPELINE = {
    "pipeline.py": """
        from scenarium import Config
        from scenarium.tasks import customer_analysis as ca
        from mine.lazy import high_spenders

        def node(id, **kw):
            return Config.configure_data_node(id=id, **kw)

        path = node("path_to_data", default_data="customers.csv")
        scored, segmented, segments, summary, spenders = (
            node(n) for n in ("scored_df", "segmented", "segments", "summary", "spenders")
        )
        tasks = [
            Config.configure_task("score", ca.preprocess_and_score, path, scored, skippable=True, partitioned=True),
            Config.configure_task(
                "segment", ca.featurization_and_segmentation,
                [scored, node("payment_threshold", default_data=1000), node("score_threshold", default_data=1.5)],
                segmented, skippable=True,
            ),
            Config.configure_task(
                "analyse", ca.segment_analysis, [segmented, node("metric", default_data="median")], segments,
                skippable=True,
            ),
            Config.configure_task(
                "summarize", ca.high_value_cust_summary_statistics,
                {"df": segmented, "segment_analysis": segments,
                 "summary_statistic_type": node("statistic", default_data="median")},
                summary, skippable=True,
            ),
            Config.configure_task("count_spenders", high_spenders, scored, spenders, skippable=True),
        ]
        scenario_cfg = Config.configure_scenario("article", tasks)
    """,
    "mine/__init__.py": "",
    "mine/lazy.py": """
        import polars as pl

        def high_spenders(scored_df: pl.LazyFrame) -> pl.LazyFrame:
            return (
                scored_df.filter(pl.col("TotalPurchaseAmount") > 900)
                .group_by("NumberOfPurchases")
                .agg(pl.len().alias("customers"), pl.col("TotalPurchaseTime").sum(), pl.col("CUSTOMER_SCORE").max())
                .sort("NumberOfPurchases")
            )
    """,
}

# Every value exactly (floats as their repr), and what the score job said. (The
# user's task sums integers: polars' float sums depend on how its threads split the rows.)
STEP = """
import json
import scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=".scenarium", progress=False)
import pipeline
found = [s for s in sc.get_scenarios() if s.config_id == "article"]
scenario = found[0] if found else sc.create_scenario(pipeline.scenario_cfg)
submission = scenario.submit()
def exact(value):
    rows = value.to_dicts() if hasattr(value, "to_dicts") else value
    return json.loads(json.dumps(rows, default=repr))
stored = scenario.scored_df._engine.latest_version(scenario.scored_df.id).value
print("RESULT" + json.dumps({
    "jobs": {j.task_config_id: [j.status.name, j.reason] for j in submission.jobs},
    "values": {k: exact(scenario.data_nodes[k].read()) for k in ("segments", "summary", "spenders")},
    "rows": scenario.scored_df.read().height,
    "scored_kind": stored.kind,
}))
"""

APPENDED = "".join(
    f"{3_000 + i},41,Spain,{950 + i}.25,{i % 7 + 1},4.5,{i * 13 % 2000},2021-02-03,False\n" for i in range(60)
)


def settle(path) -> None:
    """An mtime a minute old, then a pause: past the fingerprint cache's racy window."""
    old = time.time() - 60
    os.utime(path, (old, old))
    time.sleep(2.1)


def step(project: Project) -> dict:
    out = project.run(STEP)
    assert out.returncode == 0, out.stderr
    return json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))[6:])


def project_with(tmp_path, name: str, csv_bytes: bytes) -> Project:
    root = tmp_path / name
    root.mkdir()
    (root / "customers.csv").write_bytes(csv_bytes)
    settle(root / "customers.csv")
    return Project(root, PIPELINE)


def new_and_total(reason: str) -> tuple[int, int]:
    """(new partitions, partitions) of scored_df, from the score job's reason."""
    found = re.search(r"scored_df: (\d+) of (\d+) partitions new", reason or "")
    if found:
        return int(found[1]), int(found[2])
    found = re.search(r"scored_df: (\d+) partitions, all new", reason or "")
    assert found, reason
    return int(found[1]), int(found[1])


@pytest.fixture
def parts(monkeypatch):
    monkeypatch.setenv("SCENARIUM_PART_BYTES", "4096")


def test_appended_rows_make_only_new_partitions_and_every_output_equals_a_fresh_run(tmp_path, parts, monkeypatch):
    source = tmp_path / "source.csv"
    datagen.write_csv(str(source), 3_000, 5)
    project = project_with(tmp_path, "growing", source.read_bytes())
    first = step(project)
    assert {status for status, _ in first["jobs"].values()} == {"COMPLETED"}, first["jobs"]
    assert first["scored_kind"] == "parts"
    assert re.search(r"scored_df: (\d+) partitions, all new", first["jobs"]["score"][1]), first["jobs"]["score"]

    with (project.root / "customers.csv").open("a") as f:
        f.write(APPENDED)
    settle(project.root / "customers.csv")
    grown = step(project)
    assert grown["jobs"]["score"][0] == "COMPLETED"
    new, total = new_and_total(grown["jobs"]["score"][1])
    assert total > 30 and new <= 3, grown["jobs"]["score"]
    assert grown["rows"] == 3_060

    # The same file from scratch (no partition to take), and not partitioned at all.
    fresh = step(project_with(tmp_path, "fresh", (project.root / "customers.csv").read_bytes()))
    assert f"scored_df: {total} partitions, all new" in fresh["jobs"]["score"][1], fresh["jobs"]["score"]
    monkeypatch.delenv("SCENARIUM_PART_BYTES")
    whole = step(project_with(tmp_path, "whole", (project.root / "customers.csv").read_bytes()))
    assert whole["scored_kind"] == "object"
    for run in (fresh, whole):
        assert run["values"] == grown["values"]
        assert run["rows"] == grown["rows"]

    again = step(project)
    assert {status for status, _ in again["jobs"].values()} == {"SKIPPED"}, again["jobs"]


def test_an_edit_in_the_middle_and_a_fraction_in_an_integer_column_stay_exact(tmp_path, parts):
    source = tmp_path / "source.csv"
    datagen.write_csv(str(source), 2_000, 9)
    project = project_with(tmp_path, "edited", source.read_bytes())
    step(project)
    csv = project.root / "customers.csv"
    text = csv.read_text()
    middle = text.index("\n", len(text) // 2) + 1
    line_end = text.index("\n", middle)
    fields = text[middle:line_end].split(",")
    fields[3] = "99999.99"  # TotalPurchaseAmount of one customer
    csv.write_text(text[:middle] + ",".join(fields) + text[line_end:])
    settle(csv)
    edited = step(project)
    new, total = new_and_total(edited["jobs"]["score"][1])
    assert 1 <= new <= 2, edited["jobs"]["score"]
    assert edited["values"] == step(project_with(tmp_path, "edited-fresh", csv.read_bytes()))["values"]

    with csv.open("a") as f:
        f.write("9999,30,USA,100.25,2.5,4.5,12,2020-01-01,True\n")  # a fraction of purchases
    settle(csv)
    widened = step(project)
    new, total = new_and_total(widened["jobs"]["score"][1])
    assert new == total, "partitions read as integers are not of a float column's table"
    assert widened["values"] == step(project_with(tmp_path, "widened-fresh", csv.read_bytes()))["values"]


def test_a_partitioned_value_exports_and_imports(tmp_path, parts) -> None:
    source = tmp_path / "source.csv"
    datagen.write_csv(str(source), 1_500, 3)
    project = project_with(tmp_path, "exported", source.read_bytes())
    step(project)
    code = """
import scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=".scenarium", progress=False)
import pipeline
s = sc.get_scenarios()[0]
s.export("{archive}", include_data=True)
target = sc.Config
sc.Config.configure_core(storage_folder="imported")
copy = sc.import_scenario("{archive}")
a, b = s.scored_df.read(), copy.scored_df.read()
print("SAME", a.equals(b), a.height, copy.scored_df._engine.latest_version(copy.scored_df.id).value.kind)
""".format(archive=tmp_path / "article.zip")
    out = project.run(code)
    assert out.returncode == 0, out.stderr
    assert "SAME True 1500 parts" in out.stdout, out.stdout


def test_gc_keeps_partitions_a_version_names_and_forgets_memos_of_collected_ones(tmp_path, parts) -> None:
    source = tmp_path / "source.csv"
    datagen.write_csv(str(source), 1_500, 3)
    project = project_with(tmp_path, "collected", source.read_bytes())
    step(project)
    memos = project.root / ".scenarium" / "objects" / "parts"
    count = len(list(memos.iterdir()))
    assert count > 10
    out = project.run(
        "import scenarium as sc\nfrom scenarium import Config\n"
        "Config.configure_core(storage_folder='.scenarium', progress=False)\nimport pipeline\n"
        "s = sc.get_scenarios()[0]\nsc.gc(grace_period=0)\nprint('ROWS', s.scored_df.read().height)\n"
        "sc.delete(s.id)\nsc.gc(grace_period=0)\n"
    )
    assert out.returncode == 0, out.stderr
    assert "ROWS 1500" in out.stdout
    assert not any(memos.iterdir()), "the memos of collected partitions go with them"
    shutil.rmtree(project.root / ".scenarium")


def test_partitioned_is_asked_for_and_refused_where_it_cannot_hold(tmp_path, parts) -> None:
    import scenarium as sc
    from scenarium import Config
    from scenarium.exceptions import ConfigError
    from scenarium.tasks import customer_analysis as ca

    path = Config.configure_data_node("csv_path")
    out = Config.configure_data_node("rows")
    # A Python task maps over partitions (tests/test_partitioned_tasks.py); a native one must be able to.
    assert Config.configure_task("count", len, path, out, partitioned=True).properties["partitioned"] is True
    with pytest.raises(ConfigError, match="segment_analysis is not one"):
        Config.configure_task("analyse", ca.segment_analysis, path, out, partitioned=True)
    with pytest.raises(ConfigError, match="partitioned must be True or False"):
        Config.configure_task("score", ca.preprocess_and_score, path, out, partitioned="yes")
    task = Config.configure_task("score", ca.preprocess_and_score, path, out, partitioned=True)
    assert task.properties["partitioned"] is True

    # From a file: the same rule, said by check() with the file and line.
    toml = tmp_path / "config.toml"
    toml.write_text(
        "[DATA_NODE.a]\n\n[DATA_NODE.b]\n\n"
        '[TASK.count]\nfunction = "scenarium.tasks.customer_analysis.segment_analysis:function"\n'
        'inputs = ["a:SECTION"]\noutputs = ["b:SECTION"]\n'
        'partitioned = "True:bool"\n\n'
        '[SCENARIO.s]\ntasks = ["count:SECTION"]\n'
    )
    Config.load(toml)
    errors = [i for i in Config.check() if i.level == "error"]
    assert any(i.key == "partitioned" and i.line == 9 and "segment_analysis is not one" in i.message for i in errors), (
        errors
    )
    toml.write_text(toml.read_text().replace('"True:bool"', '"often"'))
    Config.load(toml)
    assert any(i.key == "partitioned" for i in Config.check() if i.level == "error")
    del sc


def test_without_partitioned_the_output_is_one_table(tmp_path, parts) -> None:
    source = tmp_path / "source.csv"
    datagen.write_csv(str(source), 1_500, 3)
    project = project_with(tmp_path, "unpartitioned", source.read_bytes())
    project.edit("pipeline.py", ", partitioned=True", "")
    result = step(project)
    assert result["scored_kind"] == "object"
    assert "partitions" not in (result["jobs"]["score"][1] or "")
