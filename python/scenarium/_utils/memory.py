"""Refusing a read that cannot fit before a library tries it.

A reader that runs out of memory part-way does not always say so: pyarrow's
scanner can wait forever on a thread that failed to start (seen under
``RLIMIT_AS``), and Rust code aborts the process. Where the process has a known
limit (``RLIMIT_AS``, or a cgroup v2 ``memory.max``), a value whose decoded size
clearly exceeds what is left is refused first with a ``MemoryError`` (which
``_codec.decode`` turns into ``OutOfMemory`` naming the node).
"""

from __future__ import annotations

import os
import re
import resource
from pathlib import Path

# What a reader needs beyond the decoded data: its buffers hold up to a second copy
# while it converts (pyarrow to pandas), and its threads' stacks and arenas take
# address space. Measured with RLIMIT_AS (tests/test_limits.py, a 48 MB column):
# pyarrow ended the process (an uncaught std::bad_alloc in a thread) with 1.9x the
# data's size left, and hung (a thread that could not start) with 2x + 64 MiB left
# on a loaded machine. Below 3x + 96 MiB a read is refused.
_FACTOR = 3
_SLACK = 96 << 20


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
    left = headroom()
    if left is None:
        return
    needed = _FACTOR * decoded_size(path, fmt) + _SLACK
    if needed > left:
        raise MemoryError(f"about {needed:,} bytes needed, {max(left, 0):,} left to the process")
