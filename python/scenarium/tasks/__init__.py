"""Native tasks: Rust implementations usable as task functions and as plain functions.

Example:
    >>> from scenarium.tasks import customer_analysis as ca
    >>> ca.segment_analysis.__scenarium_native__
    ('customer_analysis.segment_analysis', 1)
"""

from __future__ import annotations

from scenarium.tasks._native import by_name, native_task

__all__ = ["by_name", "native_task"]
