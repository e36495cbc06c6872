"""The documentation as a reader meets it.

- Every ```python block of the README and of docs/ runs as written, each in a fresh process
  in an empty folder, with only the package installed: no `make demo` data, no file of the
  clone. (```py marks a fragment shown but not run, such as one that needs a server; those
  must still compile.)
- Every public name of ``scenarium`` has its place in the API reference.
- The built site (``make docs``, which ``make test`` runs before pytest) holds what its pages
  must: the navigation, highlighted code, the API page's ``Config.configure_data_node`` with
  its parameters, the notebook with its outputs, the benchmark plots.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
SITE = REPO / "site"


def _blocks(language: str) -> list[tuple[str, int, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(rf"^```{language}\n(.*?)^```", text, re.S | re.M):
            line = text.count("\n", 0, match.start()) + 1
            found.append((str(page.relative_to(REPO)), line, match.group(1)))
    return found


PYTHON_BLOCKS = _blocks("python")


def test_the_docs_have_python_blocks_to_run() -> None:
    pages = {page for page, _, _ in PYTHON_BLOCKS}
    assert "README.md" in pages and len(PYTHON_BLOCKS) >= 15, pages


@pytest.mark.parametrize(("page", "line", "code"), PYTHON_BLOCKS, ids=[f"{p}:{n}" for p, n, _ in PYTHON_BLOCKS])
def test_every_python_block_runs_as_written_in_an_empty_folder(tmp_path: Path, page: str, line: int, code: str) -> None:
    script = tmp_path / "script" / "example.py"
    script.parent.mkdir()
    script.write_text(code, encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCENARIUM_", "PYTHONPATH"))}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        [sys.executable, str(script)], cwd=empty, env=env, capture_output=True, text=True, timeout=300
    )  # fmt: skip
    assert done.returncode == 0, f"{page}, block at line {line}:\n{done.stderr[-3000:]}"
    assert "Warning" not in done.stderr, f"{page}, block at line {line} warns:\n{done.stderr[-3000:]}"


def test_fragments_shown_but_not_run_still_compile() -> None:
    fragments = _blocks("py")
    assert fragments  # the Taipy import, the servers' data nodes
    for page, line, code in fragments:
        compile(code, f"{page}:{line}", "exec")


def test_every_public_name_has_its_place_in_the_api_reference() -> None:
    import scenarium

    reference = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "docs" / "reference").glob("*.md"))
    documented = set(re.findall(r"^::: scenarium\.(\w+)", reference, re.M))
    ids = {"ScenarioId", "SequenceId", "TaskId", "DataNodeId", "JobId", "SubmissionId", "CycleId"}
    missing = [
        name
        for name in scenarium.__all__
        if name not in documented
        and not (name in scenarium.exceptions.__all__ and "exceptions" in documented)
        and not (name in ids and f"`{name}`" in reference)
        and name not in ("__version__", "exceptions")
    ]
    assert not missing, f"public names missing from docs/reference/: {missing}"
    # Private modules move: the reference names objects as users import them.
    assert not re.findall(r"^::: scenarium\.(?:\w+\.)*_\w+", reference, re.M)


def _page(path: str) -> str:
    file = SITE / path / "index.html" if path else SITE / "index.html"
    if not file.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{file} is missing: `make test` builds the site (make docs) before pytest")
        pytest.skip("the site is not built: run `make docs`")
    return file.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", ["", "guide/skipping", "reference/config"])
def test_the_built_pages_have_navigation_and_highlighted_code(path: str) -> None:
    html = _page(path)
    start = html.find('<nav class="md-nav md-nav--primary"')
    assert start >= 0, "the navigation is missing"
    nav = html[start : html.index('<div class="md-content"', start)]
    for entry in ("Getting started", "User guide", "Migrating from Taipy", "API reference", "Benchmarks"):
        assert entry in nav, entry
    # Pygments' classes: a keyword and a name inside a highlighted block.
    assert re.search(r'<div class="[^"]*highlight[^"]*"><pre>', html) or 'class="doc-signature highlight"' in html
    assert re.search(r'<span class="(kn|k)">(import|from|def)</span>', html), "code blocks are not highlighted"


def test_the_api_page_lists_configure_data_node_with_its_parameters() -> None:
    html = _page("reference/config")
    start = html.index('id="scenarium.Config.configure_data_node"')
    entry = html[start : html.index('class="doc doc-heading"', start + 50)]
    signature = re.sub(r"<[^>]+>", "", entry)
    assert "configure_data_node(" in signature
    for parameter in ("id: str", "storage_type: str | None = None", "scope: Scope | None = None",
                      "validity_period: timedelta | None = None", "**properties: Any"):  # fmt: skip
        assert parameter in signature, parameter
    assert "DataNodeConfig" in signature
    assert "default_data" in signature  # the docstring


def test_the_notebook_benchmarks_and_cli_pages_show_their_content() -> None:
    notebook = _page("notebook")
    assert notebook.count("<svg") >= 3 and "data:image/png;base64" in notebook, "the notebook's outputs"
    assert "Traceback" not in notebook
    benchmarks = _page("benchmarks")
    plots = re.findall(r'<img[^>]+src="([^"]+\.png)"', benchmarks)
    assert len(plots) >= 5
    for plot in plots:
        assert (SITE / "benchmarks" / plot).resolve().exists(), plot
    cli = _page("reference/cli")
    for command in ("check", "run", "explain", "lineage", "datagen"):
        assert f"scenarium {command}" in cli, command
    assert "Two layers" in _page("architecture")  # ARCHITECTURE.md, on the site as it is


def _measured_minutes(what: str) -> int:
    """A first build's measured time in benches/results/build.md, rounded to the minute."""
    text = (REPO / "benches" / "results" / "build.md").read_text(encoding="utf-8")
    found = re.search(rf"^- `{re.escape(what)}`[^:\n]*: (\d+) min (\d+) s", text, re.M)
    assert found, f"no measured time for {what} in benches/results/build.md"
    return round(int(found.group(1)) + int(found.group(2)) / 60)


def test_the_first_build_messages_tell_the_measured_time() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    demo, release = _measured_minutes("make demo"), _measured_minutes("maturin build --release")
    first_build = re.search(r'echo "First build: ([^"]*)"', makefile)
    assert first_build and f"about {demo} minutes" in first_build.group(1), first_build
    wheel = re.search(r'echo "A release build: ([^"]*)"', makefile)
    assert wheel and f"about {release} minutes" in wheel.group(1), wheel
    assert not re.search(r"\b25.minute", makefile)
    assert f"about {demo} minutes" in (REPO / "README.md").read_text(encoding="utf-8")
    getting_started = (REPO / "docs" / "getting-started.md").read_text(encoding="utf-8")
    assert f"about {demo} minutes" in getting_started and f"about {release} minutes" in getting_started
