"""The dependency rule (ARCHITECTURE.md), checked where no maintained tool does it: no
circle between files in src/, and every import inside a Python function says why it is
there. The Python package's layers and its freedom from circles are import-linter's
contracts (pyproject.toml, [tool.importlinter]; `lint-imports` in `make lint`)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "python" / "scenarium"
SRC = REPO / "src"


def rust_file_edges() -> dict[Path, set[Path]]:
    """File -> files it names through ``crate::`` or ``super::`` paths (tests left out)."""

    def file_of(parts: list[str]) -> Path | None:
        base = SRC.joinpath(*parts)
        for candidate in (base.with_suffix(".rs"), base / "mod.rs"):
            if candidate.is_file():
                return candidate
        return None

    edges: dict[Path, set[Path]] = defaultdict(set)
    for path in SRC.rglob("*.rs"):
        if "tests" in path.stem:
            continue
        text = path.read_text().split("#[cfg(test)]\nmod tests")[0]
        own = list(path.relative_to(SRC).with_suffix("").parts)
        if own[-1] in ("mod", "lib"):
            own = own[:-1]
        for reference in re.findall(r"\b((?:crate|super)(?:::[A-Za-z_]\w*)+)", text):
            first, *rest = reference.split("::")
            base = [] if first == "crate" else own[:-1]
            target = next((f for k in range(len(rest), 0, -1) if (f := file_of(base + rest[:k]))), None)
            target = target or file_of(base) or SRC / "lib.rs"
            if target != path:
                edges[path].add(target)
    return edges


def test_no_circle_between_rust_files() -> None:
    edges = rust_file_edges()
    seen: dict[Path, int] = {}
    circles = []

    def visit(node: Path, trail: list[Path]) -> None:
        seen[node] = 1
        for nxt in edges.get(node, ()):
            if seen.get(nxt) == 1:
                circles.append(trail[trail.index(nxt) :] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in seen:
                visit(nxt, trail + [nxt])
        seen[node] = 2

    for start in sorted(edges):
        if start not in seen:
            visit(start, [start])
    shown = [" -> ".join(str(p.relative_to(REPO)) for p in c) for c in circles]
    assert not circles, "circles between files in src/:\n" + "\n".join(shown)


def test_every_import_inside_a_function_says_why() -> None:
    """Imports belong at the top of a module; one inside a function (an optional
    dependency, start-up time, code that runs on a worker) carries a comment saying why."""
    silent = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "conftest.py":
            continue
        lines = path.read_text().splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    line, above = lines[node.lineno - 1], lines[node.lineno - 2]
                    if "#" not in line and not above.strip().startswith("#"):
                        silent.append(f"{path.relative_to(REPO)}:{node.lineno}: {line.strip()}")
    assert not silent, "imports inside functions without a reason:\n" + "\n".join(sorted(set(silent)))
