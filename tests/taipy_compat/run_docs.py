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
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# The pages whose examples this suite covers: data nodes, scenarios, sequences,
# cycles, tasks, jobs, submissions, events, orchestration.
ROOT = "docs/userman/scenario_features/"
# Examples that need Taipy's GUI, a REST service or a server scenarium cannot reach
# here are run too, but reported apart.
NEEDS_GUI = re.compile(r"^\s*(from taipy(\.gui)? import .*\bGui\b|import taipy\.gui|from taipy\.gui)", re.M)

_IMPORT_LINE = re.compile(r"^(\s*(?:from|import)\s+)taipy\b", re.M)
_IMPORT_BARE = re.compile(r"^(\s*)import taipy\s*$", re.M)


def to_scenarium(source: str) -> str:
    """The example with only its imports changed, as a user would change them:
    ``taipy`` becomes ``scenarium`` (``import taipy`` becomes ``import scenarium as taipy``)."""
    source = _IMPORT_BARE.sub(r"\1import scenarium as taipy", source)
    return _IMPORT_LINE.sub(r"\1scenarium", source)


class Docs:
    """A taipy-doc checkout, or a bare git directory read with ``git show``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bare = not (path / "docs").is_dir()

    def files(self) -> list[str]:
        if not self.bare:
            return sorted(str(p.relative_to(self.path)) for p in (self.path / ROOT).rglob("*.py"))
        listing = subprocess.run(
            ["git", "--git-dir", str(self.path), "ls-tree", "-r", "--name-only", "HEAD", ROOT],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        return sorted(line for line in listing.splitlines() if line.endswith(".py"))

    def read(self, name: str) -> str:
        if not self.bare:
            return (self.path / name).read_text()
        return subprocess.run(
            ["git", "--git-dir", str(self.path), "show", f"HEAD:{name}"], capture_output=True, text=True, check=True
        ).stdout


def run_one(docs: Docs, name: str, python: str, convert: bool, timeout: float) -> dict[str, object]:
    folder = os.path.dirname(name)
    siblings = [f for f in docs.files() if os.path.dirname(f) == folder]
    with tempfile.TemporaryDirectory(prefix="taipy-doc-") as tmp:
        for sibling in siblings:
            text = docs.read(sibling)
            (Path(tmp) / os.path.basename(sibling)).write_text(to_scenarium(text) if convert else text)
        env = dict(os.environ, PYTHONPATH=tmp, PWD="secret", SCENARIUM_STORAGE=str(Path(tmp) / ".scenarium"))
        try:
            done = subprocess.run(
                [python, os.path.basename(name)], cwd=tmp, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"timed out after {timeout:g} s"}
    error = (done.stderr.strip().splitlines() or [""])[-1]
    return {"ok": done.returncode == 0, "error": "" if done.returncode == 0 else error}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", required=True, type=Path, help="taipy-doc checkout or bare git directory")
    parser.add_argument("--python", help="an interpreter with Taipy installed, to run each example there too")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("-k", help="only examples whose path contains this")
    args = parser.parse_args(argv)
    docs = Docs(args.docs)
    names = [n for n in docs.files() if not n.endswith(("my_config.py", "config.py")) and (not args.k or args.k in n)]
    results: dict[str, dict[str, object]] = {}
    for name in names:
        text = docs.read(name)
        result = run_one(docs, name, sys.executable, True, args.timeout)
        result["gui"] = bool(NEEDS_GUI.search(text))
        if args.python:
            result["taipy_ok"] = run_one(docs, name, args.python, False, args.timeout)["ok"]
        results[name] = result
        mark = "ok  " if result["ok"] else "FAIL"
        print(f"{mark} {name.removeprefix(ROOT)}" + ("" if result["ok"] else f"  -- {result['error']}"), flush=True)
    counted = {n: r for n, r in results.items() if not r["gui"] and r.get("taipy_ok", True)}
    passed = sum(bool(r["ok"]) for r in counted.values())
    basis = "that pass on Taipy" if args.python else "run (Taipy not available to compare)"
    print(f"\n{passed}/{len(counted)} examples pass on scenarium, of those {basis}, GUI examples apart")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
