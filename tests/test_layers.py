"""The dependency rule (ARCHITECTURE.md, "Two layers"), checked: no circle between
files in src/, and every import inside the Python package points down its layers.
Imports that still point up are listed in UPWARD with the reason they remain: a new
one fails this test, and so does one that is gone (so the list only shrinks)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "python" / "scenarium"
SRC = REPO / "src"

# Lowest first: a module may import modules of its own layer or below.
LAYERS = [
    {"_core", "exceptions", "_arguments", "_memory"},
    {
        "_static_ref",
        "_dag_svg",
        "datagen",
        "_code_identity",
        "_recording",
        "_hints",
        "_filter",
        "_events",
        "tasks._native",
        "_json_values",
        "_templates",
        "_taipy_members",
        "_reasons",
    },
    # _html draws whatever it is given (its entity and config types are for the type
    # checker only), so configurations and entities alike can show themselves.
    {"_external", "_codec", "_html", "tasks.customer_analysis", "tasks"},
    {"_config_model", "_dask_frames"},
    {"_config_document", "_cycle"},
    {"config_toml", "_config_check"},
    {"config"},
    {"_runtime", "_external_sync", "_progress", "_why"},
    {"entities"},
    {"_workers", "_dask", "_lineage", "_plots", "_api"},
    {"_lookups", "_transfer"},
    {"cli", "__init__", "__main__"},
    # Taipy's module names (taipy.core...), over the package
    {
        "core",
        "core.notification",
        "core.job",
        "core.job.status",
        "core.data",
        "core.data.operator",
        "core.config",
        "common",
        "common.config",
        "_taipy_paths",
    },
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}

# (importer, imported): why the arrow still points up. Issue 20 removes them.
UPWARD = {
    ("_runtime", "_dask"): "mode='dask' starts Dask workers on first use (optional dependency)",
    ("_runtime", "_workers"): "mode='standalone' starts worker processes on first use",
    ("entities", "_plots"): "Submission.plot (optional matplotlib)",
    ("entities", "_api"): "Scenario.submit, Task.submit and dry_run are the API's functions",
    ("entities", "_transfer"): "Scenario.export is export_scenario",
}


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def scenarium_imports(path: Path) -> set[str]:
    """The package modules ``path`` imports, at module level or in functions (not
    under ``if TYPE_CHECKING``: those are types only)."""
    tree = ast.parse(path.read_text())
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "scenarium":
            inner = node.module.removeprefix("scenarium").lstrip(".")
            if inner:
                found.add(inner)
            else:
                found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.add(node.module or "")
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("scenarium.") for a in node.names if a.name.startswith("scenarium.")}
    return {f for f in found if f}


def resolve(name: str) -> str | None:
    """The LAYER key of an imported name (a module, or a name from __init__)."""
    while name and name not in LAYER:
        name = name.rpartition(".")[0]
    return name or None


def test_every_python_import_points_down_or_is_a_listed_debt() -> None:
    upward, unknown = set(), set()
    for path in PACKAGE.rglob("*.py"):
        importer = module_name(path)
        if importer == "conftest":
            continue  # the docstring examples' test set-up, not part of the package
        if importer not in LAYER:
            unknown.add(importer)
            continue
        for imported in scenarium_imports(path):
            target = resolve(imported) or "__init__"
            if target == importer:
                continue
            if LAYER[target] > LAYER[importer]:
                upward.add((importer, target))
    assert not unknown, f"modules in no layer (add them to LAYERS): {sorted(unknown)}"
    new = upward - set(UPWARD)
    assert not new, f"imports pointing up the layers: {sorted(new)}"
    gone = set(UPWARD) - upward
    assert not gone, f"listed as pointing up but gone (remove them from UPWARD): {sorted(gone)}"


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
    dependency, start-up time, an arrow listed in UPWARD) carries a comment saying why."""
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
