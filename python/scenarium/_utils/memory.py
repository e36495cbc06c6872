"""Refusing a read that cannot fit before a library tries it.

A reader that runs out of memory part-way does not always say so: pyarrow's
scanner can wait forever on a thread that failed to start (seen under
``RLIMIT_AS``), and Rust code aborts the process. Where the process has a known
limit (``RLIMIT_AS``, or a cgroup v2 ``memory.max``), a value whose decoded size
clearly exceeds what is left is refused first with a ``MemoryError`` (which
``_codec.decode`` turns into ``OutOfMemory`` naming the node).
"""

from __future__ import annotations

import errno
import os
import re
import resource
from pathlib import Path
from typing import Any, Callable

# What a reader needs beyond the decoded data: its buffers hold up to a second copy
# while it converts (pyarrow to pandas), and its threads' stacks and arenas take
# address space. Measured with RLIMIT_AS (tests/test_limits.py, a 48 MB column):
# pyarrow ended the process (an uncaught std::bad_alloc in a thread) with 1.9x the
# data's size left, and hung (a thread that could not start) with 2x + 64 MiB left
# on a loaded machine. Below 3x + 96 MiB a read is refused.
_FACTOR = 3
_SLACK = 96 << 20
# polars' first use in a process starts its thread pools (compute, async, tokio) and
# jemalloc's background threads, each reserving address space. Measured with
# RLIMIT_AS on this 2-core machine (polars 2.1, a 48 MB column read through
# scenarium, three runs per headroom): a cold read aborted the process ("memory
# allocation of 979592 bytes failed") with 1 and 2 GiB left and passed every time with
# 2.5 GiB. Warm (pools running, their reservations in VmSize) a read needed 3x the
# data + 96 MiB. Taken as 1 GiB per pool thread, at least 2 GiB.
_POLARS_COLD_PER_THREAD = 1 << 30


def _polars_cold_cost() -> int:
    threads = os.environ.get("POLARS_MAX_THREADS", "")
    count = int(threads) if threads.isdigit() else (os.cpu_count() or 2)
    return max(2, count) * _POLARS_COLD_PER_THREAD


# Writing a frame: the writer's buffers (row groups, compression, a csv line buffer).
_WRITE_FACTOR = 2
# A Rust library's panic with less than this left is taken for memory running out
# (polars panicked "LazyLock instance has previously been poisoned" after a failed
# allocation in one of its threads, with 200 MiB left).
_PANIC_MEANS_MEMORY = 2 << 30


def polars_warm() -> bool:
    """Whether polars' thread pool already runs in this process (its cost is paid)."""
    try:
        return any(
            Path(f"/proc/self/task/{task}/comm").read_text().startswith("polars-0")
            for task in os.listdir("/proc/self/task")
        )
    except OSError:
        return False


def headroom() -> int | None:
    """Bytes this process may still take, or None where no limit is known."""
    left = []
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        status = Path("/proc/self/status").read_text() if os.path.exists("/proc/self/status") else ""
        size = re.search(r"VmSize:\s+(\d+)", status)
        if size:
            left.append(soft - int(size.group(1)) * 1024)
    cgroup = _cgroup_left()
    if cgroup is not None:
        left.append(cgroup)
    return min(left) if left else None


def _cgroup_left() -> int | None:
    try:
        line = Path("/proc/self/cgroup").read_text().strip().splitlines()[0]
        folder = Path("/sys/fs/cgroup") / line.split("::", 1)[1].lstrip("/")
        limit = (folder / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return int(limit) - int((folder / "memory.current").read_text())
    except (OSError, IndexError, ValueError):
        return None


def decoded_size(path: Path, fmt: str) -> int:
    """About how many bytes reading the file at ``path`` as ``fmt`` takes."""
    size = path.stat().st_size
    container = fmt.split("/")[0]
    if container == "parquet":
        try:
            import pyarrow.parquet as pq  # optional (scenarium[pandas]), and only for a parquet read

            metadata = pq.read_metadata(path)
            return sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
        except (ImportError, OSError, ValueError):
            return size
    # Text becomes typed columns plus the parser's buffers.
    return 2 * size if container == "csv" else size


def check_fits(path: Path, fmt: str) -> None:
    """Raises MemoryError when reading ``path`` as ``fmt`` cannot fit in what is left."""
    _refuse_past(lambda: _FACTOR * decoded_size(path, fmt), fmt.endswith("/polars"))


def check_write_fits(frame: Any, kind: str) -> None:
    """Raises MemoryError when writing ``frame`` (a ``kind`` frame: polars or pandas)
    cannot fit in what is left: a Rust writer that cannot allocate ends the process."""
    _refuse_past(lambda: _WRITE_FACTOR * frame_size(frame, kind), kind == "polars")


def check_size_fits(size: int, polars: bool) -> None:
    """Raises MemoryError when decoding ``size`` bytes cannot fit in what is left."""
    _refuse_past(lambda: _FACTOR * size, polars)


def is_memory_failure(error: BaseException) -> bool:
    """Whether a library's exception says memory ran out: a MemoryError, ENOMEM (polars'
    Rust I/O errors carry "os error 12"), or a Rust library's panic (pyo3's
    PanicException, a BaseException) in a process with a known limit and little left."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, MemoryError) or getattr(seen, "errno", None) == errno.ENOMEM:
            return True
        if "(os error 12)" in str(seen) or "Cannot allocate memory" in str(seen):
            return True
        # A thread's stack is address space too: pandas' and Python's own threads fail so.
        if isinstance(seen, RuntimeError) and "can't start new thread" in str(seen):
            return True
        if type(seen).__name__ == "PanicException":
            left = headroom()
            return left is not None and left < _PANIC_MEANS_MEMORY
        seen = seen.__cause__ or seen.__context__
    return False


def frame_size(frame: Any, kind: str) -> int:
    """About how many bytes ``frame`` holds."""
    try:
        if kind == "polars":
            return int(frame.estimated_size())
        return int(frame.memory_usage(index=True, deep=False).sum())
    except Exception:  # noqa: BLE001  (a frame library's own failure: no estimate, no refusal)
        return 0


def _refuse_past(needed_for_data: Callable[[], int], polars: bool) -> None:
    left = headroom()
    if left is None:
        return
    needed = needed_for_data() + _SLACK + (_polars_cold_cost() if polars and not polars_warm() else 0)
    if needed > left:
        raise MemoryError(f"about {needed:,} bytes needed, {max(left, 0):,} left to the process")
