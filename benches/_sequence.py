"""What every system in the suite runs: the article's four submits and what
each changes, and how results are reported so that they can be compared.
Imported by scripts that run under scenarium's venv and under Taipy's."""

from __future__ import annotations

import math
import resource
from collections.abc import Iterator
from typing import Any

# The article's parameters before the first submit.
DEFAULTS: dict[str, Any] = {
    "payment_threshold": 1000,
    "score_threshold": 1.5,
    "metric": "mean",
    "summary_statistic_type": "median",
}

# (data node, new value) before each submit; the fifth changes nothing.
STEPS: list[tuple[str | None, Any]] = [
    (None, None),
    ("payment_threshold", 1600),
    ("metric", "median"),
    ("summary_statistic_type", "max"),
    (None, None),
]


def four_submits() -> Iterator[tuple[str | None, dict[str, Any]]]:
    """The article's four submits for a script that runs them by hand: before each, the
    data node that changed (None: the first) and every parameter's value then."""
    params = dict(DEFAULTS)
    for node, value in STEPS[:4]:
        if node is not None:
            params[node] = value
        yield node, params


def records(frame: Any) -> list[dict[str, Any]]:
    """A small result table (polars or pandas) as JSON-safe rows."""
    rows = frame.to_dicts() if hasattr(frame, "to_dicts") else frame.to_dict("records")
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
