"""Nothing lost: file-backed data nodes (csv, parquet, json with a path) keep every
version in the store, a failed job leaves their files alone, a file edited by hand
becomes a version, and every stored object is checked before it is used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

import scenarium as sc
from scenarium import Config


def history_writers(node) -> list[str]:
    return [h["writer"] for h in node.history()]


def two_outputs(k):
    # From 5 on, the second output is a set, which a json node cannot hold.
    return list(range(k)), (list(range(k)) if k < 5 else {1, 2})


def test_a_failed_job_leaves_file_outputs_at_their_previous_version(tmp_path) -> None:
    n = Config.configure_data_node("n", default_data=2)
    first = Config.configure_data_node("first", storage_type="json", default_path="first.json")
    second = Config.configure_data_node("second", storage_type="json", default_path="second.json")
    t = Config.configure_task("t", two_outputs, input=[n], output=[first, second])
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    s.submit()
    assert json.loads(Path("first.json").read_text()) == [0, 1]
    s.n.write(7)
    with pytest.raises(sc.JobFailed):
        s.submit()
    assert json.loads(Path("first.json").read_text()) == [0, 1], "the failed job's first output reached the file"
    assert s.first.read() == [0, 1] and s.first.version == 1
    assert s.second.version == 1
    assert not [p for p in os.listdir(".") if p.endswith(".part")], "a temporary file was left beside the outputs"


@pytest.mark.parametrize(
    ("kind", "name", "make", "as_plain"),
    [
        ("csv", "out.csv", lambda k: pd.DataFrame({"a": range(k)}), lambda v: list(v["a"])),
        ("parquet", "out.parquet", lambda k: pl.DataFrame({"a": list(range(k))}), lambda v: list(v["a"])),
        ("json", "out.json", lambda k: {"a": list(range(k))}, lambda v: v["a"]),
    ],
)
def test_every_version_of_a_file_node_reads_back_as_written(tmp_path, kind, name, make, as_plain) -> None:
    props = {"exposed_type": "polars"} if kind == "parquet" else {}
    dn = Config.configure_data_node("out", storage_type=kind, default_path=name, **props)
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    s.out.write(make(2))
    s.out.write(make(5))
    assert as_plain(s.out.read(version=1)) == [0, 1], "version 1 must not read the current file"
    assert as_plain(s.out.read()) == [0, 1, 2, 3, 4]
    fingerprints = [h["fingerprint"] for h in s.out.history()]
    assert len(set(fingerprints)) == 2
    # The configured path holds a copy of the latest version.
    on_disk = {"csv": pd.read_csv, "parquet": pl.read_parquet, "json": lambda p: json.loads(Path(p).read_text())}
    assert as_plain(on_disk[kind](name)) == [0, 1, 2, 3, 4]


def test_a_file_edited_by_hand_becomes_a_version_by_external(tmp_path) -> None:
    dn = Config.configure_data_node("table", storage_type="csv", default_path="table.csv")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    s.table.write(pd.DataFrame({"a": [1, 2]}))
    Path("table.csv").write_text("a\n7\n8\n9\n")
    assert list(s.table.read()["a"]) == [7, 8, 9]
    assert history_writers(s.table) == ["user", "external"]
    assert list(s.table.read(version=1)["a"]) == [1, 2]
    assert s.table.history()[1]["comment"].endswith("changed outside scenarium")
    # Reading again takes nothing new in.
    s.table.read()
    assert s.table.version == 2


def scale(frame):
    return frame.assign(a=frame["a"] * 10)


def test_an_input_file_is_versioned_and_its_edit_reruns_the_task(tmp_path) -> None:
    Path("input.csv").write_text("a\n1\n2\n")
    raw = Config.configure_data_node("raw", storage_type="csv", default_path="input.csv")
    out = Config.configure_data_node("scaled")
    t = Config.configure_task("scale", scale, input=[raw], output=[out], skippable=True)
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    s.submit()
    assert list(s.scaled.read()["a"]) == [10, 20]
    assert s.submit().jobs[0].status is sc.Status.SKIPPED
    Path("input.csv").write_text("a\n5\n")
    sub = s.submit()
    assert sub.jobs[0].status is sc.Status.COMPLETED
    assert list(s.scaled.read()["a"]) == [50]
    assert history_writers(s.raw) == ["external", "external"]
    assert list(s.raw.read(version=1)["a"]) == [1, 2], "the file's first content is kept"
    assert s.raw.history()[0]["comment"].endswith("as found")


def test_a_fresh_process_reads_old_versions_of_an_edited_file(tmp_path) -> None:
    dn = Config.configure_data_node("doc", storage_type="json", default_path="doc.json")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    s.doc.write({"v": 1})
    s.doc.write({"v": 2})
    Path("doc.json").write_text('{"v": 3}')
    script = textwrap.dedent(
        f"""
        import scenarium as sc
        from scenarium import Config
        Config.configure_data_node("doc", storage_type="json", default_path="doc.json")
        node = sc.get({s.doc.id!r})
        print([node.read(version=v)["v"] for v in (1, 2)], node.read()["v"], [h["writer"] for h in node.history()])
        """
    )
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[1, 2] 3 ['user', 'user', 'external']", out.stderr


def test_two_scenarios_sharing_a_path_keep_their_own_versions(tmp_path) -> None:
    dn = Config.configure_data_node("report", storage_type="json", default_path="report.json")
    cfg = Config.configure_scenario("s", additional_data_node_configs=[dn])
    a, b = sc.create_scenario(cfg), sc.create_scenario(cfg)
    a.report.write("from a")
    b.report.write("from b")
    assert a.report.read() == "from a" and history_writers(a.report) == ["user"]
    assert json.loads(Path("report.json").read_text()) == "from b"


def tamper(path: Path) -> None:
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "value", [pd.DataFrame({"x": [1.5, 2.5, 3.5] * 100}), pl.DataFrame({"x": [1.5, 2.5] * 100}), {"k": "v" * 300}]
)
def test_an_altered_object_of_any_format_is_refused(value) -> None:
    storage = "json" if isinstance(value, dict) else "pickle"
    dn = Config.configure_data_node("v", storage_type=storage)
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    s.v.write(value)
    stored = s.v._latest().value
    assert stored.kind == "object"
    tamper(Path(s.v._engine.object_path(stored.hash, verify=False)))
    with pytest.raises(sc.StorageError, match=r"data node 'v' .*modified after it was stored"):
        s.v.read()
    assert "modified after it was stored" in sc.integrity_check(full=True)


def test_an_object_replaced_by_a_link_is_refused(tmp_path) -> None:
    dn = Config.configure_data_node("v", storage_type="json")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    s.v.write({"a": 1})
    path = Path(s.v._engine.object_path(s.v._latest().value.hash, verify=False))
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(outside)
    with pytest.raises(sc.StorageError, match="not a plain file"):
        s.v.read()


def test_integrity_check_full_finds_missing_objects_and_counts_leftovers(tmp_path) -> None:
    dn = Config.configure_data_node("v")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    s.v.write(list(range(100)))
    s.v.write(list(range(200)))
    assert sc.integrity_check(full=True) == "ok"
    assert sc.integrity_check() == "ok"
    objects = Path(".scenarium/objects")
    (objects / "tmp" / "left.part").write_bytes(b"half")
    first = Path(s.v._engine.object_path(s.v._engine.version(s.v.id, 1).value.hash, verify=False))
    first.unlink()
    report = sc.integrity_check(full=True)
    assert f"{s.v.id} version 1" in report and "missing" in report, report
    quick = sc.integrity_check()  # SQLite's check and every referenced object present (issue 35)
    assert f"{s.v.id} version 1" in quick and "missing" in quick and "version 2" not in quick, quick
    with pytest.raises(sc.StorageError):
        s.v.read(version=1)
    assert list(s.v.read()) == list(range(200))


def test_integrity_check_full_counts_orphans_and_temporary_files(tmp_path) -> None:
    dn = Config.configure_data_node("v")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    s.v.write(list(range(100)))
    (Path(".scenarium/objects") / "tmp" / "left.part").write_bytes(b"half")
    other = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    other.v.write(list(range(300)))
    sc.delete(other.id)
    report = sc.integrity_check(full=True)
    assert report.startswith("ok (") and "1 object(s)" in report and "1 temporary file(s)" in report, report
    with pytest.raises(TypeError):
        sc.integrity_check(full="yes")  # type: ignore[arg-type]


def test_a_hand_edit_is_kept_when_the_node_is_written_without_reading_it(tmp_path) -> None:
    dn = Config.configure_data_node("doc", storage_type="json", default_path="doc.json")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    s.doc.write([1])
    Path("doc.json").write_text("[2]")
    s.doc.write([3])
    assert history_writers(s.doc) == ["user", "external", "user"]
    assert [s.doc.read(version=v) for v in (1, 2, 3)] == [[1], [2], [3]]


def test_a_hand_edit_that_does_not_parse_is_a_clear_error_and_loses_nothing(tmp_path) -> None:
    dn = Config.configure_data_node("doc", storage_type="json", default_path="doc.json")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
    s.doc.write([1])
    Path("doc.json").write_text("{not json")
    with pytest.raises(sc.StorageError, match=r"data node 'doc' .* cannot be read as json: JSONDecodeError"):
        s.doc.read()
    assert s.doc.read(version=1) == [1]
    assert history_writers(s.doc) == ["user", "external"]


def test_a_pickle_node_with_a_path_keeps_its_pickle_there(tmp_path) -> None:
    """Taipy's pickle node with a path: the file is the latest value's pickle; old
    versions stay readable; a pickle put there by another program becomes a version."""
    import pickle

    import pandas as pd

    path = tmp_path / "model.p"
    Config.configure_pickle_data_node("model", default_path=str(path), default_data={"alpha": 0.1})
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["model"]]))
    assert s.model.read() == {"alpha": 0.1} and pickle.loads(path.read_bytes()) == {"alpha": 0.1}
    frame = pd.DataFrame({"a": [1, 2]})
    s.model.write(frame)
    assert pickle.loads(path.read_bytes()).equals(frame)
    path.write_bytes(pickle.dumps([1, 2, 3]))  # another program's pickle
    assert s.model.read() == [1, 2, 3] and s.model.history()[-1]["writer"] == "external"
    assert s.model.read(version=1) == {"alpha": 0.1} and s.model.read(version=2).equals(frame)
