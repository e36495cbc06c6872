"""What a task declares with ``depends_on`` and what its run read, as parts of its
identity: files (hashed; a glob's matches with their names), folders (their listing)
and environment variables (their values).
"""

from __future__ import annotations

import glob
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the payload types exist only in the stub
    pass
from scenarium.identity.modules import (
    blake3_hex,
)


def env_value(value: str | None) -> str:
    return "unset" if value is None else blake3_hex(b"set:" + value.encode("utf-8", "surrogatepass"))


def listing(path: str) -> str:
    try:
        names = sorted(os.listdir(path))
    except OSError as e:
        return f"unreadable: {type(e).__name__}"
    return blake3_hex("\0".join(names).encode("utf-8", "surrogatepass"))


def declared_dependency(spec: str, engine: Any) -> dict[str, str]:
    """Parts for one ``depends_on`` entry that is read again at every submit:
    ``"$NAME"`` an environment variable, otherwise a file, a folder or a glob
    pattern (``"module:NAME"`` entries are walked as code by ``identity``)."""
    if spec.startswith("$"):
        return {f"env {spec[1:]}": env_value(os.environ.get(spec[1:]))}
    return {f"file {spec}": blake3_hex(files_bytes(spec, engine))}


def files_bytes(spec: str, engine: Any, glob_ok: bool = True) -> bytes:
    """What the files a ``depends_on`` path or pattern names hold; ``engine`` hashes
    them (and remembers each file's hash while ``stat`` shows it unchanged)."""
    if glob_ok and glob.has_magic(spec):
        matches = sorted(glob.glob(spec, recursive=True))
    else:
        matches = [spec]
    out: list[bytes] = []
    for path in matches:
        if os.path.isdir(path):
            out.append(b"dir " + path.encode() + b"=" + engine.tree_fingerprint(path).encode())
        elif os.path.isfile(path):
            out.append(b"file " + path.encode() + b"=" + engine.file_fingerprint(path).encode())
        else:
            out.append(b"missing " + path.encode())
    return b"\0".join(out)
