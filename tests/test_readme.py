"""The README's example runs as written."""

from __future__ import annotations

import contextlib
import io
import re
import shutil

from conftest import REPO, SAMPLE_CSV


def test_readme_examples_run(tmp_path) -> None:
    text = (REPO / "README.md").read_text()
    first, *others = re.findall(r"```python\n(.*?)```", text, re.S)
    (tmp_path / "data").mkdir()
    shutil.copy(SAMPLE_CSV, tmp_path / "data" / SAMPLE_CSV.name)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(first, "README.md", "exec"), namespace)
    scenario = namespace["scenario"]
    jobs = scenario.submissions[-1].jobs
    assert [j.status.name for j in jobs] == ["SKIPPED", "COMPLETED"]
    assert out.getvalue().split()[0] == str(scenario.n_above.read())
    with contextlib.redirect_stdout(io.StringIO()) as out:
        for block in others:
            exec(compile(block, "README.md", "exec"), {})
    assert "High Value" in out.getvalue()
