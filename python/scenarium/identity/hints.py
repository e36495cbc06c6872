"""Small JSON files a process keeps in the storage folder for the next one (what a
task's runs touched, where a task function's module was imported from): one file per
key, named by the key's hash, replaced whole (temporary file, rename). Not fsynced: a
hint lost or torn by a crash reads as none, which costs a run or a look-up, while an
fsync would cost every first run a disk flush. The file holds its key, so a hash
collision or a foreign file reads as none too."""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from scenarium.identity.modules import blake3_hex


def _path(storage_folder: str, kind: str, key: str) -> str:
    name = blake3_hex(key.encode("utf-8", "surrogatepass"))[:32]
    return os.path.join(storage_folder, kind, f"{name}.json")


def load(storage_folder: str, kind: str, key: str) -> dict[str, Any] | None:
    """The hint kept for ``key`` under ``kind`` (a folder of the store), or None."""
    try:
        with open(_path(storage_folder, kind, key), encoding="utf-8") as f:
            found = json.load(f)
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("key") == key else None


def save(storage_folder: str, kind: str, key: str, hint: dict[str, Any]) -> None:
    """Replaces the hint kept for ``key``. Two processes saving at once keep one of
    theirs."""
    path = _path(storage_folder, kind, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({**hint, "key": key}, f, sort_keys=True)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
