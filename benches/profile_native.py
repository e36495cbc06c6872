"""Where the native sequence's time goes: each submit's wall time split into
its jobs (from the registry's job records) and what scenarium does around them
(fingerprinting inputs, deciding, recording). One run, release build. Each native
task also prints the CPU seconds of its threads by phase (read, parse, encode, hash, fingerprint,
write, flush: `scenarium.phases` in the Rust core, on with SCENARIUM_PHASES=1).

    python profile_native.py CSV
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _sequence import STEPS

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    csv = os.path.abspath(sys.argv[1])
    os.environ.setdefault("SCENARIUM_PHASES", "1")
    import scenarium as sc
    from scenarium import Config

    folder = tempfile.mkdtemp(prefix="scenarium-profile-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    Config.configure_core(storage_folder=folder, progress=False)
    sys.path.insert(0, str(REPO / "examples" / "native"))
    import config

    scenario = sc.create_scenario(config.scenario_cfg)
    scenario.path_to_data.write(csv)
    for step, (node, value) in enumerate(STEPS, 1):
        if node is not None:
            getattr(scenario, node).write(value)
        start = time.perf_counter()
        submission = scenario.submit()
        wall = time.perf_counter() - start
        jobs = [(j.task_config_id, j.status.name, j.duration or 0.0) for j in submission.jobs]
        in_jobs = sum(d for _, _, d in jobs)
        print(f"submit {step}: {wall:6.2f} s, of which jobs {in_jobs:6.2f} s, around them {wall - in_jobs:5.2f} s")
        for name, status, duration in jobs:
            if status == "COMPLETED":
                print(f"    {name:36s} {duration:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
