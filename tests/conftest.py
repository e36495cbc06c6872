from __future__ import annotations

import sys
from pathlib import Path

import pytest

import scenarium as sc
from scenarium import Config
from scenarium.identity import code as _code_identity

REPO = Path(__file__).resolve().parent.parent
# The test modules define tasks, and each test runs in its tmp_path: their folder is
# the project's too, as a user adds a folder of their code with
# Config.configure_core(project_paths=[...]).
_code_identity.set_project_paths([str(REPO / "tests")])


class CallLog(list):  # type: ignore[type-arg]
    """A list the tests' tasks append to, to count their runs. Its identity is
    constant: it is not part of what they compute (a plain list a task reaches and
    changes makes that task run again, as it should)."""

    def __scenarium_identity__(self) -> str:
        return "a call log"


ARTICLE = REPO / "examples" / "article"
SAMPLE_CSV = REPO / "data" / "SMALL_customers_data.csv"


# What tools (not tests) may add beside the sources.
_TOOL_CACHES = {".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", "__pycache__"}


@pytest.fixture(autouse=True, scope="session")
def repository_left_as_found():
    """A test that writes into the repository instead of its tmp_path (a fixture
    shadowed by a parameter of the same name did) fails the run."""
    before = {p.name for p in REPO.iterdir()}
    yield
    added = {p.name for p in REPO.iterdir()} - before - _TOOL_CACHES
    assert not added, f"tests left {sorted(added)} in {REPO}"


@pytest.fixture(autouse=True)
def storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets a fresh Config and its own storage folder, and runs in tmp_path."""
    Config._reset()
    folder = tmp_path / ".scenarium"
    Config.configure_core(storage_folder=str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.fixture
def article_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The article's app in tmp_path: algos/algo.py, config.py (import changed) and data/customers_data.csv."""
    (tmp_path / "algos").mkdir()
    (tmp_path / "algos" / "algo.py").write_text((ARTICLE / "algos" / "algo.py").read_text())
    (tmp_path / "config.py").write_text((ARTICLE / "config.py").read_text())
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers_data.csv").write_bytes(SAMPLE_CSV.read_bytes())
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "config" or m.startswith("algos")]:
        monkeypatch.delitem(sys.modules, name)
    return tmp_path


def ids(submission: sc.Submission, status: sc.Status) -> list[str]:
    return [j.task_config_id for j in submission.jobs if j.status is status]


@pytest.fixture(scope="session")
def shared_storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One storage folder for a whole session, for tests that check the cache across examples."""
    return tmp_path_factory.mktemp("shared") / ".scenarium"
