"""Python faces of the native tasks registered in the Rust core."""

from __future__ import annotations

import inspect
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from scenarium._core import call_native, native_tasks

_REGISTRY = {name: (version, params, outputs) for name, version, params, outputs, _ in native_tasks()}
_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def by_name(name: str) -> Callable[..., Any]:
    """The Python function of native task ``name`` (e.g. "customer_analysis.segment_analysis")."""
    if name not in _FUNCTIONS:
        module = "scenarium.tasks." + name.rsplit(".", 1)[0]
        __import__(module)
    try:
        return _FUNCTIONS[name]
    except KeyError:
        raise LookupError(f"no native task {name!r} in this build") from None


def _argument(value: Any, name: str, param: str, folder: Path, index: int) -> tuple[str, str]:
    """A scalar as JSON, a table as an Arrow IPC file in ``folder``."""
    polars = sys.modules.get("polars")
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        import polars as pl  # on first use: keeps `import scenarium` fast

        value = pl.from_pandas(value)
        polars = pl
    if polars is not None and isinstance(value, polars.LazyFrame):
        path = folder / f"arg{index}.arrow"
        value.sink_ipc(path)
        return ("table", str(path))
    if polars is not None and isinstance(value, polars.DataFrame):
        path = folder / f"arg{index}.arrow"
        value.write_ipc(path, compression="uncompressed")
        return ("table", str(path))
    if value is None or isinstance(value, (bool, int, float, str)):
        return ("json", json.dumps(value))
    if isinstance(value, Path):
        return ("json", json.dumps(str(value)))
    raise TypeError(
        f"{name}: argument {param!r} must be a polars or pandas DataFrame or a scalar, not {type(value).__qualname__}"
    )


def native_task(name: str, doc: str = "") -> Callable[..., Any]:
    """A Python function that calls native task ``name``: in a scenario it runs in
    Rust without the GIL; called directly it takes DataFrames and scalars and
    returns polars DataFrames."""
    version, params, n_outputs = _REGISTRY[name]
    short = name.rsplit(".", 1)[1]
    signature = inspect.Signature([inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params])

    def call(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        import polars as pl  # on first use: keeps `import scenarium` fast

        with tempfile.TemporaryDirectory(prefix="scenarium-native-") as tmp:
            folder = Path(tmp)
            native_args = [_argument(bound.arguments[p], short, p, folder, i) for i, p in enumerate(params)]
            paths = call_native(name, native_args, str(folder))
            # Read fully before the folder goes (a memory map would survive the unlink on POSIX anyway).
            frames = [pl.read_ipc(p).rechunk() for p in paths]
        return frames[0] if n_outputs == 1 else tuple(frames)

    call.__name__ = call.__qualname__ = short
    call.__module__ = "scenarium.tasks." + name.rsplit(".", 1)[0]
    call.__doc__ = doc
    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__scenarium_native__ = (name, version)  # type: ignore[attr-defined]
    _FUNCTIONS[name] = call
    return call
