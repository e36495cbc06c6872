"""Issue 35: nothing lost under concurrency, links and hostile files. gc racing
writers that reuse old objects, links planted in the store, configured paths into
the storage folder, tampered archives, tasks that swallow their timeout, and bad
arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

import scenarium as sc
from scenarium import Config

WRITER = textwrap.dedent(
    """
    import json, sys
    import scenarium as sc
    from scenarium import Config

    storage, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    Config.configure_core(storage_folder=storage, progress=False)
    v = Config.configure_data_node("v")
    scenario = sc.create_scenario(Config.configure_scenario("racing", additional_data_node_configs=[v]))
    for i in range(first, first + count):
        scenario.v.write(bytes([i % 251]) * 2000 + str(i).encode())
    print(json.dumps(scenario.id))
    """
)

COLLECTOR = textwrap.dedent(
    """
    import os, sys, time
    import scenarium as sc
    from scenarium import Config

    storage, stop = sys.argv[1], sys.argv[2]
    Config.configure_core(storage_folder=storage, progress=False)
    passes = 0
    while not os.path.exists(stop) or passes < 3:
        sc.gc()  # the default grace period
        passes += 1
        time.sleep(0.02)
    print(passes)
    """
)


def value(i: int) -> bytes:
    return bytes([i % 251]) * 2000 + str(i).encode()


def age_every_object(storage: Path, seconds: float) -> int:
    old = time.time() - seconds
    objects = [p for p in (storage / "objects").glob("??/*") if p.is_file()]
    for path in objects:
        os.utime(path, (old, old))
    return len(objects)


def test_writers_reusing_collected_values_lose_nothing_to_a_concurrent_gc(tmp_path, storage) -> None:
    writers, per_writer = 3, 120
    v = Config.configure_data_node("v")
    old = sc.create_scenario(Config.configure_scenario("racing", additional_data_node_configs=[v]))
    for i in range(writers * per_writer):
        old.v.write(value(i))
    sc.delete(old.id)
    # The values a deleted scenario held, old enough for gc's default grace period.
    assert age_every_object(storage, 7200) >= writers * per_writer
    (tmp_path / "writer.py").write_text(WRITER)
    (tmp_path / "collector.py").write_text(COLLECTOR)
    stop = tmp_path / "stop"
    gc = subprocess.Popen([sys.executable, "collector.py", str(storage), str(stop)], stdout=subprocess.PIPE, text=True)
    children = [
        subprocess.Popen(
            [sys.executable, "writer.py", str(storage), str(w * per_writer), str(per_writer)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(writers)
    ]
    ids = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        ids.append(json.loads(out))
    stop.touch()
    out, _ = gc.communicate(timeout=120)
    assert gc.returncode == 0 and int(out) >= 3
    lost = []
    for w, scenario_id in enumerate(ids):
        node = sc.get(scenario_id).v
        for n in range(1, per_writer + 1):
            try:
                if node.read(version=n) != value(w * per_writer + n - 1):
                    lost.append((scenario_id, n))
            except sc.StorageError:
                lost.append((scenario_id, n))
    assert not lost, f"{len(lost)} of {writers * per_writer} versions lost"
    assert sc.integrity_check(full=True).startswith("ok")


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links")
def test_gc_deletes_nothing_behind_links_planted_for_tmp_and_trees(tmp_path, storage) -> None:
    sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[Config.configure_data_node("d")]))
    outside = tmp_path / "outside"
    (outside / "files").mkdir(parents=True)
    (outside / "folders" / ("0" * 64)).mkdir(parents=True)
    precious = [outside / "files" / "a.part", outside / "files" / "b", outside / "folders" / ("0" * 64) / "c"]
    for path in precious:
        path.write_text("precious")
        os.utime(path, (time.time() - 10**7, time.time() - 10**7))
    objects = storage / "objects"
    os.rmdir(objects / "tmp")
    os.symlink(outside / "files", objects / "tmp")
    os.symlink(outside / "folders", objects / "trees")
    report = sc.gc(0)
    assert report.temporary_files_deleted == 0
    assert all(p.read_text() == "precious" for p in precious), "nothing outside the store is deleted"
    assert "not an object folder" in sc.integrity_check(full=True)


def test_a_path_into_the_storage_folder_is_refused_where_it_is_configured(storage) -> None:
    with pytest.raises(sc.exceptions.ConfigError, match=r"data node 'reg'.*storage folder"):
        Config.configure_csv_data_node("reg", default_path=".scenarium/registry.sqlite")
    with pytest.raises(sc.exceptions.ConfigError, match=r"data node 'deep'.*storage folder"):
        Config.configure_pickle_data_node("deep", path=str(storage / "objects" / "ab" / ("c" * 62)))
    with pytest.raises(sc.exceptions.ConfigError, match=r"data node 'db'.*storage folder"):
        Config.configure_sql_table_data_node(
            "db", db_name="registry", db_engine="sqlite", table_name="t",
            sqlite_folder_path=".scenarium", sqlite_file_extension=".sqlite",
        )  # fmt: skip
    Config.configure_csv_data_node("fine", default_path="data/fine.csv")
    with pytest.raises(sc.exceptions.ConfigError, match=r"data node 'fine'.*storage folder"):
        Config.configure_core(storage_folder="data")
    assert "reg" not in Config.data_nodes


def test_check_and_the_cli_name_a_node_whose_path_is_in_the_store(tmp_path, storage) -> None:
    toml = tmp_path / "app.toml"
    toml.write_text('[DATA_NODE.reg]\nstorage_type = "csv"\ndefault_path = ".scenarium/registry.sqlite"\n')
    Config.load(toml)
    errors = [i for i in Config.check() if i.level == "error"]
    assert [(i.section, i.key) for i in errors] == [("DATA_NODE.reg", "default_path")], errors
    assert "storage folder" in errors[0].message
    out = subprocess.run(
        [sys.executable, "-m", "scenarium", "check", str(toml)], cwd=tmp_path, capture_output=True, text=True
    )
    assert out.returncode == 1 and "DATA_NODE.reg" in out.stdout and "storage folder" in out.stdout


def test_the_store_refuses_to_write_a_node_path_in_it_whatever_the_config_said(storage) -> None:
    d = Config.configure_csv_data_node("d", default_path="d.csv")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[d]))
    d.properties["default_path"] = str(storage / "registry.sqlite")  # past every check
    # The core refuses the scenario before recording anything of it (it used to create
    # it and refuse its first write).
    with pytest.raises(sc.exceptions.ConfigError, match=r"resolves into the storage folder"):
        sc.create_scenario(Config.scenarios["s"])  # follows the configuration as it is now
    assert sc.integrity_check() == "ok"
    s.d.write([{"a": 2}])
    assert s.d.read()["a"].tolist() == [2]


def _exported(tmp_path: Path) -> tuple[sc.Scenario, Path]:
    d = Config.configure_data_node("d")
    scenario = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[d]))
    scenario.d.write({"a dict": "pickled", "n": [1, 2, 3]})
    path = tmp_path / "s.zip"
    sc.export_scenario(scenario, path, include_data=True)
    return scenario, path


def _rewritten(source: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
    return target


class _Boom:
    def __reduce__(self):
        return (os.mkdir, ("pwned",))


def test_an_archive_whose_object_does_not_match_its_name_is_refused_before_unpickling(tmp_path) -> None:
    import pickle

    _, path = _exported(tmp_path)
    evil = pickle.dumps(_Boom())
    bad = _rewritten(path, tmp_path / "bad.zip", lambda name, data: evil if name.startswith("objects/") else data)
    before = [s.id for s in sc.get_scenarios()]
    with pytest.raises(sc.InvalidArgument, match=r"does not hold what its name says"):
        sc.import_scenario(bad)
    assert not (tmp_path / "pwned").exists()
    assert [s.id for s in sc.get_scenarios()] == before, "nothing was imported"


def _registry_rows(storage_folder: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(storage_folder / "registry.sqlite") as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def _malformed(case: str):
    def change(name: str, data: bytes) -> bytes | str | None:
        manifest = json.loads(data) if name == "scenario.json" else None
        if case == "bad-kind" and manifest is not None:
            return data.replace(b'"kind": "object"', b'"kind": "file"')
        if case == "missing-object" and name.startswith("objects/"):
            return None
        if case == "bad-tags" and manifest is not None:
            return json.dumps({**manifest, "tags": "x"})
        if case == "date-past-time" and manifest is not None:  # read back as an OverflowError in every process
            return json.dumps({**manifest, "creation_date": 1e300})
        if case == "deep-inline" and manifest is not None:
            node = next(iter(manifest["data_nodes"].values()))
            node[0] = {**node[0], "kind": "inline", "json": "[" * 100_000 + "]" * 100_000}
            node[0].pop("hash", None)
            return json.dumps(manifest)
        if case == "path-into-store" and manifest is not None:
            for dn in manifest["spec"]["data_nodes"]:
                dn["storage_type"], dn["properties"] = "csv", {"default_path": ".scenarium/registry.sqlite"}
            return json.dumps(manifest)
        return data

    return change


CASES = ["bad-kind", "missing-object", "bad-tags", "extra-file", "date-past-time", "deep-inline", "path-into-store"]


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_archive_is_refused_whole(tmp_path, case) -> None:
    _, path = _exported(tmp_path)
    bad = _rewritten(path, tmp_path / "bad.zip", _malformed(case))
    if case == "extra-file":
        with zipfile.ZipFile(bad, "a") as archive:
            archive.writestr("../outside.txt", "x")
    before = [s.id for s in sc.get_scenarios()]
    rows = _registry_rows(tmp_path / ".scenarium")
    with pytest.raises((sc.InvalidArgument, sc.ConfigError), match="nothing was imported|storage folder"):
        sc.import_scenario(bad)
    assert [s.id for s in sc.get_scenarios()] == before
    assert _registry_rows(tmp_path / ".scenarium") == rows, "a refused archive changes nothing"


TIMEOUT_MODULE = textwrap.dedent(
    """
    import time

    def stubborn(x):
        for _ in range(20):  # 2 s, whatever interrupts it
            try:
                time.sleep(0.1)
            except:  # noqa: E722  (the point: a bare except swallows the timeout)
                pass
        return x + 1
    """
)


@pytest.mark.parametrize("mode", ["development", "standalone"])
def test_a_task_that_swallows_its_timeout_still_fails_and_is_not_reused(tmp_path, monkeypatch, mode) -> None:
    (tmp_path / "stubborn_fns.py").write_text(TIMEOUT_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("stubborn_fns", None)
    import stubborn_fns

    Config.configure_job_executions(mode=mode, max_nb_of_workers=1)
    d, out = Config.configure_data_node("d", default_data=1), Config.configure_data_node("out")
    t = Config.configure_task("stubborn", stubborn_fns.stubborn, input=[d], output=[out], timeout=0.5)
    s = sc.create_scenario(Config.configure_scenario("slow", task_configs=[t]))
    for _ in range(2):  # the second time too: nothing was cached to skip to
        with pytest.raises(sc.JobFailed, match=r"timed out after 0.5 s"):
            s.submit()
        job = s.submissions[-1].jobs[0]
        assert job.status is sc.Status.FAILED
        assert not s.out.is_ready_for_reading


def test_bad_numbers_and_values_name_what_is_wrong(storage) -> None:
    with pytest.raises(sc.InvalidArgument, match="grace_period"):
        sc.gc(1e19)
    d = Config.configure_data_node("d")
    table = Config.configure_csv_data_node("table", default_path="t.csv")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[d, table]))
    with pytest.raises(sc.exceptions.NotSerializable, match=r"data node 'table'"):
        s.table.write({"a": 1, "b": 2})
    s.d.write({"not": "inline", "blob": b"x" * 100})
    assert sc.integrity_check() == "ok"
    stored = s.d._latest().value.hash
    (storage / "objects" / stored[:2] / stored[2:]).unlink()
    found = sc.integrity_check()
    assert found != "ok" and "missing" in found and s.d.id in found


BLOCKED_MODULE = textwrap.dedent(
    """
    import threading

    def blocked(x):
        threading.Event().wait()  # in C: an interrupt never lands here
        return x
    """
)


def test_a_task_blocked_outside_python_past_its_timeout(tmp_path, monkeypatch) -> None:
    """In a thread, a task waiting on a lock or a pipe never sees the interrupt (and one
    raised at it stays pending, which on CPython 3.11 leaves every other thread spinning
    at its next call: it cannot be left behind either). Config.check() says so for a task
    with a timeout run in threads; in standalone mode the worker is killed at the timeout."""
    (tmp_path / "blocked_fns.py").write_text(BLOCKED_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("blocked_fns", None)
    import blocked_fns

    d, out = Config.configure_data_node("d", default_data=1), Config.configure_data_node("out")
    t = Config.configure_task("blocked", blocked_fns.blocked, input=[d], output=[out], timeout=0.5)
    s = sc.create_scenario(Config.configure_scenario("stuck", task_configs=[t]))
    warned = [i for i in Config.check() if i.level == "warning" and i.key == "timeout"]
    assert warned and "standalone" in warned[0].message, Config.check()
    Config.configure_job_executions(mode="standalone")
    assert not [i for i in Config.check() if i.key == "timeout"]
    started = time.monotonic()
    with pytest.raises(sc.JobFailed, match=r"timed out after 0.5 s"):
        s.submit()
    assert time.monotonic() - started < 30
    assert s.submissions[-1].jobs[0].status is sc.Status.FAILED


def test_a_paths_env_template_is_read_for_the_file_and_for_the_store_check(tmp_path, monkeypatch) -> None:
    """From Python, default_path="ENV[OUT]" was read for .path but written to a file
    named "ENV[OUT]"; one naming the storage folder passed every check."""
    import pandas as pd

    monkeypatch.setenv("OUT", "wanted.csv")
    node = Config.configure_csv_data_node("table", default_path="ENV[OUT]")
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[node]))
    s.table.write(pd.DataFrame({"a": [1]}))
    assert (tmp_path / "wanted.csv").exists() and not (tmp_path / "ENV[OUT]").exists()
    monkeypatch.setenv("INTO", ".scenarium/registry.sqlite")
    monkeypatch.setenv("FOLDER", ".scenarium")
    with pytest.raises(sc.ConfigError, match="storage folder"):
        Config.configure_csv_data_node("evil", default_path="ENV[INTO]")
    with pytest.raises(sc.ConfigError, match="storage folder"):
        Config.configure_sql_table_data_node(
            "q", db_name="registry", sqlite_file_extension=".sqlite", db_engine="sqlite",
            sqlite_folder_path="ENV[FOLDER]", table_name="evil",
        )  # fmt: skip
