"""Shared helpers for the benchmark scripts: machine facts and result files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(__file__).resolve().parent / "data"  # generated, git-ignored


def customers_csv(rows: int) -> Path:
    """The generated CSV of ``rows`` customers (seed 7), made on first use."""
    from scenarium import datagen

    DATA.mkdir(exist_ok=True)
    csv = DATA / f"customers_{rows}.csv"
    if not csv.exists():
        datagen.write_csv(str(csv), rows, 7, progress=sys.stderr.isatty())
    return csv


def require_release_build() -> None:
    import scenarium

    if scenarium.build_profile != "release":
        sys.exit(f"benchmarks need a release build (this one is {scenarium.build_profile}); run `make bench`")


def machine() -> dict:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=RESULTS.parent
    ).stdout.strip()
    return {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_result(name: str, result: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **result}, indent=2) + "\n")
    return path


def run_measured(cmd: list[str], *, interval_s: float = 0.02, cwd: str | None = None) -> tuple[str, float]:
    """Runs ``cmd``; returns its stdout and its peak anonymous resident memory in MiB,
    sampled every ``interval_s`` from /proc: what the process itself allocated, which
    the kernel cannot reclaim without swap. The kernel's high-water mark (ru_maxrss,
    which each child reports itself) also counts pages of memory-mapped files, and
    polars memory-maps local CSV files, so that one grows with the file's size even
    when the process holds little."""
    import threading

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    peak_anon_kib = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_anon_kib
        status = Path(f"/proc/{proc.pid}/status")
        while not done.is_set():
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("RssAnon:"):
                        peak_anon_kib = max(peak_anon_kib, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                return
            done.wait(interval_s)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{stderr}")
    return stdout, peak_anon_kib / 1024


def run_step(code: str, *args: str) -> dict:
    """Runs ``code`` in a fresh process with ``args`` then this folder as its arguments;
    the JSON it printed after ``RESULT``, with its peak anonymous memory in MiB."""
    benches = Path(__file__).resolve().parent
    out, peak = run_measured([sys.executable, "-c", code, *args, str(benches)])
    line = next((x for x in out.splitlines() if x.startswith("RESULT")), None)
    if line is None:
        sys.exit(f"a step failed:\n{out}")
    result = json.loads(line[len("RESULT") :])
    result["peak_anonymous_mib"] = peak
    return result


def submits_table(runs: list[tuple[str, dict]]) -> list[str]:
    """Markdown rows of ``run_step`` results: seconds, peak memory, each job's status and seconds."""
    rows = ["| submit | seconds | peak anonymous MiB | jobs (status, seconds) |", "|---|---|---|---|"]
    for name, run in runs:
        jobs = "; ".join(f"{t} {s} {sec:.2f}" for t, (s, _, sec) in run["jobs"].items())
        rows.append(f"| {name} | {run['seconds']:.2f} | {run['peak_anonymous_mib']:.0f} | {jobs} |")
    return rows
