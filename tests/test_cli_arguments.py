"""Every command of ``python -m scenarium``, each argument and option given values a
shell user may type by mistake, answers with a usage or ``error:`` line and an exit
code, never a traceback (issue 35). The commands and their arguments are read from
the CLI's own parser, so a new one is probed without editing this file."""

from __future__ import annotations

import argparse
import io
import os
import sys

import pytest

import scenarium as sc
from scenarium import Config, cli

ODD = ["", "-1", "nan", "inf", "1e30", "99999999999999999999", "/proc/no/such", "a\x01b", os.fsdecode(b"\xff"),
       "SCENARIO_x", "DATANODE_\x01", "x" * 5000]  # fmt: skip


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_commands_arguments_with_odd_values_end_in_a_message(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    # As a terminal's: an argument that is not UTF-8 is printed back escaped.
    for stream in ("stdout", "stderr"):
        monkeypatch.setattr(sys, stream, io.TextIOWrapper(io.BytesIO(), errors="backslashreplace"))
    a, b = Config.configure_data_node("a", default_data=1), Config.configure_data_node("b")
    sc.create_scenario(Config.configure_scenario("s", [Config.configure_task("t", abs, a, b)])).submit(wait=True)
    Config.export(tmp_path / "c.toml")
    wrong, tried = [], 0
    for name, parser in _commands().items():
        if name == "datagen":
            arguments = [("--rows", True), ("--seed", True), ("--out", True)]
        else:
            arguments = [
                (action.option_strings[0] if action.option_strings else "", action.nargs != 0)
                for action in parser._actions
                if not isinstance(action, argparse._HelpAction)
            ]
        for option, takes_value in arguments:
            if not takes_value:
                continue
            for value in ODD:
                tried += 1
                argv = [name, *([option, value] if option else [value])]
                if name == "datagen" and option != "--out":
                    argv += ["--out", str(tmp_path / "out.csv")]
                if name in ("run", "check") and option:
                    argv.insert(1, str(tmp_path / "c.toml"))
                try:
                    code = cli.main(argv)
                except SystemExit as e:  # argparse's usage error
                    code = e.code
                except BaseException as e:  # noqa: BLE001  (whatever it is, it is the finding)
                    wrong.append(f"{argv!r:.120}: {type(e).__name__}: {e}")
                    continue
                finally:
                    Config.configure_core(storage_folder=str(tmp_path / ".scenarium"))
                if code is None or not isinstance(code, int):
                    wrong.append(f"{argv!r:.120}: exit code {code!r}")
    assert tried > 100, tried
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("rows", ["-5", "99999999999999999999"])
def test_datagen_refuses_rows_out_of_range(rows, tmp_path) -> None:
    with pytest.raises(SystemExit):
        cli.main(["datagen", "--rows", rows, "--out", str(tmp_path / "x.csv")])
