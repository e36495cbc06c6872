"""What checking stored objects against their names costs (issue "Nothing lost...").

    python bench_verification.py [--rows 30M] [--repeat 3] [--before SITE_DIR]

1. A stored table of ``--rows`` rows (the generated customers CSV, written by the user
   API into a pickle data node: a Parquet object), in fresh processes: the check of the
   object against its name the first time (blake3 of its bytes), the same check again in
   that process, the check in later processes (the registry's stat cache remembers it),
   and decoding the table (median of 3), which every read pays with or without a check.
2. The article's first submit (native tasks, ``--rows`` rows): this build against the
   build in ``--before`` (an unpacked wheel of the commit before verification), turn
   by turn in one run, so the ratio is measured against its baseline on the same machine.

Writes benches/results/verification.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import customers_csv, require_release_build, write_result
from bench_suite import rows_arg

HERE = Path(__file__).resolve().parent

WRITE = """
import sys, polars as pl, scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=sys.argv[1])
dn = Config.configure_data_node("table", storage_type="pickle")
s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[dn]))
s.table.write(pl.read_csv(sys.argv[2]))
print(s.table.id)
"""

READ = """
import gc, json, statistics, sys, time, polars as pl, scenarium as sc
from scenarium import Config
Config.configure_core(storage_folder=sys.argv[1])
Config.configure_data_node("table", storage_type="pickle")
node = sc.get(sys.argv[2])
engine, stored = node._engine, node._latest().value

def timed(f):
    start = time.perf_counter(); f(); return time.perf_counter() - start

check_first = timed(lambda: engine.object_path(stored.hash))
check_again = timed(lambda: engine.object_path(stored.hash))
path = engine.object_path(stored.hash, verify=False)
decodes = []
for _ in range(3):
    decodes.append(timed(lambda: pl.read_parquet(path)))
    gc.collect()
read_s = timed(lambda: node.read())
print(json.dumps({"check_first_s": check_first, "check_again_s": check_again,
                  "decode_median_s": statistics.median(decodes), "read_after_check_s": read_s,
                  "object_bytes": stored.size}))
"""


def run_json(code_or_script: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, *code_or_script], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def stored_table_reads(csv: Path, repeat: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="scenarium-verify-") as folder:
        env = dict(os.environ)
        made = subprocess.run([sys.executable, "-c", WRITE, folder, str(csv)], capture_output=True, text=True, env=env)
        if made.returncode != 0:
            sys.exit(made.stderr)
        dn_id = made.stdout.strip().splitlines()[-1]
        time.sleep(2.2)  # past the racy window: the first check may be remembered by the registry
        first_process = run_json(["-c", READ, folder, dn_id], env)
        later = [run_json(["-c", READ, folder, dn_id], env) for _ in range(repeat)]
    return {
        "object_bytes": first_process["object_bytes"],
        "first_process": first_process,
        "later_processes_median": {k: statistics.median(r[k] for r in later) for k in later[0] if k.endswith("_s")},
        # What checking adds to the first read of the table in a process that never saw it.
        "first_check_over_decode": first_process["check_first_s"] / first_process["decode_median_s"],
    }


def first_submits(csv: Path, before_site: str | None, repeat: int) -> dict:
    builds = {"after": None, **({"before": before_site} if before_site else {})}
    firsts: dict[str, list[float]] = {name: [] for name in builds}
    for _ in range(repeat):
        for name, site in builds.items():
            env = dict(os.environ)
            if site:
                env["PYTHONPATH"] = site
            with tempfile.TemporaryDirectory(prefix=f"scenarium-verify-{name}-") as folder:
                result = run_json([str(HERE / "native_sequence.py"), str(csv), folder], env)
            firsts[name].append(result["times_s"][0])
    out = {name: {"first_submit_s": times, "median_s": statistics.median(times)} for name, times in firsts.items()}
    if "before" in out:
        out["after_over_before"] = out["after"]["median_s"] / out["before"]["median_s"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=rows_arg, default=30_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", help="an unpacked wheel of the build to compare the first submit with")
    args = parser.parse_args()
    require_release_build()
    csv = customers_csv(args.rows)
    result = {
        "stored_table": stored_table_reads(csv, args.repeat),
        "article_first_submit": first_submits(csv, args.before, args.repeat),
        "targets": {"first_submit_added": "< 10%", "later_reads_added": "nothing"},
    }
    path = write_result("verification", result)
    print(json.dumps(result, indent=1))
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
