"""Test projects laid out as users lay them out (several modules and packages), each
step run in a fresh interpreter with a random ``PYTHONHASHSEED``."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

# Run by every step: configure (by importing the project's `pipeline` module), reuse
# the scenario an earlier step created, submit, and report jobs and values.
STEP = """
import json, sys
import scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=".scenarium", progress=False)
import pipeline
cfg = pipeline.scenario_cfg
found = [s for s in sc.get_scenarios() if s.config_id == cfg.id]
scenario = found[0] if found else sc.create_scenario(cfg)
{before}
submission = scenario.submit()
def show(value):
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)
print("RESULT" + json.dumps({{
    "jobs": {{j.task_config_id: [j.status.name, j.reason] for j in submission.jobs}},
    "values": {{k: show(dn.read()) for k, dn in scenario.data_nodes.items() if dn.is_ready_for_reading}},
}}))
"""


class Project:
    """A folder of modules; ``step()`` runs one submit in a new process."""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.root = root
        self.write(files)

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            # A new size or mtime is not needed: the new interpreter reads the source.
            path.write_text(textwrap.dedent(text))
            for cached in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
                cached.unlink()

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text()
        assert old in text, f"{old!r} not in {name}"
        self.write({name: text.replace(old, new)})

    def run(self, code: str, seed: int | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PYTHONHASHSEED=str(random.randrange(2**32) if seed is None else seed))
        env["PYTHONPATH"] = os.pathsep.join([str(self.root), env.get("PYTHONPATH", "")])
        return subprocess.run(
            [sys.executable, "-c", code], cwd=self.root, env=env, capture_output=True, text=True, timeout=300
        )

    def step(self, before: str = "", seed: int | None = None) -> dict[str, Any]:
        out = self.run(STEP.format(before=textwrap.dedent(before)), seed)
        assert out.returncode == 0, out.stderr
        line = next(line for line in out.stdout.splitlines() if line.startswith("RESULT"))
        return json.loads(line[len("RESULT") :])


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {task: status for task, (status, _) in result["jobs"].items()}
