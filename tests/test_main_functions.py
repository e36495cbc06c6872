"""Functions defined in a script (``__main__``), as Taipy's beginner tutorials use
them: Config.export writes "__main__.fn:function", the script that loads the file
finds them again, and mode="standalone" runs them in worker processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys
    import scenarium as sc
    from scenarium import Config

    def build_message(name):
        return f"Hello {name}!"

    if __name__ == "__main__":
        Config.configure_core(storage_folder=".scenarium", progress=False)
        if sys.argv[1] == "export":
            name = Config.configure_data_node("input_name", default_data="Zinedine")
            t = Config.configure_task("build_msg", build_message, name, Config.configure_data_node("message"))
            Config.configure_scenario("scenario", task_configs=[t])
            Config.export("config.toml")
        else:
            Config.load("config.toml")
            Config.configure_job_executions(mode="standalone", max_nb_of_workers=2)
            assert not Config.check(), Config.check()
            s = sc.create_scenario(Config.scenarios["scenario"])
            s.submit()
            print(s.message.read())
            print(s.submissions[-1].jobs[0].reason)
""")


def test_a_scripts_functions_are_exported_loaded_and_run_in_workers(tmp_path) -> None:
    (tmp_path / "tutorial.py").write_text(SCRIPT)
    for step in ("export", "load"):
        done = subprocess.run(
            [sys.executable, "tutorial.py", step], cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
    assert 'function = "__main__.build_message:function"' in (tmp_path / "config.toml").read_text()
    message, reason = done.stdout.strip().splitlines()
    assert message == "Hello Zinedine!"
    # The worker imports the script as __mp_main__: the same code, so its result is kept for reuse.
    assert "changed between submit and run" not in reason, reason
