"""Runs the corpus of Taipy programs people wrote (listed in ``corpus/manifest.json``:
repository, commit, folder, entry script, licence), each in a fresh folder and process,
and compares what it prints with what it printed on Taipy 4.1.1
(``corpus/expected/<name>.txt``), both normalised (ids, dates, addresses, timings,
Taipy's log lines).

The programs are other people's code and are not copied into this repository: point
``SCENARIUM_TAIPY_SOURCES`` at a folder holding, for each repository ``owner/name`` of the
manifest, a folder ``owner+name`` that is a clone, a bare clone, or holds one as ``repo``
(each program is taken at the manifest's commit with ``git archive``). Without it the
pytest side skips, saying so.

A program runs unchanged but for three things: ``taipy`` -> ``scenarium`` in its imports
(scenarium's side only, ``run_docs.to_scenarium``); on both sides, for a program that
ends by starting its GUI, the script up to that line (``scenario_part``; the manifest
says ``"gui_removed": true``), and Taipy's GUI imported from ``gui_left_out`` (a stand-in
that does nothing) where its pages import it.

    python tests/taipy_compat/run_corpus.py                       # scenarium: N of M print the same
    python tests/taipy_compat/run_corpus.py --record --python /work/taipy-venv/bin/python
                                                                  # Taipy's output, into expected/

tests/test_taipy_corpus.py runs the comparison under pytest, one test per program.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run_docs import to_scenarium, without_gui  # noqa: E402

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = CORPUS / "expected"
SOURCES_VARIABLE = "SCENARIUM_TAIPY_SOURCES"


def sources() -> Path | None:
    """The folder of the corpus repositories' clones, when one is given and exists."""
    root = os.environ.get(SOURCES_VARIABLE)
    return Path(root) if root and Path(root).is_dir() else None


def _git_dir(repo: str) -> Path:
    root = sources()
    if root is None:
        raise LookupError(f"set {SOURCES_VARIABLE} to a folder of the corpus repositories' clones")
    folder = root / repo.replace("/", "+")
    for candidate in (folder / "repo", folder / ".git", folder):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    raise LookupError(f"no clone of {repo} in {root} (looked for {folder.name}/, {folder.name}/repo)")


def _extract(program: dict[str, object], into: Path) -> None:
    """The program's folder at the manifest's commit, into ``into``. A file whose content
    the clone lacks (a shallow or partial mirror drops large media) is left out."""
    git_dir = str(_git_dir(str(program["repo"])))
    inside = str(program["folder"]).partition("/")[2]
    listed = subprocess.run(
        ["git", "--git-dir", git_dir, "ls-tree", "-r", "-z", str(program["commit"]), *([inside] if inside else [])],
        capture_output=True, check=True,
    ).stdout.split(b"\0")  # fmt: skip
    blobs = [(entry.split()[2].decode(), entry.split(b"\t", 1)[1].decode()) for entry in listed if b" blob " in entry]
    batch = subprocess.run(
        ["git", "--git-dir", git_dir, "cat-file", "--batch"],
        input="".join(f"{sha}\n" for sha, _ in blobs).encode(), capture_output=True, check=True,
    ).stdout  # fmt: skip
    at = 0
    for _, name in blobs:
        header_end = batch.index(b"\n", at)
        header = batch[at:header_end].split()
        at = header_end + 1
        if header[-1] == b"missing":
            continue
        size = int(header[2])
        target = into / Path(name).relative_to(inside) if inside else into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(batch[at : at + size])
        at += size + 1


def programs() -> list[dict[str, object]]:
    """The manifest's programs: name, repo, commit, licence, folder, entry, gui_removed,
    expected_difference (why scenarium prints something else on purpose, or absent)."""
    return json.loads((CORPUS / "manifest.json").read_text())["programs"]


# Taipy's ids end with a uuid (JOB_build_msg_6ecec37d-...), scenarium's too.
_ID = re.compile(
    r"\b(SCENARIO|DATANODE|TASK|JOB|SUBMISSION|SEQUENCE|CYCLE)_[A-Za-z0-9_]*?_?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{4}-[0-9a-f]{12}\b"
)
# scenarium names a cycle by its period (CYCLE_MONTHLY_2024-12), Taipy by a uuid.
_CYCLE_KEY = re.compile(r"\bCYCLE_(DAILY|WEEKLY|MONTHLY|QUARTERLY|YEARLY)_[0-9WQ-]+\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_TAIPY_LOG = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:.]+\]\[Taipy\]\[\w+\] .*$\n?", re.M)
_DATETIME = re.compile(r"\b\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?(\+\d\d:\d\d)?\b")
_DATETIME_REPR = re.compile(r"datetime\.datetime\(\d{4}, \d+, \d+(, \d+)*(, tzinfo=[^)]*\)?)?\)")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_DURATION = re.compile(r"\b\d+\.\d+ ?(s|sec|seconds|ms)\b")
_TMP = re.compile(r"/tmp/[^\s'\"]*corpus-[^/\s'\"]+")


def normalise(text: str) -> str:
    """What a program prints, without what differs from run to run: ids, uuids, dates and
    times, object addresses, durations, the temporary folder, Taipy's log lines and the
    package's name in class paths (``<class 'taipy.core...'>``)."""
    text = _TAIPY_LOG.sub("", text)
    text = _ID.sub(lambda m: f"<{m.group(1)}_ID>", text)
    text = _CYCLE_KEY.sub("<CYCLE_ID>", text)
    text = _UUID.sub("<UUID>", text)
    text = _DATETIME_REPR.sub("<DATETIME>", text)
    text = _DATETIME.sub("<DATETIME>", text)
    text = _ADDRESS.sub(" at 0x?", text)
    text = _DURATION.sub("<DURATION>", text)
    text = _TMP.sub("<TMP>", text)
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"


def scenario_part(source: str) -> str:
    """``run_docs.without_gui``, and a ``pass`` where the cut leaves a block empty (the GUI
    started under ``if __name__ == "__main__":``)."""
    kept = without_gui(source).rstrip("\n").splitlines()
    last = next((line for line in reversed(kept) if line.strip() and not line.strip().startswith("#")), "")
    if last.rstrip().endswith(":"):
        indent = len(last) - len(last.lstrip())
        kept.append(" " * (indent + 4) + "pass")
    return "\n".join(kept) + "\n"


# Taipy's GUI, in any spelling a program imports it (replaced by gui_left_out on both sides).
_GUI_FROM = re.compile(r"^(\s*)from taipy\.gui(\.[\w.]+)? import ", re.M)
_GUI_IMPORT_AS = re.compile(r"^(\s*)import taipy\.gui(\.[\w.]+)? as (\w+)", re.M)
_GUI_IMPORT = re.compile(r"^(\s*)import taipy\.gui(\.[\w.]+)?\s*$", re.M)
_GUI_NAMES = re.compile(r"^(\s*)from taipy import (.*\b(?:Gui|Markdown|State|Html|notify|navigate)\b.*)$", re.M)


def gui_left_out(source: str) -> str:
    """The script with Taipy's GUI imported from ``gui_left_out`` (see that module)."""
    source = _GUI_FROM.sub(r"\1from gui_left_out import ", source)
    source = _GUI_IMPORT_AS.sub(r"\1import gui_left_out as \3", source)
    source = _GUI_IMPORT.sub(r"\1import gui_left_out", source)

    def split(match: re.Match[str]) -> str:
        gui = {"Gui", "Markdown", "State", "Html", "notify", "navigate"}
        names = [n.strip() for n in match.group(2).strip("() ").split(",") if n.strip()]
        kept = [n for n in names if n.split(" as ")[0] not in gui]
        left = [n for n in names if n.split(" as ")[0] in gui]
        lines = [f"{match.group(1)}from gui_left_out import {', '.join(left)}"]
        if kept:
            lines.append(f"{match.group(1)}from taipy import {', '.join(kept)}")
        return "\n".join(lines)

    return _GUI_NAMES.sub(split, source)


def prepare(program: dict[str, object], into: Path, scenarium: bool) -> Path:
    """The program's folder copied into ``into``, its scripts changed as the module doc
    says; the path of the script to run."""
    _extract(program, into)
    entry = into / str(program["entry"])
    for script in into.rglob("*.py"):
        source = gui_left_out(script.read_text())
        if script == entry and program.get("gui_removed"):
            source = scenario_part(source)
        script.write_text(to_scenarium(source) if scenarium else source)
    shutil.copy2(Path(__file__).parent / "gui_left_out.py", entry.parent / "gui_left_out.py")
    return entry


def run(program: dict[str, object], python: str, scenarium: bool, timeout: float = 180) -> tuple[int, str, str]:
    """Runs one program in a fresh folder: (exit code, normalised stdout, stderr's end)."""
    with tempfile.TemporaryDirectory(prefix=f"corpus-{str(program['name']).replace('/', '-')}-") as tmp:
        entry = prepare(program, Path(tmp), scenarium)
        env = dict(os.environ, PYTHONPATH=str(entry.parent), PYTHONHASHSEED="0", TZ="UTC", COLUMNS="80")
        env.pop("SCENARIUM_STORAGE", None)
        try:
            done = subprocess.run(
                [python, entry.name], cwd=entry.parent, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return -1, "", f"timed out after {timeout:g} s"
    return done.returncode, normalise(done.stdout), "\n".join(done.stderr.strip().splitlines()[-5:])


def expected_path(program: dict[str, object]) -> Path:
    return EXPECTED / (str(program["name"]).replace("/", "__") + ".txt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="run on --python (Taipy's) and write expected/")
    parser.add_argument("--python", default=sys.executable, help="the interpreter (Taipy's with --record)")
    parser.add_argument("-k", help="only programs whose name contains this")
    parser.add_argument("--timeout", type=float, default=180)
    parser.add_argument("--missing", action="store_true", help="with --record: only programs not recorded yet")
    args = parser.parse_args(argv)
    chosen = [p for p in programs() if not args.k or args.k in str(p["name"])]
    if not args.record:  # the programs that pass on Taipy (the others have no expected output)
        chosen = [p for p in chosen if expected_path(p).exists()]
    elif args.missing:
        chosen = [p for p in chosen if not expected_path(p).exists()]
    same = differ = expected = 0
    for program in chosen:
        if args.record:
            code, out, err = run(program, args.python, scenarium=False, timeout=args.timeout)
            print(f"{'ok  ' if code == 0 else 'FAIL'} {program['name']}" + ("" if code == 0 else f"  -- {err}"))
            if code == 0:
                expected_path(program).write_text(out)
            continue
        code, out, err = run(program, args.python, scenarium=True, timeout=args.timeout)
        if code == 0 and out == expected_path(program).read_text():
            same += 1
            mark = "same"
        elif program.get("expected_difference"):
            expected += 1
            mark = "expected difference"
        else:
            differ += 1
            mark = "DIFFERS" + ("" if code == 0 else f" (exit {code}: {err})")
        print(f"{mark:<20} {program['name']}", flush=True)
    if not args.record:
        print(f"{same} of {len(chosen)} print the same; {expected} expected differences; {differ} differ")
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
