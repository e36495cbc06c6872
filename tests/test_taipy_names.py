"""Every public module path and name of Taipy 4.1.1's scenario management imports from
``scenarium`` (``taipy`` -> ``scenarium``), module by module, checked against the list
generated from an installed Taipy (tests/taipy_compat/taipy_public_names.json; regenerate
with ``make taipy-names``). CI has no Taipy: the list is checked in."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

LISTED = json.loads((Path(__file__).parent / "taipy_compat" / "taipy_public_names.json").read_text())["modules"]


def test_the_list_is_taipy_4_1_1s_scenario_management() -> None:
    assert "taipy.core.taipy" in LISTED and "taipy.core.data.csv" in LISTED
    assert len(LISTED) >= 70 and sum(map(len, LISTED.values())) >= 500


@pytest.mark.parametrize("taipy_module", sorted(LISTED))
def test_module_imports_with_every_public_name(taipy_module: str) -> None:
    module = importlib.import_module("scenarium" + taipy_module.removeprefix("taipy"))
    missing = [name for name in LISTED[taipy_module] if getattr(module, name, None) is None]
    assert not missing, f"{module.__name__} lacks Taipy's {missing}"
    assert set(LISTED[taipy_module]) <= set(dir(module))


def test_the_package_table_is_the_checked_in_list() -> None:
    from scenarium._taipy_paths import MODULES

    assert {f"taipy.{name}": list(names) for name, names in MODULES.items()} == LISTED


def test_what_users_import_is_scenariums_own() -> None:
    import scenarium
    import scenarium.core.taipy as tp
    from scenarium.core.data import JoinOperator, Operator
    from scenarium.core.data.csv import CSVDataNode
    from scenarium.core.exceptions.exceptions import NonExistingCycle, NonExistingScenario

    assert tp.create_scenario is scenarium.create_scenario and tp.Scenario is scenarium.Scenario
    assert (Operator, JoinOperator) == (scenarium.Operator, scenarium.JoinOperator)
    assert NonExistingScenario is scenarium.NonExistingScenario
    assert issubclass(NonExistingCycle, scenarium.exceptions.NonExistingEntity)
    csv = scenarium.Config.configure_csv_data_node("names_csv", default_path="names.csv")
    pickled = scenarium.Config.configure_data_node("names_pickle")
    assert CSVDataNode.__name__ == "CSVDataNode" and csv.storage_type == "csv" and pickled


def test_a_fresh_process_imports_taipys_paths_first() -> None:
    # the finder must be in place whichever module a program imports first
    code = "import scenarium.core.taipy as tp; from scenarium.core.data.csv import CSVDataNode; print(tp.get_scenarios)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "get_scenarios" in out
