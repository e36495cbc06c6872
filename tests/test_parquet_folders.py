"""A parquet data node whose path is a folder: a partitioned dataset, read as one
table and written partitioned, as in Taipy, with versions like every other node
(issue 21: "configure_parquet_data_node (... partitioned folders)")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import scenarium as sc
from scenarium import Config, Scope

LOGS = pd.DataFrame({"log_level": ["ERROR", "INFO", "CRITICAL", "INFO"], "message": ["a", "b", "c", "d"]})


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def logs_node(**extra):
    """The user manual's complete parquet example (data-node-config_parquet-complete.py)."""
    return Config.configure_parquet_data_node(
        id="log_history",
        default_path="path/hist_log.parquet",
        engine="pyarrow",
        compression="snappy",
        read_kwargs={"filters": [("log_level", "in", {"ERROR", "CRITICAL"})]},
        write_kwargs={"partition_cols": ["log_level"], "compression": None},
        **extra,
    )


def scenario_with(*nodes, tasks=()):
    return sc.create_scenario(
        Config.configure_scenario("s", task_configs=list(tasks), additional_data_node_configs=list(nodes))
    )


def test_the_manuals_partitioned_example_writes_a_folder_and_reads_it_filtered(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.warns(DeprecationWarning, match="modin"):
        cfg = logs_node(exposed_type="modin")  # as the manual writes it: read as pandas
    assert cfg.properties["exposed_type"] == "pandas"
    assert not [i for i in Config.check() if i.level == "error"]
    dn = scenario_with(cfg).log_history
    dn.write(LOGS)
    folder = tmp_path / "path" / "hist_log.parquet"
    assert files_under(folder) == [f"log_level={level}/part-0.parquet" for level in ("CRITICAL", "ERROR", "INFO")]
    table = pq.read_table(folder / "log_level=INFO" / "part-0.parquet")
    assert table.column("message").to_pylist() == ["b", "d"]
    assert (
        pq.ParquetFile(folder / "log_level=INFO" / "part-0.parquet").metadata.row_group(0).column(0).compression
        == "UNCOMPRESSED"
    )
    read = dn.read()  # the filter of read_kwargs applies
    assert sorted(read["message"]) == ["a", "c"] and set(read["log_level"].astype(str)) == {"ERROR", "CRITICAL"}
    everything = dn.read_with_kwargs(filters=None)
    assert sorted(zip(everything["log_level"].astype(str), everything["message"])) == sorted(
        zip(LOGS["log_level"], LOGS["message"])
    )


def test_a_new_version_replaces_the_folder_whole_and_old_versions_stay_readable(tmp_path, monkeypatch) -> None:
    """Taipy's write adds files to an existing dataset (pyarrow's default), so rows of the
    old value stay in it; here a write means the node holds exactly the new value."""
    monkeypatch.chdir(tmp_path)
    dn = scenario_with(logs_node()).log_history
    dn.write(LOGS)
    dn.write(LOGS[LOGS.log_level != "CRITICAL"])
    folder = tmp_path / "path" / "hist_log.parquet"
    assert files_under(folder) == ["log_level=ERROR/part-0.parquet", "log_level=INFO/part-0.parquet"]
    assert list(dn.read()["message"]) == ["a"]
    assert sorted(dn.read(version=1)["message"]) == ["a", "c"]
    dn.write(LOGS)  # the same content as version 1: the same folder, the same fingerprint
    history = dn.history()
    assert history[0]["fingerprint"] == history[2]["fingerprint"] != history[1]["fingerprint"]
    assert not list((tmp_path / ".scenarium" / "objects" / "tmp").iterdir()), "nothing left in the store's tmp"


def partitioned_by_another_program(folder: Path, year_rows: dict[int, list[float]]) -> None:
    for year, amounts in year_rows.items():
        (folder / f"year={year}").mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"amount": amounts}), folder / f"year={year}" / "data.parquet")


TOTAL = "def total(sales):\n    return float(sales['amount'].sum())\n"


def test_a_folder_written_elsewhere_is_read_versioned_and_skipped_exactly(tmp_path, monkeypatch) -> None:
    """A dataset another program writes (one file per year): a task reading it is
    skipped while the folder holds the same files and re-runs when one changes or
    one is added; each state the task read stays readable as a version."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "sales_tasks.py").write_text(TOTAL)
    import sales_tasks

    folder = tmp_path / "sales"
    partitioned_by_another_program(folder, {2020: [1.0, 2.0], 2021: [10.0]})
    sales = Config.configure_parquet_data_node("sales", default_path="sales", scope=Scope.GLOBAL)
    total = Config.configure_data_node("total")
    task = Config.configure_task("sum", sales_tasks.total, sales, total, skippable=True)
    assert not [i for i in Config.check() if i.level == "error"]
    scenario = scenario_with(tasks=[task])
    assert scenario.submit().jobs[0].status.name == "COMPLETED"
    assert scenario.total.read() == 13.0
    assert scenario.submit().jobs[0].status.name == "SKIPPED"
    partitioned_by_another_program(folder, {2022: [100.0]})  # a new partition
    assert scenario.submit().jobs[0].status.name == "COMPLETED"
    assert scenario.total.read() == 113.0
    partitioned_by_another_program(folder, {2020: [5.0]})  # a partition rewritten in place
    scenario.submit()
    assert scenario.total.read() == 115.0
    versions = scenario.sales.history()
    assert [v["writer"] for v in versions] == ["external"] * 3
    assert sorted(scenario.sales.read(version=1)["amount"]) == [1.0, 2.0, 10.0]
    assert set(scenario.sales.read(version=2)["year"].astype(int)) == {2020, 2021, 2022}
    assert scenario.submit().jobs[0].status.name == "SKIPPED"


def test_polars_and_lazy_reads_see_the_partition_column(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    partitioned_by_another_program(tmp_path / "sales", {2020: [1.0, 2.0], 2021: [10.0]})
    sales = Config.configure_parquet_data_node("sales", default_path="sales", exposed_type="polars")
    dn = scenario_with(sales).sales
    frame = dn.read()
    assert isinstance(frame, pl.DataFrame)
    assert sorted(frame.select("year", "amount").rows()) == [(2020, 1.0), (2020, 2.0), (2021, 10.0)]
    lazy = dn.read(lazy=True)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.filter(pl.col("year") == 2021).collect()["amount"].to_list() == [10.0]
    dn.write(pl.DataFrame({"amount": [7.0]}))  # no partition_cols: one file in the folder
    assert files_under(tmp_path / "sales") == ["part-0.parquet"]
    assert dn.read()["amount"].to_list() == [7.0]


def test_append_to_a_partitioned_node_adds_rows_to_their_partitions(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    dn = scenario_with(logs_node()).log_history
    dn.write(LOGS)
    dn.append(pd.DataFrame({"log_level": ["ERROR", "DEBUG"], "message": ["e", "f"]}))
    folder = tmp_path / "path" / "hist_log.parquet"
    assert "log_level=DEBUG/part-0.parquet" in files_under(folder)
    assert sorted(dn.read()["message"]) == ["a", "c", "e"]
    assert len(dn.read_with_kwargs(filters=None)) == 6
    assert len(dn.read(version=1)) == 2


def test_a_folder_edited_by_hand_while_a_version_is_kept_is_put_back_on_skip(tmp_path, monkeypatch) -> None:
    """The copy at the path is scenarium's: a task writing the folder that is skipped
    puts its output's version back over files edited by hand (as for single files)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "log_tasks.py").write_text(
        "import pandas as pd\n"
        "def logs(n):\n"
        "    return pd.DataFrame({'log_level': ['ERROR', 'INFO'] * n, 'message': [str(i) for i in range(2 * n)]})\n"
    )
    import log_tasks

    n = Config.configure_data_node("n", default_data=2)
    out = logs_node()
    scenario = scenario_with(tasks=[Config.configure_task("make", log_tasks.logs, n, out, skippable=True)])
    scenario.submit()
    folder = tmp_path / "path" / "hist_log.parquet"
    before = {name: (folder / name).read_bytes() for name in files_under(folder)}
    (folder / "log_level=ERROR" / "part-0.parquet").unlink()
    (folder / "stray.txt").write_text("x")
    assert scenario.submit().jobs[0].status.name == "SKIPPED"
    assert {name: (folder / name).read_bytes() for name in files_under(folder)} == before


def test_a_stored_folder_altered_in_the_store_is_unpacked_again(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    dn = scenario_with(logs_node()).log_history
    dn.write(LOGS)
    assert sorted(dn.read(version=1)["message"]) == ["a", "c"]
    for part in (tmp_path / ".scenarium" / "objects" / "trees").rglob("*.parquet"):
        pq.write_table(pa.table({"message": ["forged"]}), part)
    assert sorted(dn.read(version=1)["message"]) == ["a", "c"]


def test_a_partitioned_output_of_a_standalone_worker(tmp_path) -> None:
    """The worker processes store the folder through their own object store."""
    (tmp_path / "jobs.py").write_text(
        textwrap.dedent(
            """
            import pandas as pd
            import scenarium as sc
            from scenarium import Config

            def logs(n):
                return pd.DataFrame({"log_level": ["ERROR", "INFO"] * n, "message": [str(i) for i in range(2 * n)]})

            if __name__ == "__main__":
                Config.configure_job_executions(mode="standalone", max_nb_of_workers=2)
                n = Config.configure_data_node("n", default_data=3)
                out = Config.configure_parquet_data_node(
                    "out", default_path="out", write_kwargs={"partition_cols": ["log_level"]})
                task = Config.configure_task("make", logs, n, out)
                scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[task]))
                scenario.submit()
                print(sorted(scenario.out.read()["message"]))
            """
        )
    )
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    done = subprocess.run(
        [sys.executable, "jobs.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([str(i) for i in range(6)])
    assert files_under(tmp_path / "out") == ["log_level=ERROR/part-0.parquet", "log_level=INFO/part-0.parquet"]


def test_the_toml_form_round_trips(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Config.configure_parquet_data_node(
        "log_history",
        default_path="logs",
        read_kwargs={"columns": ["message"]},
        write_kwargs={"partition_cols": ["log_level"], "compression": "zstd"},
    )
    Config.export(tmp_path / "c.toml")
    Config._reset()
    Config.load(tmp_path / "c.toml")
    loaded = Config.data_nodes["log_history"].properties
    assert loaded["write_kwargs"] == {"partition_cols": ["log_level"], "compression": "zstd"}
    assert not [i for i in Config.check() if i.level == "error"]
    dn = scenario_with(Config.data_nodes["log_history"]).log_history
    dn.write(LOGS)
    assert sorted(dn.read()["message"]) == ["a", "b", "c", "d"] and list(dn.read().columns) == ["message"]
    part = tmp_path / "logs" / "log_level=INFO" / "part-0.parquet"
    assert pq.ParquetFile(part).metadata.row_group(0).column(0).compression == "ZSTD"


def test_append_keeps_the_columns_read_kwargs_leave_out(tmp_path, monkeypatch) -> None:
    """read_kwargs shape what read() returns, not what append() adds to (one file too)."""
    monkeypatch.chdir(tmp_path)
    cfg = Config.configure_parquet_data_node("t", default_path="t.parquet", read_kwargs={"columns": ["a"]})
    dn = scenario_with(cfg).t
    dn.write(pd.DataFrame({"a": [1], "b": ["x"]}))
    dn.append(pd.DataFrame({"a": [2], "b": ["y"]}))
    assert pd.read_parquet(tmp_path / "t.parquet").to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
