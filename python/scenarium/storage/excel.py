"""``excel`` data nodes: one sheet or several, written with openpyxl through pandas
(an optional dependency), read back as the node's exposed type.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scenarium.exceptions import (
    MissingOptionalDependency,
)
from scenarium.storage import shared as _shared
from scenarium.storage.exposed import exposed as _exposed
from scenarium.storage.exposed import frame_kind as _frame_kind


def write_excel(value: Any, path: str | os.PathLike[str], props: dict[str, Any], dn: Any) -> None:
    """A frame (or rows, or an array) as one sheet, a dict of them as one sheet each,
    as Taipy writes them (``sheet_name``, ``has_header``)."""
    pd = _excel_pandas(dn)
    sheet = props.get("sheet_name")
    if isinstance(sheet, (list, tuple)):
        sheet = sheet[0] if sheet else None
    sheets = value if isinstance(value, dict) else {sheet or "Sheet1": value}
    header = props.get("has_header", True) is not False
    detail = (
        "has storage_type 'excel' and takes a DataFrame, rows, an array or a dict of them by sheet name, "
        f"not a {type(value).__qualname__}"
    )
    try:
        # Every sheet is a frame before the workbook is opened: a writer that fails to
        # close (no sheet in it) leaves its file open.
        frames = {str(name): _sheet_frame(pd, data) for name, data in sheets.items()}
        if not frames:
            raise ValueError("no sheet to write")
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, frame in frames.items():
                frame.to_excel(writer, sheet_name=name, index=False, header=header)
    except Exception as e:
        raise _shared.storing_failed(e, dn, "excel file", detail) from e


def _sheet_frame(pd: Any, data: Any) -> Any:
    if _frame_kind(data) == "polars":
        data = data.to_pandas()
    return data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)


def read_excel(path: Path, frame_kind: str, props: dict[str, Any]) -> Any:
    """Taipy's reading: ``sheet_name`` a name gives that sheet, a list or nothing a
    dict of sheets by name; as the node's ``exposed_type``."""
    import pandas as pd  # optional dependency (scenarium[pandas])

    _excel_pandas(None)
    sheets = pd.read_excel(
        path, sheet_name=props.get("sheet_name"), header=0 if props.get("has_header", True) is not False else None
    )

    def exposed(frame: Any) -> Any:
        if frame_kind == "polars":
            import polars as pl  # on first use: keeps `import scenarium` fast

            return pl.from_pandas(frame)
        return _exposed(frame, props)

    if isinstance(sheets, dict):
        return {name: exposed(frame) for name, frame in sheets.items()}
    return exposed(sheets)


def _excel_pandas(dn: Any) -> Any:
    """pandas, once openpyxl (which reads and writes xlsx for it) is known to be there."""
    try:
        import openpyxl  # noqa: F401
        import pandas as pd  # optional dependency (scenarium[pandas])
    except ImportError:
        raise MissingOptionalDependency(
            "excel data nodes are read and written with pandas and openpyxl: pip install 'scenarium[excel]'"
        ) from None
    return pd
