"""Task 1's own CSV reader against a reference reader, on generated files.

The rule (src/tasks/customer_analysis/csv_scores.rs): for any file the native
reader gives exactly the reference's rows for the four columns it needs, or
refuses the file with a TaskError naming it (and the line, where there is one).
The reference is Python's ``csv`` module (strict, excel dialect) on the bytes
read as Latin-1, with the numeric rules written out in ``reference`` below.

The fuzzer mixes quoting, line ends (LF, CRLF, CR, mixed), field counts,
numeric spellings, missing words, encodings, headers, blank lines, long lines
and compressed files, and reads each file with blocks from 1 byte to 8 MiB
(``SCENARIUM_CSV_BLOCK_BYTES``) so that block ends fall everywhere.
``SCN_CSV_FUZZ_EXAMPLES`` sets the number of files (CI: 5,000; ``make
fuzz-long``: 100,000). A disagreement is saved in ``tests/csv_corpus/``:
commit it, and ``test_corpus`` replays it for ever. With
``SCN_CSV_FUZZ_COLLECT=1`` the fuzzer does not stop at the first
disagreement: it lists every kind it met (for checking that a bug put back
is found).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import math
import os
import random
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import scenarium as sc
from scenarium.tasks import customer_analysis as ca

NAMES = ("TotalPurchaseAmount", "NumberOfPurchases", "AverageReviewScore", "TotalPurchaseTime")
OUTPUT = ("CUSTOMER_SCORE", "TotalPurchaseAmount", "NumberOfPurchases", "TotalPurchaseTime")
EXAMPLES = int(os.environ.get("SCN_CSV_FUZZ_EXAMPLES", "5000"))
COLLECT = os.environ.get("SCN_CSV_FUZZ_COLLECT") == "1"
CORPUS = Path(__file__).parent / "csv_corpus"

# pandas' default na_values.
MISSING = {
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
    "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
}  # fmt: skip
NUMBER = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))")
INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
# Rust's is_ascii_whitespace: not \x0b, which str.strip() would take too.
SPACE = " \t\n\x0c\r"
NOT_TEXT = (b"\x1f\x8b", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"PK\x03\x04", b"\xff\xfe", b"\xfe\xff")
BZIP2 = re.compile(rb"BZh[1-9](1AY&SY|\x17rE8P\x90)")
INFER_ROWS = 10_000
csv.field_size_limit(sys.maxsize)  # the rule has no field size limit


@dataclass
class Refused:
    """The reference refuses the file: at `line`, or where no line applies (None)."""

    line: int | None
    why: str


Frame = dict[str, tuple[str, list[Optional[float]]]]


def reference(data: bytes) -> Union[Frame, Refused]:
    """What task 1 must give for a file with these bytes: its columns as
    {name: (dtype, values)}, or a refusal."""
    if data.startswith(NOT_TEXT) or BZIP2.match(data):
        return Refused(None, "not text")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    reader = csv.reader(io.StringIO(data.decode("latin-1"), newline=""), strict=True)
    header: list[str] | None = None
    index: list[int] = []
    texts: list[list[str | None]] = [[] for _ in NAMES]
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            return Refused(None if "end of data" in str(e) else reader.line_num, str(e))
        if not record:
            continue
        if header is None:
            header = record
            if any(name not in header for name in NAMES):
                return Refused(None, "column missing")
            index = [header.index(name) for name in NAMES]
            continue
        for i in sorted(range(4), key=lambda i: index[i]):
            text = record[index[i]].strip(SPACE) if index[i] < len(record) else ""
            if text in MISSING:
                texts[i].append(None)
            elif NUMBER.fullmatch(text):
                texts[i].append(text)
            else:
                return Refused(start, f"{text!r} is not a number")
        if len(record) > len(header):
            return Refused(start, "too many fields")
    if header is None:
        return Refused(None, "no header")
    columns: list[tuple[str, list[float | None]]] = []
    for values in texts:
        present = [v for v in values if v is not None]
        is_int = any(v is not None for v in values[:INFER_ROWS]) and all(INTEGER.fullmatch(v) for v in present)
        convert = int if is_int else float
        columns.append(("Int64" if is_int else "Float64", [None if v is None else convert(v) for v in values]))
    amount, purchases, review, _ = (values for _, values in columns)
    score = [
        None if a is None or p is None or r is None else (0.5 * a) / 1000 + (0.3 * p) / 10 + 0.2 * r
        for a, p, r in zip(amount, purchases, review)
    ]
    return {
        "CUSTOMER_SCORE": ("Float64", score),
        "TotalPurchaseAmount": columns[0],
        "NumberOfPurchases": columns[1],
        "TotalPurchaseTime": columns[3],
    }


def native(path: Path, block: int | None) -> Union[Frame, sc.exceptions.TaskError, str]:
    if block is None:
        os.environ.pop("SCENARIUM_CSV_BLOCK_BYTES", None)
    else:
        os.environ["SCENARIUM_CSV_BLOCK_BYTES"] = str(block)
    try:
        frame = ca.preprocess_and_score(str(path))
    except sc.exceptions.TaskError as e:
        return e
    except Exception as e:  # noqa: BLE001  (a panic, any error not scenarium's: a disagreement)
        return f"raised {type(e).__name__}, not a TaskError: {str(e)[:200]}"
    finally:
        os.environ.pop("SCENARIUM_CSV_BLOCK_BYTES", None)
    return {name: (str(frame[name].dtype), frame[name].to_list()) for name in frame.columns}


def same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def disagreement(data: bytes, block: int | None, folder: Path) -> str | None:
    """None when the native reader follows the rule on `data`, else what differs."""
    path = folder / "data.csv"
    path.write_bytes(data)
    expected = reference(data)
    got = native(path, block)
    if isinstance(got, str):
        return got
    if isinstance(expected, Refused):
        if not isinstance(got, sc.exceptions.TaskError):
            return f"read, and the reference refuses ({expected.why})"
        message = str(got)
        if str(path) not in message:
            return f"refused without naming the file: {message}"
        if expected.line is not None and f"line {expected.line}:" not in message:
            return f"refused naming another line than {expected.line} ({expected.why}): {message}"
        return None
    if isinstance(got, sc.exceptions.TaskError):
        return f"refused a file the reference reads: {got}"
    if list(got) != list(OUTPUT):
        return f"columns {list(got)}"
    for name in OUTPUT:
        (dtype, values), (want_dtype, want) = got[name], expected[name]
        if dtype != want_dtype:
            return f"{name} is {dtype}, the reference's {want_dtype}"
        if len(values) != len(want):
            return f"{len(values)} rows, the reference's {len(want)}"
        for row, (g, w) in enumerate(zip(values, want)):
            if not same(g, w):
                return f"row {row}: {name} is {g!r}, the reference's {w!r}"
    return None


def kind(problem: str) -> str:
    """A disagreement's kind, its numbers left out."""
    return re.sub(r"[0-9]+", "N", problem.split(":")[0])[:90]


def save(data: bytes) -> Path:
    CORPUS.mkdir(exist_ok=True)
    path = CORPUS / f"found-{hashlib.sha256(data).hexdigest()[:16]}.csv"
    path.write_bytes(data)
    return path


# ---- the generator ----------------------------------------------------------
# Files are made by random.Random from a seed hypothesis draws: a hypothesis
# draw per field made 5,000 files take minutes. About half the files have a
# flaw somewhere (a bad number, a row too long, a quote the csv module
# refuses, a column missing, compressed or UTF-16 bytes); all mix what must be
# read alike: quoting, line ends, short rows, blank lines, missing words,
# numeric spellings, BOM, Latin-1 and UTF-8 text, long lines.

SPELLINGS = [
    "0", "7", "-3", "+12", "4.5", "-0.25", ".5", "5.", "+.5", "1e3", "1.5E-2", "-2e+05", "00012", "1e400", "-0",
    "123456789012345678", "1234567890123456789", "0.1000000000000000055511151231257827", "inf", "-Infinity", "NAN",
    "+nan", " 6 ", "\t8", "9\r", "NA", "nan", "NaN", "-nan", "", "NULL", "None", "n/a", "1.#IND", "-1.#QNAN",
    "<NA>", "#N/A", "1e-400", "4.9e-324", "179769313486231570000000000000000000000000000000000000000000000000000000.5",
]  # fmt: skip
BAD_NUMBERS = ["12abc", "1_000", "0x10", "1e", ".", "-", "1.2.3", "\u0661\u0662", "\x0b5", "one", "1,354.56"]
TEXT = [
    "Japan", "Korea, Republic of", 'say "hi"', "multi\nline", "cr\rinside", "crlf\r\ninside", "", " ", "\u00e9t\u00e9",
    "a\"b", "\u00ff\u00fe", "NA",
]  # fmt: skip
FLAWS = ["bad number", "too many", "after quote", "unclosed"] * 3 + ["renamed", "gzip", "utf-16", "bzip2"]


def number(r: random.Random, integer: bool) -> str:
    k = r.random()
    if k < 0.5:
        return str(r.randint(-(10**6), 10**6)) if integer else repr(r.uniform(-1e6, 1e6))
    if k < 0.6:
        return str(r.randint(-(10**20), 10**20))
    if k < 0.7:
        return f"{r.randint(0, 99999)}.{r.randint(0, 999):03d}"
    return r.choice(SPELLINGS)


def text_field(r: random.Random) -> str:
    if r.random() < 0.01:
        return "x" * r.randint(1_000, 70_000)  # a very long line
    if r.random() < 0.3:
        return "".join(chr(r.randint(32, 255)) for _ in range(r.randint(0, 8)))
    return r.choice(TEXT)


def written(r: random.Random, text: str, quoting: str) -> str:
    """A field as a writer would put it: quoted where needed, or always, or never
    (a field with a separator then breaks its row, as a careless writer's would)."""
    needed = any(c in text for c in ',"\r\n')
    if quoting == "never" and '"' not in text[:1]:
        return text
    if quoting == "always" or needed or r.random() < 0.05:
        return '"' + text.replace('"', '""') + '"'
    return text


def make_file(seed: int) -> tuple[bytes, int | None]:
    r = random.Random(seed)
    flaw = r.choice(FLAWS) if r.random() < 0.5 else None
    names = list(NAMES)
    if flaw == "renamed":
        renamed = ["totalpurchaseamount", "Amount", " NumberOfPurchases", "TotalPurchaseAmount "]
        names[r.randrange(4)] = r.choice(renamed)
    extra = r.sample(["CustomerID", "Country", "Note", "Age", "TotalPurchaseAmount", "IsPrime"], r.randint(0, 4))
    columns = names + extra
    r.shuffle(columns)
    integer = {name: r.random() < 0.5 for name in NAMES}
    ends = r.choice([["\n"], ["\r\n"], ["\r"], ["\n", "\r\n", "\r"]])
    quoting = r.choice(["needed", "needed", "always", "never"])
    header = [written(r, c, quoting) if r.random() < 0.9 else f'"{c}"' for c in columns]
    lines = [",".join(header)]
    for _ in range(r.choice([0, 1, 3, 10, 30, 100])):
        shape = r.random()
        if shape < 0.03:
            lines.append(r.choice(["", "", " ", '""']))  # blank, or a record of one field
            continue
        cells = [
            written(r, number(r, integer[c]), quoting) if c in NAMES else written(r, text_field(r), quoting)
            for c in columns
        ]
        if shape < 0.06:
            cells = cells[: r.randrange(len(cells))]
        lines.append(",".join(cells))
    if flaw in ("bad number", "too many", "after quote", "unclosed") and len(lines) > 1:
        at = r.randrange(1, len(lines))
        cells = lines[at].split(",")
        k = r.randrange(len(cells))
        if flaw == "bad number":
            cells[k] = r.choice(BAD_NUMBERS)
        elif flaw == "too many":
            cells.append(r.choice(["", "x", "1"]))
        elif flaw == "after quote":
            cells[k] = '"ab"' + r.choice("cx 1")
        else:
            cells[k] = '"open'
        lines[at] = ",".join(cells)
    text = "".join(line + r.choice(ends) for line in lines)
    if r.random() < 0.3:
        text = text.rstrip("\r\n")
    if r.random() < 0.1:
        text = "\ufeff" + text
    data = text.encode("latin-1" if r.random() < 0.2 else "utf-8", errors="replace")
    if flaw == "gzip":
        data = gzip.compress(data)
    elif flaw == "bzip2":
        data = bz2.compress(data)
    elif flaw == "utf-16":
        data = text.encode("utf-16")
    block = r.choice([None, None, 1, 2, 3, 7, 16, 64, 1000])
    return data, block


SEEN: Counter[str] = Counter()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.integers(0, 2**64 - 1))
def test_native_reader_agrees_with_the_reference_or_refuses(seed: int) -> None:
    data, block = make_file(seed)
    with tempfile.TemporaryDirectory() as folder:
        problem = disagreement(data, block, Path(folder))
    if problem is None:
        return
    if COLLECT:
        if not SEEN[kind(problem)]:
            print(f"\n{kind(problem)}\n  {problem[:300]}\n  {data[:300]!r} (block {block})", file=sys.stderr)
        SEEN[kind(problem)] += 1
        return
    saved = save(data)
    raise AssertionError(f"{problem} (seed {seed}, block {block}; saved as {saved.name}): {data[:2000]!r}")


def test_collected_disagreements() -> None:
    """With SCN_CSV_FUZZ_COLLECT=1 (run after the fuzzer): fails listing every kind met."""
    assert not SEEN, "\n".join(f"{n} x {k}" for k, n in SEEN.most_common())


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.csv")))
@pytest.mark.parametrize("block", [None, 1, 5])
def test_corpus(tmp_path: Path, name: str, block: int | None) -> None:
    data = (CORPUS / name).read_bytes()
    assert disagreement(data, block, tmp_path) is None
