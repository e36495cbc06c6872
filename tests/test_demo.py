"""`make demo`'s script: both runs, their timings, and why their summaries differ."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_demo_runs_both_pipelines_and_explains_where_their_summaries_differ(tmp_path) -> None:
    from scenarium.datagen import write_csv

    csv = tmp_path / "customers.csv"
    write_csv(str(csv), rows=3000, seed=42)
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "article_demo.py"), "--data", str(csv)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert out.count("nothing changed") == 2 and "ran: nothing" in out
    assert "article  total" in out and "native   total" in out
    for column in ("AveragePurchaseHighValue", "SegmentAnalysisHighValue"):
        assert f"  {column}\n    article" in out, out
    assert "by position" in out and "by name" in out
