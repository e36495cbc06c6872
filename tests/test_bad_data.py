"""Files users really have: each is read as pandas reads it, or refused with an
error naming the task, the file, the line, the column and the value."""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import scenarium as sc
from scenarium import Config
from scenarium.tasks import customer_analysis as ca
from test_native import assert_same, pandas_preprocess_and_score

HEADER = (
    "CustomerID,Age,Country,TotalPurchaseAmount,NumberOfPurchases,AverageReviewScore,TotalPurchaseTime,"
    "SignupDate,IsPrime"
)
ROWS = [
    "1,20,Japan,625.98,3,1.9,1442,2018-05-25,False",
    '2,50,"Korea, Republic of",354.56,3,1.8,189,2019-12-14,True',
    "3,55,France,5438.86,15,1.3,2509,2022-06-01,False",
]
READABLE = {
    "header only": HEADER + "\n",
    "quoted fields with commas": "\n".join([HEADER, *ROWS]) + "\n",
    "CRLF line ends": "\r\n".join([HEADER, *ROWS]) + "\r\n",
    "UTF-8 BOM": "\ufeff" + "\n".join([HEADER, *ROWS]) + "\n",
    "NaN and empty cells": "\n".join([HEADER, ROWS[0], "2,50,Japan,NaN,3,,189,2019-12-14,True", "3,,,,,,,,"]) + "\n",
    "zero NumberOfPurchases": "\n".join([HEADER, ROWS[0], "2,50,Japan,354.56,0,1.8,189,2019-12-14,True"]) + "\n",
    "no final newline": "\n".join([HEADER, *ROWS]),
    "short row": "\n".join([HEADER, ROWS[0], "2,50,Japan,354.56"]) + "\n",
    # Without quotes, so that scenarium's own reader (not polars') reads them.
    "CRLF line ends, no quotes": "\r\n".join([HEADER, ROWS[0], ROWS[2]]) + "\r\n",
    "no final newline, no quotes": "\n".join([HEADER, ROWS[0], ROWS[2]]),
    "CR line ends (old Mac)": "\r".join([HEADER, *ROWS]) + "\r",
    "CR line ends, no quotes": "\r".join([HEADER, ROWS[0], ROWS[2]]),
    "a quoted header, quoted numbers": '"'
    + HEADER.replace(",", '","')
    + '"\n'
    + ROWS[0]
    + "\n"
    + '4,20,"x ""y""","625.98","3",1.9,"1442",2018-05-25,False\n',
    "blank lines": "\n".join([HEADER, "", ROWS[0], "", "\r", ROWS[2], ""]) + "\n",
    "signs and bare points": "\n".join([HEADER, ROWS[0], "3,55,France,-5438.86,+15,.5,2509,2022-06-01,False"]) + "\n",
    "long numbers": "\n".join([HEADER, ROWS[0], "3,55,France,123456789.125,15,1.25,123456789012,2022-06-01,False"])
    + "\n",
}


@pytest.mark.parametrize("case", list(READABLE))
def test_read_as_pandas_reads_it(tmp_path: Path, case: str) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(READABLE[case].encode())
    native = ca.preprocess_and_score(str(path))
    expected = pandas_preprocess_and_score(str(path))
    if case == "header only":
        assert native.shape == expected.shape == (0, 4)
        return
    assert_same(native, expected.astype({c: float for c in expected.columns if expected[c].dtype == object}))


@pytest.mark.parametrize("quoted", [False, True])
@pytest.mark.parametrize(
    ("bad_row", "found"),
    [
        ("4,20,Japan,1,354.56,3,1.8,189,2019-12-14,True", "10 fields, and the header names 9"),
        ("4,20,Japan,354.56,3,1.8,189,2019-12-14,True,extra", "10 fields, and the header names 9"),
    ],
)
def test_a_bad_row_is_refused_at_its_line_whether_or_not_the_file_has_quotes(
    tmp_path: Path, quoted: bool, bad_row: str, found: str
) -> None:
    """One rule for every block: a quoted field elsewhere in the file used to hand it to
    polars, which shifted `1,354.56` into the next column and accepted a row too long."""
    first = ROWS[1] if quoted else ROWS[0]
    lines = [HEADER, first, *[ROWS[2]] * 3000, bad_row, ROWS[0]]
    path = tmp_path / "customers.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(sc.exceptions.TaskError, match=f"{re.escape(str(path))}, line 3003: {re.escape(found)}"):
        ca.preprocess_and_score(str(path))


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_a_compressed_file_named_csv_is_refused_naming_it(tmp_path: Path, compress) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(compress(("\n".join([HEADER, *ROWS]) + "\n").encode()))
    with pytest.raises(sc.exceptions.TaskError, match=f"{re.escape(str(path))} is .*-compressed, not CSV text"):
        ca.preprocess_and_score(str(path))


def test_utf16_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(("\n".join([HEADER, *ROWS]) + "\n").encode("utf-16"))
    with pytest.raises(sc.exceptions.TaskError, match=f"{re.escape(str(path))} is UTF-16 text"):
        ca.preprocess_and_score(str(path))


def test_a_missing_or_renamed_column_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("\n".join([HEADER.replace("NumberOfPurchases", "Purchases"), *ROWS]) + "\n")
    with pytest.raises(sc.exceptions.TaskError) as error:
        ca.preprocess_and_score(str(path))
    assert f'{path}: column "NumberOfPurchases" is missing; its header (line 1) has columns CustomerID' in str(
        error.value
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (HEADER + "\n" + ROWS[0] + '\n4,20,"Japan"x,1,1,1,1,2019-12-14,True\n', "line 3: 'x' after the closing quote"),
        (HEADER + "\n" + ROWS[0] + '\n4,20,"Japan,1,1,1,1,2019-12-14,True\n', "line 3: a quoted field opened here"),
    ],
)
def test_quotes_the_csv_module_refuses_are_refused_at_their_line(tmp_path: Path, text: str, found: str) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(text)
    with pytest.raises(sc.exceptions.TaskError, match=f"{re.escape(str(path))}, {re.escape(found)}"):
        ca.preprocess_and_score(str(path))


def with_bad_value(row: int, total: int) -> str:
    lines = [HEADER] + [ROWS[0]] * total
    lines[row] = '9,50,"Japan, north",12abc,3,1.8,189,2019-12-14,True'
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(
    ("row", "total"),
    [(1, 5), (4_000, 5_000), (30_000, 30_005)],  # within and past the rows polars reads to guess types
)
def test_text_in_a_numeric_column_names_file_line_column_and_value(tmp_path: Path, row: int, total: int) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(with_bad_value(row, total), newline="")
    expected = (
        f'preprocess_and_score: {path}, line {row + 1}: column "TotalPurchaseAmount" holds "12abc", '
        "which is not a number"
    )
    with pytest.raises(sc.exceptions.TaskError) as direct:
        ca.preprocess_and_score(str(path))
    assert expected in str(direct.value)
    with pytest.raises(TypeError):  # pandas fails too, naming neither line nor value
        pandas_preprocess_and_score(str(path))

    source = Config.configure_data_node("path", default_data=str(path))
    scored = Config.configure_data_node("scored")
    task = Config.configure_task("score", ca.preprocess_and_score, [source], [scored])
    scenario = sc.create_scenario(Config.configure_scenario("bad", task_configs=[task]))
    with pytest.raises(sc.JobFailed) as failed:
        scenario.submit()
    assert expected in str(failed.value)
    assert failed.value.task_config_id == "score"


def test_python_task_returning_the_wrong_number_of_values() -> None:
    a = Config.configure_data_node("a", default_data=1)
    b, c = Config.configure_data_node("b"), Config.configure_data_node("c")
    task = Config.configure_task("split", lambda x: (x, x, x), [a], [b, c])
    scenario = sc.create_scenario(Config.configure_scenario("two", task_configs=[task]))
    with pytest.raises(sc.JobFailed, match=r"task 'split' has 2 outputs and must return a tuple of 2 values"):
        scenario.submit()
    with pytest.raises(sc.NoData):
        scenario.b.read_or_raise()


def test_a_function_renamed_since_the_scenario_was_stored(tmp_path: Path) -> None:
    (tmp_path / "fns.py").write_text("def double(x):\n    return 2 * x\n")
    create = textwrap.dedent(
        """
        import scenarium as sc
        from scenarium import Config
        import fns
        x = Config.configure_data_node("x", default_data=2)
        y = Config.configure_data_node("y")
        t = Config.configure_task("double", fns.double, [x], [y])
        s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
        s.submit()
        print(s.id)
        """
    )
    scenario_id = run_python(tmp_path, create).strip()
    (tmp_path / "fns.py").write_text("def twice(x):\n    return 2 * x\n")
    resubmit = f"""
import scenarium as sc
try:
    sc.get({scenario_id!r}).submit(force=True)
except sc.JobFailed as e:
    print(type(e).__name__, e)
"""
    out = run_python(tmp_path, resubmit)
    assert "JobFailed task 'double' failed" in out
    assert "calls fns.double, which cannot be found" in out and "Was it renamed or moved" in out


def run_python(folder: Path, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
