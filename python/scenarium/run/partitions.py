"""A Python task configured ``partitioned=True`` maps its function over partitions.

Its inputs that hold partitions (a native task's ``partitioned=True`` output, a
partitioned task's output, a csv or parquet node reading a folder with
``partitioned=True``) are cut into their partitions, paired by name; the others
are passed whole to every call. The function is called once per partition with
that partition's table (as a DataFrame, or a LazyFrame when annotated so), and
each output is stored as the partitions of its calls, in order.

A partition is made only when no earlier run made it from the same bytes: each
call's result is remembered under a key of the task's code identity, its
properties, the partition's object and the whole inputs' fingerprints, and how
the inputs are read and the outputs stored (``_core.partition_key``; the memo is
``objects/parts/<key>``, a hint that gc drops with its object). The key uses the
identity the job was decided with, and memos are written only under the
identity that covers what the calls touched (``TaskRunner.identity_after_run``),
so a partition is never reused past a change of code it reached.

A reduction over partitions is a task that reads a partitioned node whole (it
gets the partitions concatenated): map each partition to a small table of
partial results (sums, counts, a histogram) in a partitioned task, then combine
those in a plain task, which reads only the small tables.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from scenarium._core import StoredValue, partition_key, parts_value
from scenarium.identity import recording as _recording

# Outcome of one call: (stored outputs, failure reason, traceback, what it touched), as run_task's.
Outcome = tuple[list[StoredValue] | None, str | None, str | None, dict[str, Any] | None]
Part = tuple[str, str, int, int]
# Runs the partitions it is given (by index), yielding each one's outcome as it ends.
Calls = Callable[[list[int]], Iterator[tuple[int, Outcome]]]


def is_partitioned(task: Any) -> bool:
    return task.properties.get("partitioned") is True and task.function.get("kind") != "native"


def refuse_non_tables(task: Any, results: list[Any], output_nodes: list[Any]) -> None:
    """ValueError unless each of a partition call's results is a table (its partitions
    are read back as one table, concatenated)."""
    polars, pandas = sys.modules.get("polars"), sys.modules.get("pandas")
    tables = tuple(
        t for t in (polars and polars.DataFrame, polars and polars.LazyFrame, pandas and pandas.DataFrame) if t
    )
    for value, node in zip(results, output_nodes):
        if not isinstance(value, tables):
            raise ValueError(
                f"output {node.config_id!r} of partitioned task {task.config_id!r} must be a table per partition "
                f"(a polars or pandas DataFrame, or a LazyFrame): the partitions are read back as one table; "
                f"it returned a {type(value).__qualname__}"
            )


class PlanProblem(Exception):
    """The task's inputs cannot be cut into partitions (the message names them)."""


def _parts_of(value: StoredValue) -> list[dict[str, Any]]:
    return list(json.loads(value.json or "{}").get("parts") or [])


@dataclass
class Plan:
    """The partitions of one job: each call's inputs and what its memo key is made of."""

    task: Any
    names: list[str]
    calls: list[list[StoredValue]]
    material: list[list[tuple[str, str]]]
    outputs: list[Any]
    # k -> the parts of each output, taken from memos or made by the calls.
    done: dict[int, list[Part]] = field(default_factory=dict)
    # Partitions made by this job's calls (their memos are written once its identity is known).
    made: set[int] = field(default_factory=set)
    # (k, output) -> the object format a call stored
    formats: dict[tuple[int, int], str] = field(default_factory=dict)

    @classmethod
    def of(cls, task: Any, values: list[StoredValue], input_nodes: list[Any], output_nodes: list[Any]) -> Plan:
        parted = [i for i, v in enumerate(values) if v.kind == "parts"]
        labels = [f"{node.config_id!r}" for node in input_nodes]
        if not parted:
            raise PlanProblem(
                f"task {task.config_id!r} is partitioned, but none of its inputs ({', '.join(labels) or 'none'}) "
                "holds partitions: give it a partitioned task's output, a native partitioned output, or a "
                "csv/parquet data node reading a folder with partitioned=True"
            )
        lists = {i: _parts_of(values[i]) for i in parted}
        first = parted[0]
        names = [p["name"] for p in lists[first]]
        for i in parted[1:]:
            other = [p["name"] for p in lists[i]]
            if other != names:
                raise PlanProblem(
                    f"task {task.config_id!r}: its partitioned inputs {labels[first]} and {labels[i]} have different "
                    f"partitions ({_sample(names)} and {_sample(other)}); a partitioned task pairs them by name"
                )
        common: list[tuple[str, str]] = [
            ("task", json.dumps(dict(task.properties), sort_keys=True, default=str)),
            ("function", json.dumps(dict(task.function), sort_keys=True, default=str)),
        ]
        common += [("output", node.stored_as) for node in output_nodes]
        if task.properties.get("cache") is False:
            # cache=False: reuse only what this task itself made, never another scenario's.
            common.append(("task id", str(task.id)))
        # The whole inputs are the same in every call; the format too: the same bytes
        # stored from pandas or polars decode differently.
        read_as = [node.read_as for node in input_nodes]
        common += [
            (f"input {i}", f"{read_as[i]}\n{value.kind} {value.format}\n{value.fingerprint}")
            for i, value in enumerate(values)
            if i not in lists
        ]
        calls, material = [], []
        for k in range(len(names)):
            call = list(values)
            fields = list(common)
            for i, parts in lists.items():
                part, fmt = parts[k], values[i].format
                call[i] = StoredValue("object", part["hash"], hash=part["hash"], format=fmt, size=part["size"])
                fields.append((f"partition of input {i}", f"{read_as[i]}\n{fmt}\n{part['hash']}"))
            calls.append(call)
            material.append(fields)
        return cls(task, names, calls, material, list(output_nodes))

    def __len__(self) -> int:
        return len(self.names)

    def key(self, k: int, output: int, code: dict[str, str]) -> str:
        code_fields = [(f"code {label}", value) for label, value in sorted(code.items())]
        return partition_key([*code_fields, *self.material[k], ("output index", str(output))])

    def take_memos(self, engine: Any, code: dict[str, str]) -> None:
        """Fills ``done`` with the partitions an earlier run made under this identity."""
        for k in range(len(self)):
            found = [engine.part_made_from(self.key(k, j, code)) for j in range(len(self.outputs))]
            if all(p is not None for p in found):
                # A memo's name field holds the object's format (see `remember`).
                self.done[k] = [(self.names[k], *p[1:]) for p in found]
                self.formats.update(((k, j), p[0]) for j, p in enumerate(found))

    def todo(self) -> list[int]:
        return [k for k in range(len(self)) if k not in self.done]

    def take(self, engine: Any, k: int, stored: list[StoredValue]) -> str | None:
        """Records call ``k``'s stored outputs; why they cannot be partitions, or None."""
        parts: list[Part] = []
        for value, node in zip(stored, self.outputs):
            if value.kind != "object" or not value.hash:
                return (
                    f"task {self.task.config_id!r}, partition {self.names[k]!r}: output {node.config_id!r} "
                    f"({node.storage_type}) must be stored as a file, not as {value.kind!r}: use a csv, parquet "
                    "or pickle data node"
                )
            parts.append((self.names[k], value.hash, value.size or 0, _rows(engine, value)))
        self.done[k] = parts
        self.formats.update(((k, j), value.format or "") for j, value in enumerate(stored))
        self.made.add(k)
        return None

    def values(self) -> list[StoredValue]:
        """Each output as its partitions, in order (every partition done)."""
        found = []
        for j, node in enumerate(self.outputs):
            formats = {self._format(k, j) for k in range(len(self))}
            if len(formats) > 1:
                raise PlanProblem(
                    f"task {self.task.config_id!r}: output {node.config_id!r} was stored in several formats "
                    f"({', '.join(sorted(formats))}); return the same kind of table from every partition"
                )
            fmt = formats.pop() if formats else _default_format(node)
            found.append(parts_value(fmt, [self.done[k][j] for k in range(len(self))]))
        return found

    def _format(self, k: int, j: int) -> str:
        return self.formats.get((k, j)) or _default_format(self.outputs[j])

    def remember(self, engine: Any, code: dict[str, str], decided_with: dict[str, str]) -> None:
        """Writes the memos of the partitions this job made, under ``code`` (the identity
        covering what the calls touched); those it took from memos are written under it
        too when it is not the identity they were found under (it covers more)."""
        for k, parts in self.done.items():
            if k not in self.made and code == decided_with:
                continue
            for j, (_, *rest) in enumerate(parts):
                # The partition's name comes from the job's input; the memo keeps the format.
                engine.remember_part(self.key(k, j, code), (self._format(k, j), *rest))


def _default_format(node: Any) -> str:
    return f"{node.storage_type}/polars"


def _rows(engine: Any, value: StoredValue) -> int:
    """A stored table's rows when its file says so cheaply (parquet, Arrow); else 0."""
    container = (value.format or "").split("/")[0]
    if container not in ("parquet", "arrow"):
        return 0
    import polars as pl  # by then the task has imported it

    path = engine.object_path(value.hash or "", False)
    scan = pl.scan_parquet(path) if container == "parquet" else pl.scan_ipc(path)
    try:
        return int(scan.select(pl.len()).collect().item())
    except Exception:  # noqa: BLE001  (a count is a nicety; the value is stored either way)
        return 0


def _sample(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:3])
    return f"[{shown}{', ...' if len(names) > 3 else ''}] ({len(names)})"


def run(
    engine: Any,
    plan: Plan,
    code: dict[str, str],
    calls: Calls,
    take_memos: bool = True,
) -> tuple[list[StoredValue] | None, str | None, str | None, dict[str, Any] | None]:
    """Runs the partitions not made before (every one, without ``take_memos``: a forced
    submit) through ``calls`` (here, on workers or on Dask: it yields each call's outcome
    as it ends); (outputs, failure reason, traceback, what the calls touched), as
    ``runtime.run_task``."""
    if take_memos:
        plan.take_memos(engine, code)
    touched: dict[str, Any] = {"items": {}, "problem": None}
    failures: list[tuple[str, str, str | None]] = []
    for k, (stored, reason, trace, seen) in calls(plan.todo()):
        if seen is not None:
            touched["items"] = _recording.merge(touched["items"], seen["items"])
            touched["problem"] = touched["problem"] or seen["problem"]
        if stored is not None:
            reason = plan.take(engine, k, stored)
        if reason is not None:
            failures.append((plan.names[k], reason, trace))
    if failures:
        name, reason, trace = failures[0]
        more = f" ({len(failures) - 1} more partition(s) failed)" if len(failures) > 1 else ""
        made = len(plan.made)
        kept = f"; the {made} partition(s) made are kept for the next run" if made else ""
        return None, f"partition {name!r} of {len(plan)}: {reason}{more}{kept}", trace, touched
    try:
        return plan.values(), None, None, touched
    except PlanProblem as e:
        return None, str(e), None, touched
