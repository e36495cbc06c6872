"""A Python task with ``partitioned=True`` maps over the files of a folder read as
partitions (a csv node with ``partitioned=True``): a new day's file runs the task for
that day alone, a change of the code it reaches runs every day again, a failing day is
named and the others are kept, and the outputs always equal a fresh project's. Each
step runs in a fresh interpreter with a random hash seed; the user's code sits in a
package of several modules, as a project's does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from projects import Project

FILES = {
    "pipeline.py": """
        from scenarium import Config
        from mine import stats

        daily = Config.configure_csv_data_node("daily", default_path="daily", partitioned=True, exposed_type="polars")
        per_day = Config.configure_parquet_data_node("per_day")
        totals = Config.configure_pickle_data_node("totals")
        sums = Config.configure_task("sums", stats.day_sums, daily, per_day, partitioned=True, skippable=True)
        combine = Config.configure_task("combine", stats.combine, per_day, totals, skippable=True)
        scenario_cfg = Config.configure_scenario("daily", [sums, combine])
    """,
    "mine/__init__.py": "",
    "mine/stats.py": """
        import polars as pl
        from mine.helpers import scale, note_call

        def day_sums(day: pl.LazyFrame) -> pl.LazyFrame:
            note_call(day)
            return (
                day.group_by("store")
                .agg((pl.col("amount") * scale()).sum().alias("amount"), pl.len().alias("n"))
                .sort("store")
            )

        def combine(per_day: pl.DataFrame) -> dict:
            out = per_day.group_by("store").agg(pl.col("amount").sum(), pl.col("n").sum()).sort("store")
            return {str(r["store"]): [r["amount"], r["n"]] for r in out.to_dicts()}
    """,
    "mine/helpers.py": """
        import polars as pl

        def scale():
            return 1

        def note_call(day):
            # Which day this call saw, appended for the test to count the calls.
            first = day.select(pl.col("day").first()).collect().item()
            with open("calls.log", "a") as log:
                log.write(f"{first}\\n")
    """,
}

STEP = """
import json, os
import scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=".scenarium", progress=False)
import pipeline
found = [s for s in sc.get_scenarios() if s.config_id == "daily"]
scenario = found[0] if found else sc.create_scenario(pipeline.scenario_cfg)
if os.path.exists("calls.log"):
    os.remove("calls.log")
try:
    submission = scenario.submit()
except sc.exceptions.JobFailed as e:
    submission = sc.get(e.submission_id)
calls = open("calls.log").read().split() if os.path.exists("calls.log") else []
node = scenario.data_nodes.get("totals")
totals = node.read() if node is not None and node.is_ready_for_reading else None
print("RESULT" + json.dumps({
    "jobs": {j.task_config_id: [j.status.name, j.reason] for j in submission.jobs},
    "calls": sorted(calls),
    "totals": totals,
}))
"""


def write_day(root: Path, day: int, bad: bool = False) -> None:
    rows = "".join(f"{day},{i % 3},{'x' if bad and i == 5 else day * i + i % 7}\n" for i in range(200))
    (root / "daily").mkdir(exist_ok=True)
    (root / "daily" / f"2026-01-{day:02d}.csv").write_text("day,store,amount\n" + rows)


def step(project: Project) -> dict:
    out = project.run(STEP)
    assert out.returncode == 0, out.stderr
    return json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))[6:])


def project_with_days(root: Path, days: range) -> Project:
    root.mkdir()
    project = Project(root, FILES)
    for day in days:
        write_day(root, day)
    return project


def fresh_totals(tmp_path: Path, project: Project, name: str) -> dict:
    """The totals of a new project with the same code and the same files."""
    other = tmp_path / name
    shutil.copytree(project.root, other, ignore=shutil.ignore_patterns(".scenarium", "calls.log", "__pycache__"))
    result = step(Project(other, {}))
    assert result["jobs"]["sums"][0] == "COMPLETED"
    return result["totals"]


def test_a_new_day_runs_only_its_partition_and_the_totals_equal_a_fresh_run(tmp_path) -> None:
    project = project_with_days(tmp_path / "p", range(1, 4))
    first = step(project)
    assert first["calls"] == ["1", "2", "3"]
    assert "per_day: 3 partitions, all new" in first["jobs"]["sums"][1]

    write_day(project.root, 4)
    grown = step(project)
    assert grown["calls"] == ["4"], "only the new day's file is read by the task"
    assert "per_day: 1 of 4 partitions new, 3 as in version 1" in grown["jobs"]["sums"][1]
    assert grown["jobs"]["combine"][0] == "COMPLETED"
    assert grown["totals"] == fresh_totals(tmp_path, project, "fresh")

    again = step(project)
    assert {s for s, _ in again["jobs"].values()} == {"SKIPPED"} and again["calls"] == []
    forced = project.run(STEP.replace("scenario.submit()", "scenario.submit(force=True)"))
    assert forced.returncode == 0, forced.stderr
    assert '"calls": ["1", "2", "3", "4"]' in forced.stdout, "a forced submit runs every call again"

    # A day replaced in place: that day again, nothing else.
    write_day(project.root, 2)
    (project.root / "daily" / "2026-01-02.csv").write_text(
        (project.root / "daily" / "2026-01-02.csv").read_text().replace("\n2,0,", "\n2,0,1000", 1)
    )
    replaced = step(project)
    assert replaced["calls"] == ["2"]
    assert replaced["totals"] == fresh_totals(tmp_path, project, "fresh-replaced")


def test_code_a_partition_reaches_changed_runs_every_partition_again(tmp_path) -> None:
    project = project_with_days(tmp_path / "p", range(1, 4))
    step(project)
    project.edit("mine/helpers.py", "return 1", "return 3")
    edited = step(project)
    assert edited["calls"] == ["1", "2", "3"], edited["jobs"]["sums"]
    assert "mine.helpers.scale" in edited["jobs"]["sums"][1]
    assert edited["totals"] == fresh_totals(tmp_path, project, "fresh")

    # What the runs were seen to touch, lost: the partitions are not taken on trust.
    shutil.rmtree(project.root / ".scenarium" / "recorded")
    forgot = step(project)
    assert forgot["totals"] == edited["totals"]
    if forgot["jobs"]["sums"][0] == "COMPLETED":
        assert forgot["calls"] == ["1", "2", "3"], "memos under another identity are not taken"


def test_a_failing_partition_is_named_and_the_partitions_made_are_kept(tmp_path) -> None:
    project = project_with_days(tmp_path / "p", [1, 3])
    write_day(project.root, 2, bad=True)
    failed = step(project)
    status, reason = failed["jobs"]["sums"]
    assert status == "FAILED"
    assert "partition '2026-01-02.csv' of 3" in reason and "kept for the next run" in reason, reason
    assert failed["jobs"]["combine"][0] == "ABANDONED"

    write_day(project.root, 2)
    fixed = step(project)
    assert fixed["jobs"]["sums"][0] == "COMPLETED"
    assert fixed["calls"] == ["2", "3"], "day 1, made before the failure, is not made again"
    assert fixed["totals"] == fresh_totals(tmp_path, project, "fresh")


def test_what_cannot_be_partitioned_is_said_with_the_names(tmp_path) -> None:
    files = {
        "pipeline.py": """
            from scenarium import Config
            from mine import stats

            plain = Config.configure_pickle_data_node("plain", default_data=3)
            out = Config.configure_pickle_data_node("out")
            daily = Config.configure_csv_data_node("daily", default_path="daily", partitioned=True)
            t = Config.configure_task("t", stats.double, plain, out, partitioned=True)
            scenario_cfg = Config.configure_scenario("daily", [t], additional_data_node_configs=[daily])
        """,
        "mine/__init__.py": "",
        "mine/stats.py": "def double(x):\n    return 2 * x\n",
    }
    root = tmp_path / "p"
    root.mkdir()
    project = Project(root, files)
    write_day(root, 1)
    out = project.run(
        """
import scenarium as sc
from scenarium import Config
from scenarium.exceptions import NotSerializable
Config.configure_core(storage_folder=".scenarium", progress=False)
import pipeline
s = sc.create_scenario(pipeline.scenario_cfg)
try:
    s.submit()
except sc.exceptions.JobFailed as e:
    print("REASON", e)
try:
    s.daily.write([1, 2])
except NotSerializable as e:
    print("REFUSED", e)
print("DAYS", s.daily.read().shape)
"""
    )
    assert out.returncode == 0, out.stderr
    assert "task 't' is partitioned, but none of its inputs ('plain') holds partitions" in out.stdout
    assert "REFUSED data node 'daily'" in out.stdout and "partitioned=True" in out.stdout
    assert "DAYS (200, 3)" in out.stdout


def test_a_native_task_cannot_be_partitioned_unless_it_can(tmp_path) -> None:
    from scenarium import Config
    from scenarium.exceptions import ConfigError
    from scenarium.tasks import customer_analysis as ca

    with pytest.raises(ConfigError, match="native task customer_analysis.segment_analysis is not one"):
        Config.configure_task("t", ca.segment_analysis, partitioned=True)


def test_a_folder_holds_only_its_tables_in_natural_order_and_an_odd_file_is_named(tmp_path, monkeypatch) -> None:
    import polars as pl

    import scenarium as sc
    from scenarium import Config
    from scenarium.exceptions import StorageError

    monkeypatch.chdir(tmp_path)
    days = tmp_path / "days"
    days.mkdir()
    for day in (10, 9, 2):
        (days / f"day-{day}.csv").write_text(f"day,amount\n{day},{day * 1.5}\n")
    (days / "README.txt").write_text("sales by day\n")  # not a partition
    (days / "_SUCCESS").write_text("")
    Config.configure_core(storage_folder=str(tmp_path / ".scenarium"), progress=False)
    daily = Config.configure_csv_data_node("daily", default_path="days", partitioned=True, exposed_type="polars")
    empty = Config.configure_csv_data_node("empty", default_path="nothing_yet", partitioned=True)
    (tmp_path / "nothing_yet").mkdir()
    scenario = sc.create_scenario(Config.configure_scenario("s", [], additional_data_node_configs=[daily, empty]))
    assert scenario.daily.read()["day"].to_list() == [2, 9, 10], "natural order, the README left out"
    empty_frame = scenario.empty.read()
    assert type(empty_frame).__module__.startswith("pandas") and len(empty_frame) == 0, "the node's exposed type"

    (days / "day-11.csv").write_text("day,amount\n")  # a day with no rows: its columns read as text
    with pytest.raises(StorageError, match=r"partition 'day-11.csv' has columns .*partition 'day-2.csv'"):
        scenario.daily.read()
    del pl


def test_a_partition_call_must_return_a_table(tmp_path) -> None:
    files = {
        "pipeline.py": """
            from scenarium import Config
            from mine import stats

            daily = Config.configure_csv_data_node("daily", default_path="daily", partitioned=True)
            out = Config.configure_pickle_data_node("out")
            t = Config.configure_task("rows", stats.as_list, daily, out, partitioned=True)
            scenario_cfg = Config.configure_scenario("daily", [t])
        """,
        "mine/__init__.py": "",
        "mine/stats.py": "def as_list(day):\n    return day.to_dict('records')\n",
    }
    root = tmp_path / "p"
    root.mkdir()
    project = Project(root, files)
    write_day(root, 1)
    result = step(project)
    status, reason = result["jobs"]["rows"]
    assert status == "FAILED"
    assert "output 'out' of partitioned task 'rows' must be a table per partition" in reason, reason
    assert "it returned a list" in reason, reason


def test_the_same_bytes_stored_from_pandas_instead_of_polars_run_the_reader_again(tmp_path) -> None:
    """What a task is handed depends on the stored format (csv/polars or csv/pandas), not
    only on the bytes: a writer switching libraries makes its readers run again."""
    files = {
        "pipeline.py": """
            from scenarium import Config
            from mine import stats

            daily = Config.configure_csv_data_node(
                "daily", default_path="daily", partitioned=True, exposed_type="polars"
            )
            per_day = Config.configure_csv_data_node("per_day")
            kinds = Config.configure_pickle_data_node("kinds")
            copy = Config.configure_task("copy", stats.copy, daily, per_day, partitioned=True, skippable=True)
            kind = Config.configure_task("kind", stats.kind, per_day, kinds, skippable=True)
            scenario_cfg = Config.configure_scenario("daily", [copy, kind])
        """,
        "mine/__init__.py": "",
        "mine/stats.py": """
            def copy(day):
                return day

            def kind(frame):
                return type(frame).__module__.split(".")[0]
        """,
    }
    root = tmp_path / "p"
    root.mkdir()
    project = Project(root, files)
    write_day(root, 1)
    write_day(root, 2)
    show = (
        "\ns = sc.get_scenarios()[0]"
        "\nprint('KIND', s.kinds.read())"
        "\nprint('BYTES', s.per_day._engine.latest_version(s.per_day.id).value.fingerprint)"
    )
    first = project.run(STEP + show)
    assert first.returncode == 0, first.stderr
    assert "KIND polars" in first.stdout
    project.edit("mine/stats.py", "return day\n", "return day.to_pandas()\n")
    second = project.run(STEP + show)
    assert second.returncode == 0, second.stderr
    assert "KIND pandas" in second.stdout, second.stdout
    fingerprints = [line for out in (first, second) for line in out.stdout.splitlines() if line.startswith("BYTES")]
    assert fingerprints[0] == fingerprints[1], "the same bytes: only the format changed"


def test_a_function_polars_calls_on_its_threads_while_the_output_is_stored_is_recorded(tmp_path) -> None:
    """The task returns a LazyFrame whose map_elements calls a plugin found by name: polars
    runs it on its own threads while the output is sunk, after the task returned. An edit
    of the plugin runs the task again (found by a user: it was served stale)."""
    files = {
        "pipeline.py": """
            from scenarium import Config
            import mine.plugins_a, mine.plugins_b  # a plugin registry imports them up front
            from mine import stats

            daily = Config.configure_csv_data_node(
                "daily", default_path="daily", partitioned=True, exposed_type="polars"
            )
            per_day = Config.configure_parquet_data_node("per_day", exposed_type="polars")
            sums = Config.configure_task("sums", stats.convert, daily, per_day, partitioned=True, skippable=True)
            scenario_cfg = Config.configure_scenario("daily", [sums])
        """,
        "mine/__init__.py": "",
        "mine/plugins_a.py": "def conv(x):\n    return x * 2\n",
        "mine/plugins_b.py": "def conv(x):\n    return x * 3\n",
        "mine/stats.py": """
            import importlib
            import polars as pl

            def convert(day: pl.LazyFrame) -> pl.LazyFrame:
                kind = day.select(pl.col("kind").first()).collect().item()
                plugin = importlib.import_module("mine.plugins_" + kind)
                return day.select(pl.col("x").map_elements(plugin.conv, return_dtype=pl.Int64))
        """,
    }
    root = tmp_path / "p"
    root.mkdir()
    project = Project(root, files)
    (root / "daily").mkdir()
    (root / "daily" / "a.csv").write_text("kind,x\na,1\na,2\n")
    (root / "daily" / "b.csv").write_text("kind,x\nb,5\n")
    show = "\nprint('X', sc.get_scenarios()[0].per_day.read()['x'].to_list())"
    first = project.run(STEP + show)
    assert first.returncode == 0, first.stderr
    assert "X [2, 4, 15]" in first.stdout
    project.write({"mine/plugins_b.py": "def conv(x):\n    return x * 4\n"})
    edited = project.run(STEP + show)
    assert edited.returncode == 0, edited.stderr
    assert "X [2, 4, 20]" in edited.stdout, edited.stdout


def test_a_missing_folder_is_named_when_the_job_waits_for_it(tmp_path, monkeypatch) -> None:
    import scenarium as sc
    from scenarium import Config
    from scenarium.exceptions import BlockedJobWarning

    monkeypatch.chdir(tmp_path)
    Config.configure_core(storage_folder=str(tmp_path / ".scenarium"), progress=False)
    daily = Config.configure_csv_data_node("daily", default_path="days", partitioned=True)
    out = Config.configure_pickle_data_node("out")
    task = Config.configure_task("t", len, daily, out, partitioned=True)
    scenario = sc.create_scenario(Config.configure_scenario("s", [task]))
    with pytest.warns(BlockedJobWarning, match=r"daily reads its partitions from days, which does not exist"):
        scenario.submit()
