"""The registry is durable: a second Python process sees and uses the first's scenario."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import scenarium as sc
from conftest import ids


def run(code: str, cwd) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_second_process_reads_and_submits_the_first_ones_scenario(tmp_path, storage) -> None:
    (tmp_path / "pipeline.py").write_text(
        textwrap.dedent("""
        from scenarium import Config

        def triple(x):
            return 3 * x

        a = Config.configure_data_node("a", default_data=5)
        b = Config.configure_data_node("b")
        t = Config.configure_task("triple", triple, input=[a], output=[b], skippable=True)
        cfg = Config.configure_scenario("triples", task_configs=[t])
    """)
    )
    first = run(
        f"""
        import scenarium as sc
        from scenarium import Config
        Config.configure_core(storage_folder={str(storage)!r})
        from pipeline import cfg
        s = sc.create_scenario(cfg, name="made elsewhere")
        s.submit()
        print(s.id)
    """,
        tmp_path,
    ).strip()

    scenarios = sc.get_scenarios()
    assert [s.id for s in scenarios] == [first]
    s = scenarios[0]
    assert s.name == "made elsewhere" and s.b.read() == 15

    second = run(
        f"""
        import scenarium as sc
        from scenarium import Config
        Config.configure_core(storage_folder={str(storage)!r})
        s = sc.get({first!r})
        s.a.write(7)
        sub = s.submit()   # pipeline.triple is imported by name: no config needed here
        print(s.b.read(), [j.status.name for j in sub.jobs])
    """,
        tmp_path,
    )
    assert second.split()[0] == "21"
    assert s.b.read() == 21
    s.a.write(5)
    sys.path.insert(0, str(tmp_path))
    try:
        assert ids(s.submit(), sc.Status.SKIPPED) == ["triple"]
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("pipeline", None)
