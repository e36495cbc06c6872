"""A large CSV is hashed in the same pass that parses it when no stored result could
match whatever it holds, and the skip rule stays exact: unchanged content (even
touched) is served, changed content re-runs, old content comes back from the cache.
Each step runs in a fresh interpreter (tests/projects.py)."""

from __future__ import annotations

import json
import os
import time

from projects import STEP, Project, statuses
from scenarium import datagen

PIPELINE = {
    "pipeline.py": """
        from scenarium import Config
        from scenarium.tasks import customer_analysis as ca
        from summaries import rows_and_total

        path_cfg = Config.configure_data_node(id="path_to_data", default_data="customers.csv")
        scored_cfg = Config.configure_data_node(id="scored_df")
        summary_cfg = Config.configure_data_node(id="summary")
        score_cfg = Config.configure_task("score", ca.preprocess_and_score, path_cfg, scored_cfg, skippable=True)
        summary_task_cfg = Config.configure_task("summarize", rows_and_total, scored_cfg, summary_cfg, skippable=True)
        scenario_cfg = Config.configure_scenario("scoring", [score_cfg, summary_task_cfg])
    """,
    "summaries.py": """
        def rows_and_total(scored):
            return [scored.height, round(float(scored["CUSTOMER_SCORE"].sum()), 6)]
    """,
}


def settle(path) -> None:
    """An mtime a minute old, then a pause: past the fingerprint cache's racy window."""
    old = time.time() - 60
    os.utime(path, (old, old))
    time.sleep(2.1)


def test_a_csv_is_hashed_as_parsed_and_skipping_stays_exact(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCENARIUM_HASH_AS_READ_FROM", "1")
    project = Project(tmp_path, PIPELINE)
    csv = tmp_path / "customers.csv"
    datagen.write_csv(str(csv), 3_000, 11)
    original = csv.read_bytes()
    settle(csv)

    monkeypatch.setenv("SCENARIUM_PHASES", "1")
    first = project.run(STEP.format(before=""))
    monkeypatch.delenv("SCENARIUM_PHASES")
    assert first.returncode == 0, first.stderr
    phases = [line for line in first.stderr.splitlines() if "preprocess_and_score" in line]
    assert phases and "Fingerprint" in phases[0], first.stderr
    result = json.loads(next(x for x in first.stdout.splitlines() if x.startswith("RESULT"))[6:])
    assert statuses(result) == {"score": "COMPLETED", "summarize": "COMPLETED"}
    rows, total = result["values"]["summary"]
    assert rows == 3_000

    again = project.step()
    assert statuses(again) == {"score": "SKIPPED", "summarize": "SKIPPED"}, again
    csv.touch()
    settle(csv)
    assert statuses(project.step()) == {"score": "SKIPPED", "summarize": "SKIPPED"}, "same content, new time"

    with csv.open("a") as f:
        f.write("999999,30,USA,100.5,3,4.5,12.0,2020-01-01,True\n")
    settle(csv)
    changed = project.step()
    assert statuses(changed) == {"score": "COMPLETED", "summarize": "COMPLETED"}
    assert "the content of" in changed["jobs"]["score"][1]
    assert changed["values"]["summary"][0] == 3_001

    csv.write_bytes(original)
    settle(csv)
    back = project.step()
    assert statuses(back) == {"score": "SKIPPED", "summarize": "SKIPPED"}
    assert back["values"]["summary"] == [rows, total]
