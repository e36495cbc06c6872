"""MkDocs hooks of the documentation site (``mkdocs.yml``): pages that live elsewhere in
the repository join the site as they are, with no copy in ``docs/`` to keep in step.

- ``architecture.md`` is ``ARCHITECTURE.md``;
- ``notebook.ipynb`` is ``notebooks/app.ipynb`` executed on small generated data (the
  committed notebook has no outputs), rendered by mkdocs-jupyter;
- ``benchmarks/results/`` is ``benches/results/`` (each report and its plot).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import griffe
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files, InclusionLevel

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_ROWS = "20000"  # the notebook's own data: enough to show every output, quick to run
_work: str | None = None


def _executed_notebook() -> Path:
    """notebooks/app.ipynb run top to bottom in a scratch folder (the notebook writes its
    data and storage folder under TMPDIR); a failing cell fails the build."""
    import nbclient
    import nbformat

    global _work
    if _work is None:
        _work = tempfile.mkdtemp(prefix="scenarium-docs-")
    notebook = nbformat.read(REPO / "notebooks" / "app.ipynb", as_version=4)
    saved = {k: os.environ.get(k) for k in ("SCENARIUM_NOTEBOOK_ROWS", "TMPDIR")}
    os.environ.update(SCENARIUM_NOTEBOOK_ROWS=NOTEBOOK_ROWS, TMPDIR=_work)
    try:
        client = nbclient.NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO / "notebooks")}}
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    out = Path(_work) / "notebook.ipynb"
    nbformat.write(notebook, out)
    return out


@event_priority(100)  # before mkdocs-jupyter's own on_files, which takes the notebook
def on_files(files: Files, config: Any) -> Files:
    def add(src_uri: str, path: Path, inclusion: InclusionLevel = InclusionLevel.UNDEFINED) -> None:
        files.append(File.generated(config, src_uri, abs_src_path=str(path), inclusion=inclusion))

    add("architecture.md", REPO / "ARCHITECTURE.md")
    # A File with a real source folder: mkdocs-jupyter reads the notebook through src_dir.
    notebook = _executed_notebook()
    files.append(File(notebook.name, str(notebook.parent), config.site_dir, config.use_directory_urls))
    add("benchmarks/methods.md", REPO / "benches" / "README.md", InclusionLevel.NOT_IN_NAV)
    for path in sorted((REPO / "benches" / "results").iterdir()):
        if path.suffix in (".md", ".png"):
            add(f"benchmarks/results/{path.name}", path, InclusionLevel.NOT_IN_NAV)
    return files


CLI_MARKER = "<!-- cli-help: each command's --help, filled in by tools/docs_hooks.py -->"
CLI_COMMANDS = ("check", "run", "ls", "show", "lineage", "compare", "explain", "gc", "datagen")


def _cli_help() -> str:
    """``scenarium --help`` and each command's, as the program prints them."""
    import contextlib
    import io

    from scenarium import cli

    sections = []
    for command in ("", *CLI_COMMANDS):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            cli.main([command, "--help"] if command else ["--help"])
        title = f"`scenarium {command}`" if command else "`scenarium`"
        sections.append(f"## {title}\n\n```text\n{out.getvalue().rstrip()}\n```\n")
    return "\n".join(sections)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """The benchmarks page ends with every report of benches/results/, newest first,
    each with its plot when it has one: a new result file is on the site as it lands."""
    if page.file.src_uri == "reference/cli.md":
        return markdown.replace(CLI_MARKER, _cli_help())
    if page.file.src_uri != "benchmarks.md":
        return markdown
    lines = [markdown.rstrip(), ""]
    results = REPO / "benches" / "results"
    for report in sorted(results.glob("*.md"), key=lambda p: p.name, reverse=True):
        title = report.read_text(encoding="utf-8").lstrip().splitlines()[0].lstrip("# ").strip()
        lines.append(f"- [{title}](benchmarks/results/{report.name}) (`{report.name}`)")
    lines += ["", "The raw numbers of each run are the `.json` files beside them in `benches/results/`.", ""]
    for plot in sorted(results.glob("*.png"), key=lambda p: p.name, reverse=True):
        lines += [f"### {plot.stem}", "", f"![{plot.stem}](benchmarks/results/{plot.name})", ""]
    return "\n".join(lines)


def on_post_build(config: Any) -> None:
    global _work
    if _work is not None:
        shutil.rmtree(_work, ignore_errors=True)
        _work = None


class ScenariumDocs(griffe.Extension):
    """Griffe extension (``mkdocs.yml``: mkdocstrings' ``extensions``).

    - The package's docstrings title their doctests ``Example:``, which the Google style
      reads as an admonition of Markdown; ``Examples:`` makes them highlighted ``pycon``.
    - The native tasks are made at import time (``native_task(name, doc)``), so reading the
      source sees attributes: they are documented as the functions an import gives."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = re.sub(r"^(\s*)Example:[ \t]*$", r"\1Examples:", obj.docstring.value, flags=re.M)

    def on_module_members(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        if mod.path != "scenarium.tasks.customer_analysis":
            return
        inspected = griffe.inspect(mod.path)
        for name in inspected.exports or ():
            member = inspected.get_member(str(name))
            if isinstance(member, griffe.Function):
                member.parent = mod
                mod.set_member(str(name), member)
                self.on_object(obj=member)
