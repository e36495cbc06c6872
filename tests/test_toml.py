"""Taipy TOML files: load, export, override, check, and the file errors."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scenarium as sc
from conftest import ARTICLE, REPO
from scenarium import Config, Frequency, Scope

pytest.importorskip("dask.dataframe")  # the article's algo.py imports dask

SEED_TOML = ARTICLE / "config.toml"


def write(tmp_path, text: str, name: str = "config.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def specs() -> dict[str, dict]:
    return {k: v._spec() for k, v in Config.scenarios.items()}


def test_the_article_toml_gives_the_article_scenario(article_dir) -> None:
    import config  # the article's config.py, in article_dir

    from_python = config.scenario_cfg._spec()
    Config.load(SEED_TOML)  # functions import relative to the file's folder; here the article's are on sys.path
    loaded = Config.scenarios["scenario_1"]
    assert {**loaded._spec(), "id": "scenario"} == {**from_python, "id": "scenario"}
    s = sc.create_scenario(loaded)
    s.submit()
    assert s.high_value_summary_df.read() is not None


def test_export_of_the_article_config_loads_back_equal(article_dir, tmp_path) -> None:
    import config  # noqa: F401  (configures the article's scenario)

    before = specs()
    Config.export(tmp_path / "exported.toml")
    Config._reset()
    Config.load(tmp_path / "exported.toml")
    assert specs() == before
    # ... and the file says what Taipy Studio writes.
    text = (tmp_path / "exported.toml").read_text()
    assert '[TASK.preprocess_and_score]\nfunction = "algos.algo.preprocess_and_score:function"' in text
    assert 'default_data = "1000:int"' in text and 'skippable = "True:bool"' in text


def test_native_config_round_trips_with_names_bound(tmp_path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(REPO / "examples" / "native"))
    sys.modules.pop("config", None)
    import config  # noqa: F401

    before = specs()
    Config.export(tmp_path / "native.toml")
    text = (tmp_path / "native.toml").read_text()
    assert '"scenarium.tasks.customer_analysis.segment_analysis:function"' in text
    Config.load(tmp_path / "native.toml")
    assert specs() == before
    assert list(Config.check()) == []  # inputs bound by name are no "unknown key"
    sys.modules.pop("config", None)


def test_every_typed_string_and_env_template(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SC_WORKERS", "3")
    monkeypatch.setenv("SC_FOLDER", str(tmp_path / "store"))
    (tmp_path / "helpers.py").write_text("def double(x):\n    return 2 * x\n\nclass Model:\n    pass\n")
    path = write(
        tmp_path,
        """
        [TAIPY]

        [JOB]
        mode = "standalone"
        max_nb_of_workers = "ENV[SC_WORKERS]:int"

        [CORE]
        storage_folder = "ENV[SC_FOLDER]"

        [DATA_NODE.default]
        owner = "data team"

        [DATA_NODE.x]
        default_data = "21:int"
        ratio = "0.25:float"
        flag = "False:bool"
        start = "2024-01-31T08:00:00:datetime"
        validity_period = "1d2h:timedelta"
        scope = "GLOBAL:SCOPE"
        model = "helpers.Model:class"
        plain = "text"

        [DATA_NODE.y]

        [TASK.double]
        function = "helpers.double:function"
        inputs = [ "x:SECTION",]
        outputs = [ "y:SECTION",]
        skippable = "True:bool"

        [SCENARIO.s]
        tasks = [ "double:SECTION",]
        additional_data_nodes = []
        frequency = "WEEKLY:FREQUENCY"

        [SCENARIO.s.comparators]
        y = [ "helpers.double:function",]

        [SCENARIO.s.sequences]
        only = [ "double:SECTION",]
        """,
    )
    Config.load(path)
    x = Config.data_nodes["x"]
    assert (x.default_data, x.ratio, x.flag, x.plain) == (21, 0.25, False, "text")
    assert x.start == datetime(2024, 1, 31, 8) and x.validity_period == timedelta(days=1, hours=2)
    assert x.scope is Scope.GLOBAL and x.model.__name__ == "Model" and x.owner == "data team"
    assert Config.data_nodes["y"].owner == "data team"
    task = Config.tasks["double"]
    assert task.function(4) == 8 and task.skippable is True
    s = Config.scenarios["s"]
    assert s.frequency is Frequency.WEEKLY and s.sequences == {"only": ["double"]}
    assert [f(1) for f in s.comparators["y"]] == [2]
    assert (Config.job_config.mode, Config.job_config.max_nb_of_workers) == ("standalone", 3)
    assert Config.core.storage_folder == str(tmp_path / "store")
    assert [i for i in Config.check() if i.level == "error"] == []
    # The template, not the secret it resolved to, is what export writes back.
    Config.export(tmp_path / "again.toml")
    assert '"ENV[SC_WORKERS]:int"' in (tmp_path / "again.toml").read_text()


def test_override_changes_only_what_the_file_names(article_dir, tmp_path) -> None:
    import config  # noqa: F401

    path = write(tmp_path, '[DATA_NODE.payment_threshold]\ndefault_data = "1600:int"\n[JOB]\nmode = "standalone"\n')
    Config.override(path)
    assert Config.data_nodes["payment_threshold"].default_data == 1600
    assert Config.data_nodes["score_threshold"].default_data == 1.5
    assert Config.job_config.mode == "standalone"
    assert len(Config.tasks) == 4


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("[TASK.t]\nskippable = 'abc:bool'\n", ":2:13", '"abc" is not a boolean'),
        ("[DATA_NODE.a]\n\nx = 'abc:int'\n", ":3:5", '"abc" is not an integer'),
        ("[DATA_NODE.a]\nx = '3:integer'\n", ":2:5", "unknown type :integer"),
        ("[DATA_NODE.a]\nx = 'ENV[SC_NOT_SET_ANYWHERE]:int'\n", ":2:5", "SC_NOT_SET_ANYWHERE is not set"),
        ("[DATA_NODE.a]\nx = = 1\n", ":2:", "invalid TOML"),
        ("[DATA_NODE.a\n", ":1:", "invalid TOML"),
    ],
)
def test_file_errors_name_the_file_line_and_column(tmp_path, text, where, message) -> None:
    path = write(tmp_path, text)
    with pytest.raises(sc.InvalidConfigFile, match=message) as e:
        Config.load(path)
    assert str(e.value).startswith(f"{path}{where}"), str(e.value)
    assert e.value.file == str(path) and e.value.line == int(where.split(":")[1])


def test_a_missing_file_is_invalid_config_file(tmp_path) -> None:
    with pytest.raises(sc.InvalidConfigFile, match="nope.toml: cannot read"):
        Config.load(tmp_path / "nope.toml")


def issues_of(tmp_path, text: str, level: str = "error") -> list[str]:
    (tmp_path / "fns.py").write_text("def one(a):\n    return a\n\ndef two(df, metric):\n    return df\n")
    sys.modules.pop("fns", None)
    Config.load(write(tmp_path, text))
    return [str(i) for i in Config.check() if i.level == level]


RULES = [
    ("[DATA_NODES.a]\n", "[DATA_NODES] unknown section [DATA_NODES] (did you mean DATA_NODE?)"),
    (
        "[DATA_NODE.a]\ndefault_dat = 1\n",
        ':2: error: [DATA_NODE.a] default_dat: unknown key "default_dat" (did you mean default_data?)',
    ),
    (
        "[DATA_NODE.a]\n[TASK.t]\nfunction = 'fns.one:function'\ninputs = ['b:SECTION']\n",
        ':4: error: [TASK.t] inputs: inputs "b" is not a [DATA_NODE.b] section',
    ),
    (
        "[DATA_NODE.a]\n[TASK.t]\nfunction = 'fns.one:function'\ninputs = ['a:SECTION']\noutputs = ['a:SECTION']\n",
        'data node "a" is both an input and an output',
    ),
    (
        "[DATA_NODE.a]\n[DATA_NODE.b]\n[TASK.t]\nfunction = 'fns.one:function'\ninputs = ['a:SECTION']\noutputs = ['b:SECTION']\n[TASK.u]\nfunction = 'fns.one:function'\ninputs = ['b:SECTION']\noutputs = ['a:SECTION']\n",  # noqa: E501
        'cycle through tasks "t", "u" and data nodes "a", "b"',
    ),
    (
        "[DATA_NODE.a]\n[TASK.t]\nfunction = 'fns.one:function'\noutputs = ['a:SECTION']\n[TASK.u]\nfunction = 'fns.one:function'\noutputs = ['a:SECTION']\n[SCENARIO.s]\ntasks = ['t:SECTION', 'u:SECTION']\n",  # noqa: E501
        'data node "a" is written by more than one task ("t" and "u")',
    ),
    (
        "[DATA_NODE.a]\n[TASK.t]\nfunction = 'fns.missing:function'\ninputs = ['a:SECTION']\n",
        ":3: error: [TASK.t] function: cannot import fns.missing: AttributeError",
    ),
    (
        "[DATA_NODE.a]\n[TASK.t]\nfunction = 'nomodule.f:function'\ninputs = ['a:SECTION']\n",
        "cannot import nomodule.f: ModuleNotFoundError",
    ),
    (
        "[DATA_NODE.a]\n[DATA_NODE.b]\n[TASK.t]\nfunction = 'fns.one:function'\ninputs = ['a:SECTION', 'b:SECTION']\n",
        "[TASK.t] inputs: one takes 1 positional parameters (a), but the task has 2 inputs",
    ),
    (
        "[DATA_NODE.a]\nstorage_type = 'parqet'\n",
        ':2: error: [DATA_NODE.a] storage_type: unknown storage_type "parqet" (did you mean parquet?)',
    ),
    (
        "[DATA_NODE.a]\nstorage_type = 'parquet_folder'\n",
        'storage_type "parquet_folder" is a Taipy storage type that scenarium does not support',
    ),
    (
        "[DATA_NODE.a]\nstorage_type = 'csv'\ndefault_data = '3:int'\n",
        ":3: error: [DATA_NODE.a] default_data: default_data of a csv data node must be a table",
    ),
    ("[SCENARIO.s]\ntasks = ['nope:SECTION']\n", 'task "nope" is not a [TASK.nope] section'),
    ("[JOB]\nmode = 'standalon'\n", "(did you mean standalone?)"),
]


@pytest.mark.parametrize(("text", "expected"), RULES, ids=[f"rule{i}" for i in range(len(RULES))])
def test_each_check_rule_names_the_culprit(tmp_path, text, expected) -> None:
    errors = issues_of(tmp_path, text)
    assert any(expected in e for e in errors), errors
    assert all(e.startswith(str(tmp_path / "config.toml")) for e in errors), errors


def test_positional_binding_mistake_is_a_warning(tmp_path) -> None:
    text = "[DATA_NODE.metric]\n[DATA_NODE.df]\n[TASK.t]\nfunction = 'fns.two:function'\ninputs = ['metric:SECTION', 'df:SECTION']\n"  # noqa: E501
    warnings = issues_of(tmp_path, text, "warning")
    assert any(
        "[TASK.t] inputs: input 1 is data node 'metric', but it is passed as parameter 'df'" in w for w in warnings
    ), warnings


def test_an_unchecked_invalid_config_cannot_create_a_scenario(tmp_path) -> None:
    text = "[DATA_NODE.a]\n[TASK.t]\nfunction = 'fns.missing:function'\ninputs = ['a:SECTION']\n[SCENARIO.s]\ntasks = ['t:SECTION']\n"  # noqa: E501
    issues_of(tmp_path, text)
    Config.load(tmp_path / "config.toml")
    with pytest.raises(sc.InvalidConfig, match=r"cannot import fns.missing") as e:
        sc.create_scenario(Config.scenarios["s"])
    assert e.value.issues[0].section == "TASK.t" and e.value.issues[0].line == 3


def test_cli_check_prints_issues_and_exits_non_zero(tmp_path) -> None:
    bad = write(tmp_path, "[DATA_NODE.a]\nstorage_type = 'parqet'\n", "bad.toml")
    run = subprocess.run([sys.executable, "-m", "scenarium", "check", str(bad)], capture_output=True, text=True)
    assert run.returncode == 1 and 'unknown storage_type "parqet"' in run.stdout, run
    run = subprocess.run([sys.executable, "-m", "scenarium", "check", str(SEED_TOML)], capture_output=True, text=True)
    assert run.returncode == 0 and "0 error(s), 0 warning(s)" in run.stderr, run  # algos/ is beside it
    alone = write(tmp_path, SEED_TOML.read_text(), "alone.toml")
    run = subprocess.run([sys.executable, "-m", "scenarium", "check", str(alone)], capture_output=True, text=True)
    assert run.returncode == 1 and "cannot import algos.algo.preprocess_and_score" in run.stdout, run
    broken = write(tmp_path, "[DATA_NODE.a\n", "broken.toml")
    run = subprocess.run([sys.executable, "-m", "scenarium", "check", str(broken)], capture_output=True, text=True)
    assert run.returncode == 2 and f"{broken}:1:" in run.stderr


FUZZ_EXAMPLES = int(os.environ.get("SCENARIUM_FUZZ_EXAMPLES", "300"))
FRAGMENTS = ["[", "]", "=", '"', "'", ":int", ":SECTION", ":function", ":bool", "ENV[", "\n", ".", ",", "[[", "#", "\\"]


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 8))
def test_mutated_files_only_raise_config_errors(tmp_path, seed, edits) -> None:
    rng = random.Random(seed)
    text = SEED_TOML.read_text()
    for _ in range(edits):
        at = rng.randrange(len(text) + 1)
        action = rng.randrange(3)
        if action == 0:
            text = text[:at] + rng.choice(FRAGMENTS) + text[at:]
        elif action == 1:
            text = text[:at] + text[at + rng.randrange(1, 12) :]
        else:
            text = text[:at] + chr(rng.randrange(32, 127)) + text[at + 1 :]
    path = tmp_path / "fuzz.toml"
    path.write_text(text)
    Config._reset()
    try:
        Config.load(path)
        Config.check()
        for scenario in Config.scenarios.values():
            sc.create_scenario(scenario)
    except sc.ConfigError:  # InvalidConfigFile and InvalidConfig are ConfigErrors
        pass
