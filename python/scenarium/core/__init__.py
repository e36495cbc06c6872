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
    _taipy_paths,
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

# Taipy's other names of this module (and its submodules), found when first used.
__getattr__, __dir__ = _taipy_paths.names_of(__name__)
_taipy_paths.install()  # scenarium.core.taipy, scenarium.core.data.csv... (Taipy's module paths)
