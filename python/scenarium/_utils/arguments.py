"""Checks of the numbers, durations and paths public functions take: a value of the
right type that cannot be used is an ``InvalidArgument`` naming the function and the
parameter (a wrong type stays Python's ``TypeError``), raised before anything runs."""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import stat
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

from scenarium.exceptions import InvalidArgument, NonExistingEntity, StorageError

# SQLite's integers: a larger version number cannot name a stored version.
_INT64_MAX = 2**63 - 1
_LONGEST_NAME = 200


def seconds(function: str, name: str, value: Any) -> float | None:
    """A timeout in seconds: None or infinity mean no limit; NaN and negatives are refused."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{function}: {name} must be a number of seconds or None, got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or value < 0:
        raise InvalidArgument(f"{function}: {name} must be a number of seconds >= 0 or None, got {value!r}")
    # Past what a wait can take (threading.TIMEOUT_MAX, ~292 years) is no limit too.
    return None if value >= threading.TIMEOUT_MAX else value


def version_number(function: str, name: str, value: Any) -> int | None:
    """A data node's version number (1 is the first), or None for the latest."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{function}: {name} must be an int (1 is the first version), got {type(value).__name__}")
    if not 1 <= int(value) <= _INT64_MAX:
        raise InvalidArgument(f"{function}: {name} must be a version number >= 1 (1 is the first), got {value!r}")
    return int(value)


def path(function: str, name: str, value: Any) -> Path:
    """A file system path: str or os.PathLike, without NUL characters."""
    try:
        text = os.fspath(value)
    except TypeError:
        raise TypeError(f"{function}: {name} must be a str or os.PathLike path, got {type(value).__name__}") from None
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if "\x00" in text or not text:
        raise InvalidArgument(f"{function}: {name} must be a path without NUL characters, got {text!r}")
    if not utf8(text):
        # scenarium records the paths it reads and writes, as text.
        raise InvalidArgument(f"{function}: {name} must be a path UTF-8 can hold (no lone surrogate), got {text!r}")
    return Path(text)


def readable_file(function: str, name: str, value: Any, most: int | None = None) -> Path:
    """A path to read whole: a plain file (a named pipe would block for ever, a device
    never end), of at most ``most`` bytes."""
    target = path(function, name, value)
    shown = os.fspath(target) if len(os.fspath(target)) < 200 else os.fspath(target)[:200] + "..."
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return target  # the reader names what is missing
    except OSError as e:  # a name too long, a folder that cannot be searched
        raise InvalidArgument(f"{function}: {name} {shown!r} cannot be read: {e.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidArgument(f"{function}: {name} {shown!r} is not a plain file")
    if most is not None and info.st_size > most:
        raise InvalidArgument(f"{function}: {name} {shown!r} is {info.st_size:,} bytes, more than {most:,}")
    return target


@contextlib.contextmanager
def writing(function: str, name: str, target: Path) -> Iterator[None]:
    """Turns a failure to write ``target`` (a folder this user cannot write, a full
    disk) into a StorageError naming the function, the parameter and the path."""
    try:
        yield
    except OSError as e:
        raise StorageError(f"{function}: cannot write {name} {os.fspath(target)!r}: {e}") from e


def writable_file(function: str, name: str, value: Any, make_folder: bool = False) -> Path:
    """A path to a file that can be created: its folder must exist (or, with
    ``make_folder``, be made)."""
    target = path(function, name, value)
    folder = target.parent if str(target.parent) else Path(".")
    # 255 bytes is the usual limit of one name; the temporary file's suffix needs room.
    if len(os.fsencode(target.name)) > _LONGEST_NAME:
        where = f"{function}: {name} {os.fspath(target)[:80]!r}..."
        raise InvalidArgument(f"{where} names a file longer than {_LONGEST_NAME} bytes")
    if target.is_dir():
        raise InvalidArgument(f"{function}: {name} {os.fspath(target)!r} is a folder, not a file")
    # The file is replaced whole (temporary file, rename): a device, a pipe or a socket
    # there would be replaced by a plain file (Config.export("/dev/null") did that).
    if target.exists() and not target.is_file():
        raise InvalidArgument(f"{function}: {name} {os.fspath(target)!r} is not a plain file: refusing to replace it")
    if make_folder:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InvalidArgument(f"{function}: {name} {os.fspath(target)!r} cannot be written: {e}") from None
    if not folder.is_dir():
        where = f"{function}: {name} {os.fspath(target)!r}"
        raise InvalidArgument(f"{where} cannot be written: no folder {os.fspath(folder)!r}")
    return target


def instance(function: str, name: str, value: Any, kinds: tuple[type, ...], what: str) -> Any:
    """``value`` when it is one of ``kinds``, else a TypeError naming the parameter."""
    if not isinstance(value, kinds):
        raise TypeError(f"{function}: {name} must be {what}, got {type(value).__name__}")
    return value


def utf8(text: str) -> bool:
    """Whether ``text`` can be stored: a lone surrogate (what ``os.fsdecode`` makes of
    bytes that are not UTF-8) cannot reach the registry or a file."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def text(function: str, name: str, value: Any) -> str:
    """A name, tag or id to store: a str that UTF-8 can hold."""
    if not isinstance(value, str):
        raise TypeError(f"{function}: {name} must be a str, got {type(value).__name__}")
    if not utf8(value):
        raise InvalidArgument(f"{function}: {name} must be text UTF-8 can hold (no lone surrogate), got {value!r}")
    return value


def entity_id(function: str, name: str, entity: Any) -> str:
    """The id of ``entity`` (an entity or its id). An id UTF-8 cannot hold names nothing:
    ``NonExistingEntity``, as any other id nothing has."""
    found = entity if isinstance(entity, str) else getattr(entity, "id", None)
    if not isinstance(found, str):
        raise TypeError(f"{function}: {name} must be an entity or its id (a str), got {type(entity).__name__}")
    if not utf8(found):
        raise NonExistingEntity(f"{function}: no entity has the id {found!r} ({name})")
    return found


def moment(function: str, name: str, value: Any) -> float | None:
    """A datetime as seconds since the epoch (naive means local time, as Python's)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"{function}: {name} must be a datetime.datetime or None, got {type(value).__name__}")
    try:
        seconds = value.timestamp()
        # The calendar's ends: a cycle or a display around the date must exist too.
        (value + timedelta(days=400)) - timedelta(days=800)
    except (OverflowError, ValueError, OSError) as e:
        raise InvalidArgument(f"{function}: {name} {value!r} is outside the dates scenarium can keep: {e}") from None
    return seconds
