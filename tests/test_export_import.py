"""export_scenario / import_scenario: a scenario to a zip and into another storage
folder, with its configuration, name, tags, sequences and every version of its data."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile

import pandas as pd
import pytest

import scenarium as sc
from scenarium import Config


def double(frame):
    return frame.assign(v=frame["v"] * 2)


def configure():
    a = Config.configure_data_node("a", default_data=pd.DataFrame({"v": [1, 2]}))
    b = Config.configure_data_node("b")
    t = Config.configure_task("double", double, input=a, output=b)
    return Config.configure_scenario("s", task_configs=[t], sequences={"only": [t]})


def test_a_scenario_travels_with_its_history(tmp_path) -> None:
    scenario = sc.create_scenario(configure(), name="original")
    scenario.add_tag("q3")
    scenario.submit()
    scenario.a.write(pd.DataFrame({"v": [5]}), editor_id="ana", comment="new", ticket=7)
    zip_path = tmp_path / "out" / "s.zip"
    scenario.export(zip_path, include_data=True)
    with pytest.raises(sc.InvalidArgument, match="override=True"):
        sc.export_scenario(scenario.id, zip_path)
    sc.export(scenario.id, output_path=zip_path, override=True, include_data=True)
    assert "scenario.json" in zipfile.ZipFile(zip_path).namelist()

    # Into another storage folder, in a fresh process.
    (tmp_path / "other").mkdir()
    code = textwrap.dedent(f"""
        import json, scenarium as sc
        sc.Config.configure_core(storage_folder="store", progress=False)
        s = sc.import_scenario({str(zip_path)!r})
        print(json.dumps({{
            "name": s.name, "tags": sorted(s.tags), "sequences": list(s.sequences),
            "a": s.a.read()["v"].tolist(), "a1": s.a.read(version=1)["v"].tolist(), "b": s.b.read()["v"].tolist(),
            "writers": [h["writer"] for h in s.a.history()], "ticket": s.a.edits[-1]["ticket"],
        }}))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path / "other", capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    got = __import__("json").loads(out.stdout)
    assert got == {
        "name": "original", "tags": ["q3"], "sequences": ["only"], "a": [5], "a1": [1, 2], "b": [2, 4],
        "writers": ["default", "ana"], "ticket": 7,
    }  # fmt: skip


def test_without_data_the_copy_starts_from_the_defaults(tmp_path) -> None:
    scenario = sc.create_scenario(configure())
    scenario.a.write(pd.DataFrame({"v": [9]}))
    sc.export_scenario(scenario, tmp_path / "s.zip")
    copy = sc.import_scenario(tmp_path / "s.zip")
    assert copy.id != scenario.id and copy.a.read()["v"].tolist() == [1, 2]
    assert not copy.b.is_ready_for_reading


def test_a_foreign_zip_is_refused(tmp_path) -> None:
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as archive:
        archive.writestr("scenario.json", '{"format": "taipy"}')
    with pytest.raises(sc.InvalidArgument, match="not a scenario exported by scenarium"):
        sc.import_scenario(tmp_path / "x.zip")
