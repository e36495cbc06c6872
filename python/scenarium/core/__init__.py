"""Taipy's ``taipy.core`` names, so that code importing from there runs by changing
``taipy`` to ``scenarium`` (``from scenarium.core import SubmissionStatus``).

Example:
    >>> from scenarium.core import SubmissionStatus
    >>> SubmissionStatus.COMPLETED.name
    'COMPLETED'
"""

from scenarium import (
    Cycle,
    DataNode,
    Job,
    Orchestrator,
    Scenario,
    Sequence,
    Status,
    Submission,
    SubmissionStatus,
    Task,
)

Core = Orchestrator

__all__ = [
    "Core",
    "Cycle",
    "DataNode",
    "Job",
    "Orchestrator",
    "Scenario",
    "Sequence",
    "Status",
    "Submission",
    "SubmissionStatus",
    "Task",
]
