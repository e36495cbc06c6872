"""The README's example does what its comments say (tests/test_docs.py runs every block of
the README and of docs/ in an empty folder)."""

from __future__ import annotations

import contextlib
import io
import re

from conftest import REPO


def test_readme_examples_run(tmp_path) -> None:
    text = (REPO / "README.md").read_text()
    first, *_ = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(first, "README.md", "exec"), namespace)
    scenario = namespace["scenario"]
    jobs = scenario.submissions[-1].jobs
    assert [j.status.name for j in jobs] == ["SKIPPED", "COMPLETED"]
    assert out.getvalue().split()[0] == str(scenario.n_above.read())
