"""Scenarios, data nodes, tasks, jobs and submissions as a notebook user sees them.

Each class is a thin view over a registry record held by the core; reads go to the
registry, so an object always shows what is stored now. One module per entity, lowest
first: ``base`` (what they share, statuses), ``data_node``, ``task`` (with ``Job`` and
``Submission``), ``scenario`` (with ``Sequence``); ``cycle``, ``events``, ``filters``,
``reasons``, ``taipy_members`` beside them; ``html`` draws them, ``actions`` is how their
methods reach the API a layer up. This module only names them.
"""

from scenarium.entities.base import Explanation, Status, SubmissionStatus
from scenarium.entities.data_node import DataNode
from scenarium.entities.scenario import Scenario, Sequence
from scenarium.entities.task import Job, Submission, Task

__all__ = [
    "DataNode",
    "Explanation",
    "Job",
    "Scenario",
    "Sequence",
    "Status",
    "Submission",
    "SubmissionStatus",
    "Task",
]
