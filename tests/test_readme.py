"""The README's example runs as written."""

from __future__ import annotations

import contextlib
import io
import re
import shutil

from conftest import REPO, SAMPLE_CSV


def test_readme_example_runs(tmp_path) -> None:
    text = (REPO / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "data").mkdir()
    shutil.copy(SAMPLE_CSV, tmp_path / "data" / SAMPLE_CSV.name)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(block, "README.md", "exec"), namespace)
    scenario = namespace["scenario"]
    jobs = scenario.submissions[-1].jobs
    assert [j.status.name for j in jobs] == ["SKIPPED", "COMPLETED"]
    assert out.getvalue().split()[0] == str(scenario.n_above.read())
