"""Runs the code examples of Taipy's documentation under scenarium, each unchanged but
for the import (``taipy`` -> ``scenarium``), each in a fresh folder and process, and
prints which pass. The examples are not copied into this repository: point ``--docs``
at a checkout of Avaiga/taipy-doc (or its bare git directory).

    python tests/taipy_compat/run_docs.py --docs ../taipy-doc [--json results.json]

With ``--python`` (an interpreter that has Taipy installed), each example also runs
under Taipy, and the ratio is over the examples that pass there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from contexts import needs_data_node, preamble  # noqa: E402

# The pages whose examples this suite covers: data nodes, scenarios, sequences,
# cycles, tasks, jobs, submissions, events, orchestration; and the tutorials on
# scenario management.
ROOT = "docs/userman/scenario_features/"
TUTORIALS = tuple(
    f"docs/tutorials/articles/{name}/"
    for name in (
        "cycles_scopes", "job_execution", "scenario_management_overview", "scenario_subscription",
        "skippable_tasks", "the_data_nodes", "scenarios", "scenario_comparison", "version_management",
    )
)  # fmt: skip
# The manual's pages on configuration (TOML, checker, job and core settings) and scheduling.
ADVANCED = tuple(f"docs/userman/advanced_features/{name}/" for name in ("configuration", "scheduling"))
# The configuration module that the user manual's pages import (`import my_config`).
MY_CONFIG = ROOT + "sdm/scenario/code-example/index/my_config.py"
# Examples that need Taipy's GUI, a REST service or a server scenarium cannot reach
# here are run too, but reported apart.
NEEDS_GUI = re.compile(r"^\s*(from taipy(\.gui)? import .*\bGui\b|import taipy\.gui|from taipy\.gui)", re.M)
_GUI_START = re.compile(r"^.*\b(tp\.|taipy\.)?Gui\(", re.M)
_CODE_BLOCK = re.compile(r"^([ \t]*)```(?:python|py)\b[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)
_MEDIA = (".png", ".gif", ".jpg", ".svg", ".webp", ".mp4", ".zip")

_IMPORT_LINE = re.compile(r"^(\s*(?:from|import)\s+)taipy\b", re.M)
_IMPORT_BARE = re.compile(r"^(\s*)import taipy\s*$", re.M)


def to_scenarium(source: str) -> str:
    """The example with only its imports changed, as a user would change them:
    ``taipy`` becomes ``scenarium`` (``import taipy`` becomes ``import scenarium as taipy``)."""
    source = _IMPORT_BARE.sub(r"\1import scenarium as taipy", source)
    return _IMPORT_LINE.sub(r"\1scenarium", source)


def without_gui(source: str) -> str:
    """A tutorial script's scenario-management part: the script up to the line that
    builds its GUI, without the GUI's imports (a tutorial ends by showing its scenarios
    in a page, which needs Taipy's web server)."""
    match = _GUI_START.search(source)
    if match:
        source = source[: match.start()]
    lines = [line for line in source.splitlines() if not re.match(r"\s*(from taipy\.gui|import taipy\.gui)", line)]
    return "\n".join(lines) + "\n"


_TITLED_BLOCK = re.compile(r"^([ \t]*)```[a-z]*\b[^\n]*\btitle=\"([^\"]+)\"[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)


def titled_files(markdown: str, position: int) -> dict[str, str]:
    """The files a page shows as titled blocks (``title="config.toml"``, ``"my_functions.py"``),
    each as the page shows it last before ``position`` (else first after it): the file a
    block of the page reads or imports, as a reader following the page would have it."""
    files: dict[str, str] = {}
    after: dict[str, str] = {}
    for block in _TITLED_BLOCK.finditer(markdown):
        indent, title, body = block.group(1), block.group(2), block.group(3)
        lines = [line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in body.splitlines()]
        text = textwrap.dedent("\n".join(lines)) + "\n"
        if block.start() < position:
            files[title] = text
        else:
            after.setdefault(title, text)
    return {**after, **files}


_HEADING = re.compile(r"^(#{1,3}) +(.+?)\s*$|^\s*=== +\"(.+)\"\s*$", re.M)


def code_blocks(markdown: str) -> list[tuple[str, str | None, str, dict[str, str]]]:
    """A page's Python code blocks, dedented out of their admonitions, each with the
    heading it is under, the tab it is in and the page's titled files as it stands there;
    blocks that only include a file (run as that file) are left out."""
    blocks = []
    marks = [(m.start(), m) for m in _HEADING.finditer(markdown)]
    for block in _CODE_BLOCK.finditer(markdown):
        indent, body = block.group(1), block.group(2)
        if "include-markdown" in body or "--8<--" in body:
            continue
        section, tab = "", None
        for start, mark in marks:
            if start > block.start():
                break
            if mark.group(1):
                section, tab = mark.group(2), None
            else:
                tab = mark.group(3)
        lines = [line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in body.splitlines()]
        blocks.append((section, tab, textwrap.dedent("\n".join(lines)) + "\n", titled_files(markdown, block.start())))
    return blocks


@dataclass
class Example:
    """One program to run: its name (a file, or a page and block number), its source
    and the files it needs beside it."""

    name: str
    source: str
    files: dict[str, str] = field(default_factory=dict)
    gui: bool = False


class Docs:
    """A taipy-doc checkout, or a bare git directory read with ``git show``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bare = not (path / "docs").is_dir()

    def files(self, root: str = ROOT) -> list[str]:
        if not self.bare:
            return sorted(str(p.relative_to(self.path)) for p in (self.path / root).rglob("*") if p.is_file())
        listing = subprocess.run(
            ["git", "--git-dir", str(self.path), "ls-tree", "-r", "--name-only", "HEAD", root],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return sorted(listing.splitlines())

    def read(self, name: str) -> str:
        if not self.bare:
            return (self.path / name).read_text()
        return subprocess.run(
            ["git", "--git-dir", str(self.path), "show", f"HEAD:{name}"], capture_output=True, text=True, check=True
        ).stdout

    def siblings(self, folder: str) -> dict[str, str]:
        """The text files of a folder (not its subfolders), by base name."""
        names = [f for f in self.files(folder.rstrip("/") + "/") if os.path.dirname(f) == folder.rstrip("/")]
        return {os.path.basename(f): self.read(f) for f in names if not f.endswith(_MEDIA)}

    def examples(self) -> list[Example]:
        found = []
        for name in [n for root in (ROOT, *ADVANCED) for n in self.files(root)]:
            if name.endswith(".py") and not name.endswith(("my_config.py", "config.py")):
                text = self.read(name)
                files = {k: v for k, v in self.siblings(os.path.dirname(name)).items() if k.endswith(".py")}
                found.append(Example(name, text, files, bool(NEEDS_GUI.search(text))))
        my_config = {"my_config.py": self.read(MY_CONFIG)}
        for root in (ROOT, *ADVANCED, *TUTORIALS):
            for name in self.files(root):
                if not name.endswith(".md"):
                    continue
                beside = self.siblings(root + "src") if root in TUTORIALS else {}
                for number, (section, tab, block, titled) in enumerate(code_blocks(self.read(name)), 1):
                    files = {**my_config, **beside} if "my_config" in block else dict(beside)
                    files.update({k: v for k, v in titled.items() if "/" not in k})
                    if root == ROOT and needs_data_node(block) and (context := preamble(section, tab)):
                        block = context + block  # a fragment: run in the section's setting
                    found.append(Example(f"{name}#{number}", block, files, bool(NEEDS_GUI.search(block))))
        for root in TUTORIALS:
            beside = self.siblings(root + "src")
            for base, text in sorted(beside.items()):
                if base.endswith(".py") and "tgb" not in base:
                    found.append(Example(f"{root}src/{base}", without_gui(text), beside))
        return found


def docstring_examples(package: Path) -> list[Example]:
    """The examples of Taipy's reference manual: the Python blocks of the docstrings of
    its scenario-management modules (the reference pages are generated from them)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package.parent).as_posix()
        if relative.split("/")[1] not in ("core", "common", "event", "__init__.py", "_entrypoint.py"):
            continue
        for number, (_, _, block, _) in enumerate(code_blocks(path.read_text()), 1):
            found.append(Example(f"reference/{relative}#{number}", block, {}, bool(NEEDS_GUI.search(block))))
    return found


def taipy_package(python: str) -> Path:
    where = "import os, taipy; print(os.path.dirname(taipy.__file__))"
    return Path(subprocess.run([python, "-c", where], capture_output=True, text=True, check=True).stdout.strip())


def run_one(example: Example, python: str, convert: bool, timeout: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="taipy-doc-") as tmp:
        for base, text in example.files.items():
            (Path(tmp) / base).write_text(to_scenarium(text) if convert and base.endswith(".py") else text)
        script = Path(tmp) / "example_under_test.py"
        script.write_text(to_scenarium(example.source) if convert else example.source)
        env = dict(os.environ, PYTHONPATH=tmp, PWD="secret", SCENARIUM_STORAGE=str(Path(tmp) / ".scenarium"))
        try:
            done = subprocess.run(
                [python, script.name], cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"timed out after {timeout:g} s"}
    error = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}, nothing on stderr"])[-1]
    return {"ok": done.returncode == 0, "error": "" if done.returncode == 0 else error}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", required=True, type=Path, help="taipy-doc checkout or bare git directory")
    parser.add_argument("--python", help="an interpreter with Taipy installed, to run each example there too")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--taipy-source", type=Path, help="Taipy's package folder, for its docstrings' examples (default: --python's)"
    )
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("-k", help="only examples whose path contains this")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="examples run at once")
    parser.add_argument("--taipy-cache", type=Path, help="Taipy's results by example, kept between runs")
    args = parser.parse_args(argv)
    docs = Docs(args.docs)
    found = docs.examples()
    if args.taipy_source or args.python:
        found += docstring_examples(args.taipy_source or taipy_package(args.python))
    examples = [e for e in found if not args.k or args.k in e.name]
    cache = json.loads(args.taipy_cache.read_text()) if args.taipy_cache and args.taipy_cache.exists() else {}

    def run_both(example: Example) -> dict[str, object]:
        result = run_one(example, sys.executable, True, args.timeout)
        result["gui"] = example.gui
        if args.python:
            key = hashlib.blake2b((example.source + repr(sorted(example.files.items()))).encode()).hexdigest()
            if key not in cache:
                cache[key] = run_one(example, args.python, False, args.timeout)
            result["taipy_ok"] = cache[key]["ok"]
            result["taipy_error"] = cache[key]["error"]
        return result

    results: dict[str, dict[str, object]] = {}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for example, result in zip(examples, pool.map(run_both, examples)):
            results[example.name] = result
            mark = "ok  " if result["ok"] else "FAIL"
            if args.python and not result["taipy_ok"]:
                mark = "ok  " if result["ok"] else "n/a "  # fails on Taipy too
            shown = example.name.removeprefix(ROOT).removeprefix("docs/tutorials/articles/").removeprefix("docs/")
            print(f"{mark} {shown}" + ("" if result["ok"] else f"  -- {result['error']}"), flush=True)
    if args.taipy_cache:
        args.taipy_cache.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
    counted = {n: r for n, r in results.items() if not r["gui"] and r.get("taipy_ok", True)}
    passed = sum(bool(r["ok"]) for r in counted.values())
    basis = "that pass on Taipy" if args.python else "run (Taipy not available to compare)"
    print(f"\n{passed}/{len(counted)} examples pass on scenarium, of those {basis}, GUI examples apart")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
