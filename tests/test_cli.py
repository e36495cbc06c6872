"""The command line, as a user runs it: each command, --json, bad arguments, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE_CSV

pytest.importorskip("dask.dataframe")  # the article's algo.py imports dask


def cli(*args: str, cwd, check_code: int | None = 0) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [sys.executable, "-m", "scenarium", "--storage", str(cwd / "store"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    if check_code is not None:
        assert run.returncode == check_code, (run.stdout, run.stderr)
    return run


@pytest.fixture
def app(tmp_path):
    shutil.copytree(REPO / "examples" / "article" / "algos", tmp_path / "algos")
    shutil.copy(REPO / "examples" / "article" / "config.toml", tmp_path / "config.toml")
    (tmp_path / "data").mkdir()
    shutil.copy(SAMPLE_CSV, tmp_path / "data" / "customers_data.csv")
    return tmp_path


def test_run_then_rerun_skips_and_set_reruns_what_changed(app) -> None:
    first = cli("run", "config.toml", "--json", "--quiet", cwd=app)
    result = json.loads(first.stdout.strip().splitlines()[-1])
    assert [j["status"] for j in result["jobs"]] == ["COMPLETED"] * 4
    again = json.loads(cli("run", "config.toml", "--json", cwd=app).stdout.strip().splitlines()[-1])
    assert [j["status"] for j in again["jobs"]] == ["SKIPPED"] * 4
    assert again["scenario"] == result["scenario"], "run reuses the config's latest scenario"
    changed = cli("run", "config.toml", "--set", "payment_threshold=1600", "--json", "--quiet", cwd=app)
    statuses = [j["status"] for j in json.loads(changed.stdout.strip().splitlines()[-1])["jobs"]]
    assert statuses == ["SKIPPED", "COMPLETED", "COMPLETED", "COMPLETED"]
    assert "payment_threshold" in changed.stdout  # the reason names the changed input


def test_ls_show_lineage_compare_gc(app) -> None:
    cli("run", "config.toml", "--quiet", cwd=app)
    cli("run", "config.toml", "--new", "--set", 'metric="median"', "--quiet", cwd=app)
    rows = json.loads(cli("ls", "--json", cwd=app).stdout)
    assert [r["config_id"] for r in rows] == ["scenario_1", "scenario_1"]
    assert all(r["last_submission"] == "COMPLETED" for r in rows)
    first, second = rows[0]["id"], rows[1]["id"]
    assert first in cli("ls", cwd=app).stdout
    shown = json.loads(cli("show", first, "--json", cwd=app).stdout)
    assert shown["data_nodes"]["high_value_summary_df"]["ready"] is True
    summary_id = shown["data_nodes"]["high_value_summary_df"]["id"]
    assert "high_value_cust_summary_statistics" in cli("lineage", summary_id, cwd=app).stdout
    compared = cli("compare", first, second, "--data-node", "metric", cwd=app).stdout
    assert "mean" in compared and "median" in compared
    assert "deleted" in cli("gc", "--grace", "0", cwd=app).stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("show", "SCENARIO_nope"), 2, "SCENARIO_nope"),
        (("lineage", "SCENARIO_nope"), 2, "SCENARIO_nope"),
        (("run", "missing.toml"), 2, "missing.toml: cannot read"),
        (("run", "config.toml", "--set", "nosuch=1"), 2, "expected DATA_NODE=VALUE with one of"),
        (("run", "config.toml", "--scenario", "other"), 2, "no scenario config 'other'"),
        (("frobnicate",), 2, "invalid choice"),
        (("ls", "--colour"), 2, "unrecognized arguments: --colour"),
    ],
)
def test_bad_arguments_say_what_is_wrong(app, args, code, message) -> None:
    run = cli(*args, cwd=app, check_code=code)
    assert message in run.stderr, run.stderr


def test_a_failing_task_exits_1_with_the_reason(app) -> None:
    run = cli("run", "config.toml", "--set", 'metric="average"', "--quiet", cwd=app, check_code=1)
    assert "segment_analysis" in run.stderr and "FAILED" in run.stdout


def test_every_command_has_help(app) -> None:
    for command in ("check", "run", "ls", "show", "lineage", "compare", "gc"):
        assert "usage: scenarium " + command in cli(command, "--help", cwd=app).stdout
    assert "--rows" in cli("datagen", "--help", cwd=app).stdout


def test_the_docs_terminal_walkthrough_runs_as_written(tmp_path) -> None:
    """Every command of the guide's "From a terminal" block (docs/guide/configuration.md), in a copy of the repository's
    examples and shipped data, each in its own process: all exit 0 and say what they promise."""
    import re
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    shutil.copytree(repo / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(repo / "data", tmp_path / "data")
    section = (repo / "docs" / "guide" / "configuration.md").read_text().split("## From a terminal", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#", 1)[0].split() for line in block.splitlines() if line.strip()]
    assert len(commands) == 6
    outputs = []
    for command in commands:
        assert command[:3] == ["python", "-m", "scenarium"]
        done = subprocess.run(
            [sys.executable, *command[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stderr[-1500:])
        outputs.append(done.stdout + done.stderr)
    assert "0 error(s)" in outputs[0]
    second_run = outputs[2]
    assert re.search(r"preprocess_and_score\s+SKIPPED", second_run)
    assert re.search(r"featurization_and_segmentation\s+COMPLETED", second_run)
    assert "scenario_1" in outputs[3]
    assert "high_value_summary_df" in outputs[4] and "written by high_value_cust_summary_statistics" in outputs[5]


def test_explain_finds_a_toml_scenarios_functions_without_config_in_and_outside_its_folder(tmp_path) -> None:
    """`scenarium explain SCENARIO_...` as a user types it (the console script, which does
    not put the current folder on sys.path): no --config, in the configuration's folder
    and in another one."""
    project = tmp_path / "project"
    (project / "mods").mkdir(parents=True)
    (project / "mods" / "__init__.py").write_text("")
    (project / "mods" / "steps.py").write_text("def double(x):\n    return 2 * x\n")
    (project / "config.toml").write_text(
        '[DATA_NODE.x]\nstorage_type = "pickle"\ndefault_data = "21:int"\n\n'
        '[DATA_NODE.y]\nstorage_type = "pickle"\n\n'
        '[TASK.doubling]\nfunction = "mods.steps.double:function"\ninputs = [ "x:SECTION",]\n'
        'outputs = [ "y:SECTION",]\nskippable = "True:bool"\n\n'
        '[SCENARIO.doubler]\ntasks = [ "doubling:SECTION",]\n'
    )
    script = shutil.which("scenarium", path=str(Path(sys.executable).parent))
    assert script, "the console script is installed beside the interpreter"

    def scenarium(*args: str, cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run([script, *args], capture_output=True, text=True, cwd=cwd)

    ran = scenarium("run", "config.toml", "--json", "--quiet", cwd=project)
    assert ran.returncode == 0, ran.stderr
    scenario_id = json.loads(ran.stdout.strip().splitlines()[-1])["scenario"]
    here = scenarium("explain", scenario_id, cwd=project)
    assert here.returncode == 0, here.stderr
    assert "doubling" in here.stdout and "mods.steps.double" in here.stdout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    away = scenarium("--storage", str(project / ".scenarium"), "explain", scenario_id, "--json", cwd=elsewhere)
    assert away.returncode == 0, away.stderr
    assert "doubling" in json.loads(away.stdout)


def test_only_a_submission_records_where_a_task_function_was_found(tmp_path) -> None:
    """function_dirs/ is written by a submit; sc.why and dry runs write nothing."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "steps_for_dirs.py").write_text("def triple(x):\n    return 3 * x\n")
    code = (
        "import sys, os\n"
        f"sys.path.insert(0, {str(project)!r})\n"
        "import scenarium as sc\n"
        "from scenarium import Config\n"
        "from steps_for_dirs import triple\n"
        "x, y = Config.configure_data_node('x', default_data=2), Config.configure_data_node('y')\n"
        "t = Config.configure_task('triple', triple, input=[x], output=[y], skippable=True)\n"
        "s = sc.create_scenario(Config.configure_scenario('tripler', task_configs=[t]))\n"
        "sc.why(s); sc.dry_run(s)\n"
        "print(os.path.isdir('.scenarium/function_dirs'))\n"
        "s.submit()\n"
        "folder = '.scenarium/function_dirs'\n"
        "print([open(os.path.join(folder, f)).read() for f in os.listdir(folder)])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.splitlines()
    assert before == "False"
    assert "steps_for_dirs" in after and json.dumps(str(project))[1:-1] in after
