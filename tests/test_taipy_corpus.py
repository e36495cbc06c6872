"""Programs people wrote with Taipy (listed in tests/taipy_compat/corpus/manifest.json:
public repositories under permissive licences, taken from clones that
SCENARIUM_TAIPY_SOURCES points at, never copied here) print on scenarium what they
printed on Taipy 4.1.1 (corpus/expected/), each run in a
fresh process in a temporary folder, unchanged but for ``taipy`` -> ``scenarium`` in the
imports (and the GUI's start cut off where the manifest says so). Outputs are compared
normalised (ids, dates, addresses, timings: run_corpus.normalise). A program whose
Taipy output is a Taipy bug scenarium fixes on purpose is listed with the reason as
``expected_difference`` and must keep differing (strict xfail), so the list stays true."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "taipy_compat"))
import run_corpus  # noqa: E402

PROGRAMS = [p for p in run_corpus.programs() if run_corpus.expected_path(p).exists()]


def test_the_corpus_is_programs_from_many_repositories() -> None:
    assert len(PROGRAMS) >= 60 and len({p["repo"] for p in PROGRAMS}) >= 4
    for program in PROGRAMS:
        assert program["licence"] in ("MIT", "Apache-2.0", "BSD-3-Clause"), program["name"]
        assert len(str(program["commit"])) == 40, program["name"]


@pytest.mark.skipif(
    run_corpus.sources() is None,
    reason=f"the corpus programs are other people's code, not kept here: set {run_corpus.SOURCES_VARIABLE} "
    "to a folder of their repositories' clones (tests/taipy_compat/run_corpus.py says how)",
)
@pytest.mark.parametrize("program", PROGRAMS, ids=[str(p["name"]) for p in PROGRAMS])
def test_a_taipy_program_prints_the_same_on_scenarium(program: dict[str, object]) -> None:
    code, out, err = run_corpus.run(program, sys.executable, scenarium=True)
    same = code == 0 and out == run_corpus.expected_path(program).read_text()
    reason = program.get("expected_difference")
    if reason:
        assert not same, f"{program['name']} now prints as on Taipy: take it off the expected differences"
        pytest.xfail(str(reason))
    assert code == 0, err
    assert out == run_corpus.expected_path(program).read_text()
