"""The article's timing table, measured side by side in one run: scenarium (native
tasks, and the article's own pandas + Dask functions), Taipy + Dask as the article
runs it, plain Python polars (eager and lazy) and DuckDB (SQL, tables in memory or in a
database file), on the same generated data.

    python bench_suite.py [--rows 1M 10M 30M] [--repeat 3] [--wheel]

Every system runs the article's four submits in a process of its own (peak RSS is
its own), `--repeat` times, in turns, each from the same start (`settle_machine`);
medians are reported. Before any time is
reported, every system's final segment table (and, among systems binding task 4's
inputs the same way, its summary) is checked equal to the others' within 1e-9
relative: a fast wrong answer cannot win. Taipy 4 is installed into its own venv
(benches/.venv-taipy); when that fails, Taipy is skipped with the reason.
Results: benches/results/<date>-<machine>[-<label>].{md,json,png}.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from _common import RESULTS, customers_csv, machine, require_release_build, run_measured

HERE = Path(__file__).resolve().parent
TAIPY_VENV = HERE / ".venv-taipy"
TAIPY_REQUIREMENTS = ["taipy==4.1.1", "dask[dataframe]==2026.8.0"]
NATIVE = "scenarium, native tasks"
SYSTEMS = {
    # name: (script and arguments; how task 4's inputs are bound, which decides its summary)
    NATIVE: (["app_sequence.py", "scenarium", "native"], "by name"),
    "scenarium, article's code": (["app_sequence.py", "scenarium", "article"], "positional"),
    "Taipy + Dask (article)": (["app_sequence.py", "taipy", "article"], "positional"),
    "polars, eager": (["baseline_polars.py", "eager"], "by name"),
    "polars, lazy": (["baseline_polars.py", "lazy"], "by name"),
    "DuckDB, in-memory tables": (["baseline_duckdb.py", "memory"], "by name"),
    "DuckDB, file-backed tables": (["baseline_duckdb.py", "file"], "by name"),
}


def rows_arg(text: str) -> int:
    text = text.upper().replace("_", "")
    scale = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("KM")) * scale)


def taipy_python() -> tuple[str | None, str]:
    """The Taipy venv's python, installing it if needed; (None, why) when it cannot be."""
    python = TAIPY_VENV / "bin" / "python"
    check = [str(python), "-c", "import taipy, dask.dataframe; print(taipy.version._get_version())"]
    if python.exists():
        done = subprocess.run(check, capture_output=True, text=True)
        if done.returncode == 0:
            return str(python), done.stdout.strip()
    print(f"installing {' '.join(TAIPY_REQUIREMENTS)} into {TAIPY_VENV.relative_to(HERE.parent)} ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(TAIPY_VENV)], check=True, capture_output=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *TAIPY_REQUIREMENTS], check=True, capture_output=True
        )
        done = subprocess.run(check, capture_output=True, text=True, check=True)
    except subprocess.CalledProcessError as e:
        return None, f"Taipy could not be installed: {(e.stderr or b'').decode(errors='replace')[-300:]}"
    return str(python), done.stdout.strip()


def settle_machine(csv: Path) -> None:
    """The same start for every run: no earlier system's writes still pending (they
    would slow whoever fsyncs next), and the CSV read once (in the page cache, as it
    is for a data scientist who just wrote or read it)."""
    os.sync()
    with csv.open("rb") as f:
        while f.read(16 << 20):
            pass


def run_system(name: str, python: str, csv: Path) -> dict:
    script, _ = SYSTEMS[name]
    settle_machine(csv)
    storage = Path(tempfile.mkdtemp(prefix="scenarium-suite-"))
    args = [python, str(HERE / script[0]), *script[1:], str(csv)]
    if script[0] == "app_sequence.py":
        args.append(str(storage))
    try:
        # In the storage folder: Taipy keeps its own state in ./.taipy whatever it is told.
        stdout, peak_anon = run_measured(args, cwd=str(storage))
    finally:
        shutil.rmtree(storage, ignore_errors=True)
    return {**json.loads(stdout.strip().splitlines()[-1]), "peak_anon_mib": peak_anon}


def close(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
    return a == b


def same_table(a: list[dict], b: list[dict]) -> bool:
    return len(a) == len(b) and all(
        ra.keys() == rb.keys() and all(close(ra[k], rb[k]) for k in ra) for ra, rb in zip(a, b)
    )


def check_outputs(runs: dict[str, list[dict]]) -> dict[str, str]:
    """Per system, "ok" or why its output differs from scenarium native's (or its group's)."""
    verdicts = {}
    reference = runs[NATIVE][0]
    for name, results in runs.items():
        binding = SYSTEMS[name][1]
        peers = [n for n in runs if SYSTEMS[n][1] == binding]
        summary_reference = runs[peers[0]][0]["summary"]
        problems = []
        for result in results:
            if not same_table(result["segment_result"], reference["segment_result"]):
                problems.append(f"segment table differs from {NATIVE}'s: {result['segment_result']}")
            if not same_table(result["summary"], summary_reference):
                problems.append(f"summary differs from {peers[0]}'s: {result['summary']}")
        verdicts[name] = "ok" if not problems else problems[0]
    return verdicts


def median(values: list[float]) -> float:
    return statistics.median(values)


def summarise(results: list[dict]) -> dict:
    per_submit = [median([r["times_s"][i] for r in results]) for i in range(4)]
    return {
        "submits_s": per_submit,
        "total_s": median([sum(r["times_s"]) for r in results]),
        "skip_s": median([r["skip_s"] for r in results]) if "skip_s" in results[0] else None,
        "peak_rss_mib": median([r["peak_rss_mib"] for r in results]),
        "peak_anon_mib": median([r["peak_anon_mib"] for r in results]),
        "all_totals_s": [sum(r["times_s"]) for r in results],
    }


def cold_import_ms(repeat: int = 7) -> float:
    """A new interpreter's `import scenarium`, over a bare start, with bytecode caches as an
    installed package has them (an environment with PYTHONDONTWRITEBYTECODE would time compiling)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def timed(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        return time.perf_counter() - start

    timed("import scenarium")  # writes the bytecode caches
    base = median([timed("pass") for _ in range(repeat)])
    return 1000 * (median([timed("import scenarium") for _ in range(repeat)]) - base)


def fingerprint_mb_s(csv: Path) -> float:
    """First fingerprint of a CSV (what a first submit pays to know its input), page cache warm."""
    from scenarium import _core

    folder = tempfile.mkdtemp(prefix="scenarium-suite-fp-")
    try:
        engine = _core.Engine(folder)
        start = time.perf_counter()
        engine.file_fingerprint(str(csv))
        return csv.stat().st_size / 1e6 / (time.perf_counter() - start)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def overhead_ms_per_job() -> float:
    from bench_overhead import per_job_ms

    return per_job_ms(1000, 1, False, 3)["median"]


def wheel_build_s() -> float:
    out = tempfile.mkdtemp(prefix="scenarium-suite-wheel-")
    start = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "maturin"), "build", "--release", "--quiet", "--out", out],
        cwd=HERE.parent,
        check=True,
        capture_output=True,
    )
    shutil.rmtree(out, ignore_errors=True)
    return time.perf_counter() - start


def host() -> dict:
    info = machine()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem_kib = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return {**info, "cpu": cpu, "memory_gib": round(mem_kib / 2**20, 1)}


def versions(taipy_version: str | None) -> dict:
    import dask
    import duckdb
    import pandas
    import polars

    import scenarium

    return {
        "scenarium": f"{scenarium.__version__} ({scenarium.build_profile})",
        "polars (Python)": polars.__version__,
        "pandas": pandas.__version__,
        "duckdb": duckdb.__version__,
        "dask": dask.__version__,
        "taipy": taipy_version or "not installed",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=rows_arg, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--systems", nargs="+", choices=list(SYSTEMS), default=list(SYSTEMS))
    parser.add_argument("--wheel", action="store_true", help="also time `maturin build --release`")
    parser.add_argument("--label", help="appended to the results' file names, so a partial run keeps the full one")
    args = parser.parse_args()
    require_release_build()
    pythons = {name: sys.executable for name in args.systems}
    taipy_version = None
    notes = []
    if "Taipy + Dask (article)" in args.systems:
        python, said = taipy_python()
        if python is None:
            notes.append(said)
            print(said, file=sys.stderr)
            del pythons["Taipy + Dask (article)"]
        else:
            pythons["Taipy + Dask (article)"], taipy_version = python, said

    sizes = {}
    for rows in args.rows:
        csv = customers_csv(rows)
        runs: dict[str, list[dict]] = {name: [] for name in pythons}
        for turn in range(args.repeat):
            for name, python in pythons.items():
                result = run_system(name, python, csv)
                runs[name].append(result)
                print(f"{rows:>11,} rows, run {turn + 1}: {name:28s} {sum(result['times_s']):7.2f} s", flush=True)
        verdicts = check_outputs(runs)
        summary = {name: {**summarise(results), "output": verdicts[name]} for name, results in runs.items()}
        native_total = summary[NATIVE]["total_s"]
        for stats in summary.values():
            stats["vs_scenarium_native"] = stats["total_s"] / native_total
        floor = [r["csv_scan_floor_s"] for r in runs.get("polars, eager", []) + runs.get("polars, lazy", [])]
        sizes[str(rows)] = {
            "csv_bytes": csv.stat().st_size,
            "csv_scan_floor_s": median(floor) if floor else None,
            "systems": summary,
            "runs": runs,
        }
    largest = customers_csv(max(args.rows))
    extras = {
        "fully_skipped_submit_ms": 1000 * sizes[str(max(args.rows))]["systems"][NATIVE]["skip_s"],
        "orchestration_ms_per_job_1000_task_chain": overhead_ms_per_job(),
        "fingerprint_mb_per_s": fingerprint_mb_s(largest),
        "cold_import_ms": cold_import_ms(),
    }
    if args.wheel:
        extras["wheel_build_s_dependencies_compiled"] = wheel_build_s()
    result = {
        "machine": host(),
        "versions": versions(taipy_version),
        "repeat": args.repeat,
        "notes": notes,
        "sizes": sizes,
        "extras": extras,
    }
    stem = f"{datetime.now(timezone.utc):%Y-%m-%d}-{os.cpu_count()}cpu-{round(result['machine']['memory_gib'])}gib"
    if args.label:
        stem += f"-{args.label}"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    from suite_report import chart, markdown

    chart(result, RESULTS / f"{stem}.png")
    (RESULTS / f"{stem}.md").write_text(markdown(result, f"{stem}.png"))
    print((RESULTS / f"{stem}.md").read_text())
    print(f"written to benches/results/{stem}.{{md,json,png}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
