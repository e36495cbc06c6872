"""notebooks/app.ipynb runs top to bottom on small data, so it cannot rot."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "app.ipynb"


def test_the_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs before committing"


def test_the_notebook_runs_and_shows_what_it_promises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCENARIUM_NOTEBOOK_ROWS", "20000")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's work folder lands here
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()

    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    warnings = [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not warnings, warnings
    rich = [o.get("data", {}) for o in outputs]
    html = "".join(d.get("text/html", "") for d in rich)
    assert html.count("<svg") >= 3  # the config, the scenario, the lineage
    assert sum("image/png" in d for d in rich) == 2  # the timeline and the comparison plot
    assert "4/4 jobs" in html  # live progress, shown in place
    assert "Config.check()</b>: no issues" in html
    printed = "".join(o.text for o in outputs if o.output_type == "stream")
    for name in ("scored_df", "segmented_customer_df", "segment_result"):
        assert f"{name}" in printed and "equal" in printed
    # Section 10: the user's own lazy tasks, with the native run's skip decisions and numbers.
    assert "segment_result equal to the native run's" in printed
    assert "LazyFrame" in printed and "nothing loaded until collect" in printed
    assert "ran ['segment_analysis', 'high_value_cust_summary_statistics']" in printed  # metric -> median
    # Section 11: a folder of daily files, one new day: one partition runs.
    shown = html + "".join(d.get("text/plain", "") for d in rich)
    assert "spend_per_day: 1 of 5 partitions new, 4 as in version 1" in shown
    assert "spend equal to a read of every day at once" in printed
