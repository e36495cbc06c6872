"""The cost of a task's code identity (scenarium.identity.code): the article's tasks,
a task reaching 200 functions over 20 modules (cold: first time in a process; cached:
again, nothing changed), and a fully skipped submit of the article's scenario.

Run with `make bench` (release build). Results: benches/results/code_identity.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from _common import require_release_build, write_result
from bench_skipping import skipped_submit_ms

REPO = Path(__file__).resolve().parent.parent
MODULES, FUNCTIONS_PER_MODULE = 20, 10


def write_wide_project(root: Path) -> None:
    """Package `wide`: module m{i} has functions f{i}_{j}; each calls the next one
    (across modules) and reads a module constant; `wide.entry` calls the first."""
    pkg = root / "wide"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for i in range(MODULES):
        lines = [f"from . import m{i + 1}" if i + 1 < MODULES else "", f"TABLE = {{'k': {i}, 'v': [1, 2, 3]}}"]
        for j in range(FUNCTIONS_PER_MODULE):
            if j + 1 < FUNCTIONS_PER_MODULE:
                call = f"f{i}_{j + 1}(x)"
            elif i + 1 < MODULES:
                call = f"m{i + 1}.f{i + 1}_0(x)"
            else:
                call = "x"
            lines.append(f"def f{i}_{j}(x):\n    return {call} + TABLE['k'] + len(TABLE['v'])")
        (pkg / f"m{i}.py").write_text("\n".join(lines) + "\n")
    (pkg / "entry.py").write_text("from .m0 import f0_0\ndef entry(x):\n    return f0_0(x)\n")


# Run in a new interpreter so that "cold" is really the first time.
PROBE = textwrap.dedent("""
    import importlib, json, sys, time
    from scenarium.identity import code as _code_identity
    target = sys.argv[1]
    module, name = target.rsplit(".", 1)
    fn = getattr(importlib.import_module(module), name)
    start = time.perf_counter()
    parts = _code_identity.identity(fn)
    cold = (time.perf_counter() - start) * 1000
    cached = []
    for _ in range(200):
        start = time.perf_counter()
        again = _code_identity.identity(fn)
        cached.append((time.perf_counter() - start) * 1000)
    assert again == parts
    cached.sort()
    print(json.dumps({"parts": len(parts), "cold_ms": cold, "cached_median_ms": cached[100]}))
""")


def probe(target: str, path: list[str], runs: int) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    rows = []
    for _ in range(runs):
        # Run from the project's folder: its code is the project's own (walked).
        out = subprocess.run(
            [sys.executable, "-c", PROBE, target], env=env, capture_output=True, text=True, cwd=path[0]
        )
        if out.returncode:
            sys.exit(out.stderr)
        rows.append(__import__("json").loads(out.stdout))
    return {
        "parts": rows[0]["parts"],
        "cold_median_ms": statistics.median(r["cold_ms"] for r in rows),
        "cached_median_ms": statistics.median(r["cached_median_ms"] for r in rows),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per probe")
    parser.add_argument("--repeats", type=int, default=50, help="skipped submits")
    parser.add_argument("--any-build", action="store_true", help="allow a debug build (for a quick look)")
    args = parser.parse_args()
    if not args.any_build:
        require_release_build()
    workdir = Path(tempfile.mkdtemp(prefix="scenarium-bench-identity-"))
    try:
        write_wide_project(workdir)
        article = str(REPO / "examples" / "article")
        result = {
            "article_tasks": {
                name: probe(f"algos.algo.{name}", [article], args.runs)
                for name in (
                    "preprocess_and_score",
                    "featurization_and_segmentation",
                    "segment_analysis",
                    "high_value_cust_summary_statistics",
                )
            },
            "wide_task_200_functions_20_modules": probe("wide.entry.entry", [str(workdir)], args.runs),
            "fully_skipped_submit": skipped_submit_ms(workdir, args.repeats),
            "targets": {"cold_ms": 5.0, "cached_ms": 0.2, "skipped_submit_ms": 5.0},
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    path = write_result("code_identity", result)
    for name, row in [
        *result["article_tasks"].items(),
        ("wide (200 functions)", result["wide_task_200_functions_20_modules"]),
    ]:
        cold, cached = row["cold_median_ms"], row["cached_median_ms"]
        print(f"{name:<32} {row['parts']:>4} parts  cold {cold:.2f} ms  cached {cached:.3f} ms")
    print(
        f"fully skipped submit of the article's scenario: median {result['fully_skipped_submit']['median_ms']:.2f} ms"
    )
    print(f"written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
