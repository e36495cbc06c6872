"""Bad input: each a clear scenarium exception that names the culprit."""

from __future__ import annotations

import os
import stat
import sys

import pytest

import scenarium as sc
from scenarium import Config


def inc(x):
    return x + 1


def test_unknown_data_node_ids() -> None:
    with pytest.raises(sc.ConfigError, match="'t'.*'nowhere' is not a configured data node id"):
        Config.configure_task("t", inc, input=["nowhere"])
    with pytest.raises(sc.NonExistingDataNode, match="DATANODE_x_missing"):
        sc.get("DATANODE_x_missing")
    s = sc.create_scenario(
        Config.configure_scenario("one", additional_data_node_configs=[Config.configure_data_node("a", default_data=1)])
    )
    with pytest.raises(AttributeError, match="no attribute, data node or task 'b'.*data nodes: a"):
        s.b  # noqa: B018


def test_cycle_names_tasks_and_data_nodes() -> None:
    x, y = Config.configure_data_node("x", default_data=1), Config.configure_data_node("y")
    t1 = Config.configure_task("forward", inc, input=[x], output=[y])
    t2 = Config.configure_task("backward", inc, input=[y], output=[x])
    with pytest.raises(sc.ConfigError, match=r"cycle through tasks \"backward\", \"forward\".*\"x\", \"y\""):
        sc.create_scenario(Config.configure_scenario("loop", task_configs=[t1, t2]))


def test_duplicate_writer() -> None:
    x, y = Config.configure_data_node("x", default_data=1), Config.configure_data_node("y")
    t1 = Config.configure_task("first", inc, input=[x], output=[y])
    t2 = Config.configure_task("second", inc, input=[x], output=[y])
    with pytest.raises(sc.ConfigError, match=r"\"y\" is written by more than one task \(\"first\" and \"second\"\)"):
        sc.create_scenario(Config.configure_scenario("dup", task_configs=[t1, t2]))


def test_function_not_callable() -> None:
    with pytest.raises(sc.ConfigError, match="task 'bad': function must be callable, got 'inc' of type str"):
        Config.configure_task("bad", "inc")


def test_invalid_ids() -> None:
    with pytest.raises(sc.ConfigError, match='data node id "my-node" is not a valid identifier'):
        Config.configure_data_node("my-node")
    with pytest.raises(sc.ConfigError, match="storage_type 'parquet_folder'"):
        Config.configure_data_node("n", storage_type="parquet_folder")


def test_non_serialisable_value_names_the_data_node() -> None:
    s = sc.create_scenario(
        Config.configure_scenario("one", additional_data_node_configs=[Config.configure_data_node("holder")])
    )
    with pytest.raises(sc.exceptions.NotSerializable, match="data node 'holder'.*cannot be pickled"):
        s.holder.write(lambda: 1)
    assert not s.holder.is_ready_for_reading


def test_non_serialisable_task_output_fails_the_job() -> None:
    x, y = Config.configure_data_node("x", default_data=1), Config.configure_data_node("y")
    t = Config.configure_task("make_lambda", lambda v: lambda: v, input=[x], output=[y])
    s = sc.create_scenario(Config.configure_scenario("lam", task_configs=[t]))
    with pytest.raises(sc.JobFailed, match="NotSerializable.*data node 'y'"):
        s.submit()


def test_reading_never_written_node() -> None:
    s = sc.create_scenario(
        Config.configure_scenario("one", additional_data_node_configs=[Config.configure_data_node("empty")])
    )
    with pytest.raises(sc.NoData, match="'empty'"):
        s.empty.read_or_raise()
    # read(), as Taipy's, gives None and says why in a warning naming the node.
    with pytest.warns(sc.NoDataWarning, match="'empty'"):
        assert s.empty.read() is None


def test_missing_input_blocks_the_job_naming_the_node() -> None:
    # As in Taipy (issue 22): the job waits BLOCKED, submit() returns with a warning.
    x, y = Config.configure_data_node("x"), Config.configure_data_node("y")
    t = Config.configure_task("needs_x", inc, input=[x], output=[y])
    s = sc.create_scenario(Config.configure_scenario("nox", task_configs=[t]))
    with pytest.warns(sc.BlockedJobWarning, match='needs_x .*data node "x" has no data'):
        submission = s.submit()
    assert submission.status is sc.SubmissionStatus.BLOCKED and submission.jobs[0].status is sc.Status.BLOCKED


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0 and not os.environ.get("SCENARIUM_TEST_AS_USER"),
    reason="root ignores permission bits; checked through a read-only path below",
)
def test_storage_folder_not_writable_by_permissions(tmp_path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    Config.configure_core(storage_folder=str(folder))
    with pytest.raises(sc.StorageError, match=str(folder)):
        sc.create_scenario(Config.configure_scenario("x"))


def test_storage_folder_not_writable(tmp_path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    Config.configure_core(storage_folder=str(blocker / "store"))
    with pytest.raises(sc.StorageError, match="a_file/store.*cannot create the storage folder"):
        sc.create_scenario(Config.configure_scenario("x"))


def test_ids_that_shadow_scenario_attributes_warn() -> None:
    tags = Config.configure_data_node("tags", default_data=["x"])
    with pytest.warns(UserWarning, match="'tags' is also a Scenario attribute.*scenario.data_nodes\\['tags'\\]"):
        cfg = Config.configure_scenario("shadow", additional_data_node_configs=[tags])
    s = sc.create_scenario(cfg)
    assert s.data_nodes["tags"].read() == ["x"]


def test_a_tampered_pickle_is_refused_not_unpickled() -> None:
    s = sc.create_scenario(
        Config.configure_scenario("t", additional_data_node_configs=[Config.configure_data_node("v")])
    )
    s.v.write({"rows": [1, 2, 3]})
    stored = s.v._latest().value
    path = s.v._engine.object_path(stored.hash)
    os.chmod(path, 0o644)
    with open(path, "r+b") as f:
        f.seek(-3, os.SEEK_END)
        f.write(b"\x00\x00\x00")
    with pytest.raises(sc.StorageError, match=r"data node 'v' .*modified after it was stored.*refusing to read it"):
        s.v.read()


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/escaped", "ab/../../../escaped", "AB" * 32])
def test_a_registry_row_cannot_point_outside_the_store(tmp_path, name) -> None:
    import sqlite3

    s = sc.create_scenario(
        Config.configure_scenario("t", additional_data_node_configs=[Config.configure_data_node("v")])
    )
    s.v.write({"rows": [1, 2, 3]})
    good = s.v._latest().value.hash
    registry = sqlite3.connect(tmp_path / ".scenarium" / "registry.sqlite")
    with registry:
        registry.execute("UPDATE versions SET body = replace(body, ?, ?)", (good, name))
    registry.close()
    with pytest.raises(sc.StorageError, match=r"is not an object name \(64 lowercase hex digits\)"):
        s.v.read()
    with pytest.raises(sc.StorageError, match="is not an object name"):
        s.v._engine.object_path(name)


def test_temporary_names_stay_in_the_store() -> None:
    engine = sc.create_scenario(Config.configure_scenario("t"))._engine
    assert engine.new_tmp_path(".parquet").suffix == ".parquet"
    with pytest.raises(ValueError, match="may hold only letters, digits"):
        engine.new_tmp_path("/../../outside")


def test_every_exception_is_exported_documented_and_in_the_guides_table() -> None:
    from conftest import REPO

    table = (REPO / "docs" / "guide" / "errors.md").read_text()
    for name in sc.exceptions.__all__:
        error = getattr(sc, name)
        assert error is getattr(sc.exceptions, name)
        assert error.__doc__ and len(error.__doc__.strip()) > 20, name
        assert f"`{name}`" in table, f"{name} is missing from the guide's error table (docs/guide/errors.md)"
        assert issubclass(error, (sc.ScenariumError, UserWarning)), name
