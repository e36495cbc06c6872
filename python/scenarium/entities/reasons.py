"""Taipy's reasons (``taipy.core.reason``): why an action cannot be done, as objects that a
user's code can build, compare and print. scenarium's ``is_submittable`` and the like answer
with a bool; these are here so that code importing or checking them runs unchanged.

Example:
    >>> from scenarium.entities.reasons import ReasonCollection, DataNodeIsNotWritten
    >>> reasons = ReasonCollection()._add_reason("DATANODE_x", DataNodeIsNotWritten("DATANODE_x"))
    >>> bool(reasons), reasons.reasons
    (False, 'DataNode DATANODE_x is not written.')
"""

from __future__ import annotations

from typing import Any


class Reason:
    """Why one action cannot be performed, in English (``str(reason)``)."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    @property
    def reason(self) -> str:
        return self._reason

    def __str__(self) -> str:
        return self._reason

    def __repr__(self) -> str:
        return self._reason

    def __hash__(self) -> int:
        return hash(self._reason)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Reason) and other._reason == self._reason


class DataNodeEditInProgress(Reason):
    def __init__(self, datanode_id: str) -> None:
        super().__init__(f"DataNode {datanode_id} is being edited")
        self.datanode_id = datanode_id


class DataNodeIsNotWritten(Reason):
    def __init__(self, datanode_id: str) -> None:
        super().__init__(f"DataNode {datanode_id} is not written")
        self.datanode_id = datanode_id


class EntityIsNotSubmittableEntity(Reason):
    def __init__(self, entity_id: str) -> None:
        super().__init__(f"Entity {entity_id} is not a submittable entity")


class WrongConfigType(Reason):
    def __init__(self, config_id: str, config_type: str | None) -> None:
        if config_type:
            super().__init__(f'Object "{config_id}" must be a valid {config_type}')
        else:
            super().__init__(f'Object "{config_id}" is not a valid config to be created')


class NotGlobalScope(Reason):
    def __init__(self, config_id: str) -> None:
        super().__init__(f'Data node config "{config_id}" does not have GLOBAL scope')


class UploadFileCanNotBeRead(Reason):
    def __init__(self, file_name: str, datanode_id: str) -> None:
        super().__init__(
            f"The uploaded file {file_name} can not be read, "
            f'therefore is not a valid data file for data node "{datanode_id}"'
        )
        self.datanode_id = datanode_id


class NoFileToDownload(Reason):
    def __init__(self, file_path: str, datanode_id: str) -> None:
        super().__init__(f"Path '{file_path}' from data node '{datanode_id}' does not exist and cannot be downloaded")
        self.datanode_id = datanode_id


class NotAFile(Reason):
    def __init__(self, file_path: str, datanode_id: str) -> None:
        super().__init__(f"Path '{file_path}' from data node '{datanode_id}' is not a file and can t be downloaded")
        self.datanode_id = datanode_id


class InvalidUploadFile(Reason):
    def __init__(self, file_name: str, datanode_id: str) -> None:
        super().__init__(f'The uploaded file {file_name} has invalid data for data node "{datanode_id}"')
        self.datanode_id = datanode_id


class EntityDoesNotExist(Reason):
    def __init__(self, entity_id: str) -> None:
        super().__init__(f"Entity {entity_id} does not exist in the repository")


class JobIsNotFinished(Reason):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"The job {job_id} is not finished yet")


class EntityIsNotAScenario(Reason):
    def __init__(self, entity_id: str) -> None:
        super().__init__(f"The entity {entity_id} is not a scenario")


class ScenarioIsThePrimaryScenario(Reason):
    def __init__(self, scenario_id: str, cycle: str) -> None:
        super().__init__(f"The scenario {scenario_id} is the primary scenario of cycle {cycle}")


class ScenarioDoesNotBelongToACycle(Reason):
    def __init__(self, scenario_id: str) -> None:
        super().__init__(f"The scenario {scenario_id} does not belong to any cycle")


class SubmissionIsNotFinished(Reason):
    def __init__(self, submission_id: str) -> None:
        super().__init__(f"The submission {submission_id} is not finished yet")


class SubmissionStatusIsUndefined(Reason):
    def __init__(self, submission_id: str) -> None:
        super().__init__(f"The status of submission {submission_id} is undefined")


class ReasonCollection:
    """Every reason an action cannot be performed, by entity id; true when there is none."""

    def __init__(self) -> None:
        self._reasons: dict[str, set[Reason]] = {}

    def _add_reason(self, entity_id: str, reason: Reason) -> ReasonCollection:
        self._reasons.setdefault(entity_id, set()).add(reason)
        return self

    def _remove_reason(self, entity_id: str, reason: Reason) -> ReasonCollection:
        held = self._reasons.get(entity_id)
        if held is not None and reason in held:
            held.remove(reason)
            if not held:
                del self._reasons[entity_id]
        return self

    def _entity_id_exists_in_reason(self, entity_id: str) -> bool:
        return entity_id in self._reasons

    def __bool__(self) -> bool:
        return not self._reasons

    @property
    def reasons(self) -> str:
        """Every reason, joined by '; ', ending with a full stop (empty when none)."""
        if not self._reasons:
            return ""
        return "; ".join("; ".join(str(r) for r in reasons) for reasons in self._reasons.values()) + "."
