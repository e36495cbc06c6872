"""A full disk (or a read-only one) while writing an object or the registry: a
clear StorageError, the earlier versions still readable, the registry sound,
and work resumes once space is freed. The storage folder sits on a 1 MiB tmpfs mounted in a private
mount namespace (``unshare -rm``), so no privilege or real disk is needed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from scenarium import datagen

CHILD = r"""
import json, os, subprocess, sys
import polars as pl
import scenarium as sc
from scenarium import Config
from scenarium.tasks import customer_analysis as ca

mount, csv = sys.argv[1], sys.argv[2]
Config.configure_core(storage_folder=os.path.join(mount, ".scenarium"), progress=False)
report = {}

def attempt(name, action):
    try:
        action()
        report[name] = "no error"
    except Exception as e:
        report[name] = f"{type(e).__name__}: {e}"

def column(n):
    return pl.DataFrame({"v": pl.int_range(0, n, eager=True).cast(pl.Float64).shuffle(seed=1)})

n = Config.configure_data_node("n", default_data=1000)
table = Config.configure_data_node("table")
path = Config.configure_data_node("path", default_data=csv)
scored = Config.configure_data_node("scored")
tasks = [
    Config.configure_task("grow", column, [n], [table], skippable=True),
    Config.configure_task("score", ca.preprocess_and_score, [path], [scored], skippable=True),
]
s = sc.create_scenario(Config.configure_scenario("s", task_configs=tasks[:1]))
s.submit()
attempt("user write", lambda: s.table.write(column(3_000_000)))
report["after user write"] = [s.table.version, s.table.read().height]
s.n.write(3_000_000)
attempt("python job", s.submit)
report["after python job"] = [s.table.version, s.table.read().height, s.submissions[-1].jobs[0].status.name]
native = sc.create_scenario(Config.configure_scenario("native", task_configs=tasks[1:]))
attempt("native job", native.submit)
report["native job status"] = native.submissions[-1].jobs[0].status.name

# Unbuffered: a buffered file would try to flush its last partial chunk on close and
# raise ENOSPC there, depending on how the free space happens to divide.
with open(os.path.join(mount, "filler"), "wb", buffering=0) as f:
    try:
        while True:
            f.write(b"\0" * 65536)
            f.flush()
    except OSError:
        pass
def registry_writes():
    for i in range(100):
        s.n.write(i)
attempt("registry write", registry_writes)
report["n after registry write"] = s.n.read()
report["integrity when full"] = sc.integrity_check()
os.remove(os.path.join(mount, "filler"))
s.n.write(1000)
s.submit()
report["after freeing"] = [s.table.read().height, sc.integrity_check()]
report["leftover temporary files"] = os.listdir(os.path.join(mount, ".scenarium", "objects", "tmp"))

# New objects refused by the file system itself (as a permission error would be):
# a read-only file system over the folder where objects are written first.
tmp = os.path.join(mount, ".scenarium", "objects", "tmp")
subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", tmp], check=True)
attempt("read-only object write", lambda: s.table.write(column(10)))
attempt("registry write beside it", lambda: s.n.write(5))
report["read-only reads"] = [s.n.read(), s.table.read().height, s.table.version]
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def full_disk_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux)")
    folder = tmp_path_factory.mktemp("disk")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr.decode().strip()}")
    csv = folder / "customers.csv"
    datagen.write_csv(str(csv), rows=200_000, seed=3)  # ~10 MB: its scored table cannot fit in 1 MiB
    (folder / "child.py").write_text(CHILD)
    mount = folder / "mnt"
    mount.mkdir()
    script = f"mount -t tmpfs -o size=1m tmpfs {mount} && exec {sys.executable} {folder / 'child.py'} {mount} {csv}"
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_value_too_big_for_the_disk_is_a_storage_error(full_disk_report: dict) -> None:
    message = full_disk_report["user write"]
    assert message.startswith("StorageError: cannot store the parquet file of data node 'table'")
    assert "No space left on device" in message
    assert full_disk_report["after user write"] == [1, 1000]  # version 1 untouched


def test_a_job_whose_output_does_not_fit_fails_and_keeps_the_old_output(full_disk_report: dict) -> None:
    assert "JobFailed: task 'grow' failed" in full_disk_report["python job"]
    assert "StorageError" in full_disk_report["python job"]
    assert full_disk_report["after python job"] == [1, 1000, "FAILED"]
    native = full_disk_report["native job"]
    assert "preprocess_and_score: cannot store its output table" in native and "No space left" in native
    assert full_disk_report["native job status"] == "FAILED"


def test_a_full_registry_is_a_storage_error_and_stays_sound(full_disk_report: dict) -> None:
    message = full_disk_report["registry write"]
    assert message.startswith("StorageError: registry error in") and "registry.sqlite" in message
    assert "full" in message
    assert isinstance(full_disk_report["n after registry write"], int)  # the last committed write
    assert full_disk_report["integrity when full"] == "ok"


def test_work_resumes_once_space_is_freed(full_disk_report: dict) -> None:
    assert full_disk_report["after freeing"] == [1000, "ok"]
    assert full_disk_report["leftover temporary files"] == []


def test_a_refused_object_write_is_a_storage_error_and_the_rest_goes_on(full_disk_report: dict) -> None:
    assert full_disk_report["read-only object write"].startswith("StorageError: ")
    assert "data node 'table'" in full_disk_report["read-only object write"]
    assert "Read-only file system" in full_disk_report["read-only object write"]
    assert full_disk_report["registry write beside it"] == "no error"
    assert full_disk_report["read-only reads"] == [5, 1000, 1]
