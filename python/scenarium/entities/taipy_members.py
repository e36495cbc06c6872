"""The members Taipy's entities have beyond what scenarium needs itself: labels, the
graph's inputs and outputs, a job's timestamps under Taipy's names, a submission's
entity type. Kept apart from ``entities`` so that each entity class there stays about
its own behaviour; each mixin uses only what its entity defines.

Example:
    >>> sub = scenario.submit()
    >>> sub.entity_type, sub.submission_status.name
    ('SCENARIO', 'COMPLETED')
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, NewType

# Taipy's id types: plain strings, named for what they identify.
ScenarioId = NewType("ScenarioId", str)
SequenceId = NewType("SequenceId", str)
TaskId = NewType("TaskId", str)
DataNodeId = NewType("DataNodeId", str)
JobId = NewType("JobId", str)
SubmissionId = NewType("SubmissionId", str)
CycleId = NewType("CycleId", str)


class Labelled:
    """Taipy's ``get_label`` / ``get_simple_label``: a ``label`` property, else the name,
    else the config id, else the id; ``get_label`` prefixes the owner's label."""

    id: str

    def get_simple_label(self) -> str:
        properties = getattr(self, "properties", None)
        explicit = properties.get("label") if isinstance(properties, dict) else None
        if explicit:
            return str(explicit)
        for attribute in ("name", "config_id"):
            value = getattr(self, attribute, None)
            if value:
                return str(value)
        return self.id

    def get_label(self) -> str:
        owner = getattr(self, "_owner_label", None)
        return f"{owner} > {self.get_simple_label()}" if owner else self.get_simple_label()


class Submittable:
    """What can be submitted (a scenario, a sequence, a task), as Taipy's ``Submittable``:
    its data nodes by role, ``get_inputs`` (read by a task and written by none),
    ``get_outputs`` (written, read by none) and ``get_intermediate`` (both)."""

    if TYPE_CHECKING:  # what the entity defines

        @property
        def tasks(self) -> dict[str, Any]: ...

    def _roles(self) -> tuple[dict[str, Any], dict[str, Any]]:
        read, written = {}, {}
        for task in self.tasks.values():
            read.update({dn.id: dn for dn in task.input.values()})
            written.update({dn.id: dn for dn in task.output.values()})
        return read, written

    def get_inputs(self) -> set[Any]:
        read, written = self._roles()
        return {dn for i, dn in read.items() if i not in written}

    def get_outputs(self) -> set[Any]:
        read, written = self._roles()
        return {dn for i, dn in written.items() if i not in read}

    def get_intermediate(self) -> set[Any]:
        read, written = self._roles()
        return {dn for i, dn in read.items() if i in written}

    def is_ready_to_run(self) -> bool:
        """Every input holds data and none is being edited (Taipy's ``is_ready_to_run``)."""
        return all(dn.is_ready_for_reading and not dn.edit_in_progress for dn in self.get_inputs())

    def data_nodes_being_edited(self) -> set[Any]:
        read, written = self._roles()
        return {dn for dn in {**read, **written}.values() if dn.edit_in_progress}


class JobTimes:
    """A job's status predicates and timestamps under Taipy's names."""

    if TYPE_CHECKING:  # what the entity defines

        @property
        def status(self) -> Any: ...
        @property
        def creation_date(self) -> datetime: ...
        @property
        def start_time(self) -> datetime | None: ...
        @property
        def end_time(self) -> datetime | None: ...
        @property
        def duration(self) -> float | None: ...

    def _is(self, name: str) -> bool:
        return bool(self.status.name == name)

    def is_submitted(self) -> bool:
        return self._is("SUBMITTED")

    def is_blocked(self) -> bool:
        return self._is("BLOCKED")

    def is_pending(self) -> bool:
        return self._is("PENDING")

    def is_running(self) -> bool:
        return self._is("RUNNING")

    def is_canceled(self) -> bool:
        return self._is("CANCELED")

    @property
    def submitted_at(self) -> datetime:
        return self.creation_date

    @property
    def run_at(self) -> datetime | None:
        return self.start_time

    @property
    def finished_at(self) -> datetime | None:
        return self.end_time

    @property
    def execution_duration(self) -> float | None:
        """Seconds from start to end (Taipy's name for ``duration``)."""
        return self.duration

    @property
    def pending_duration(self) -> float | None:
        """Seconds between submission and start."""
        return None if self.start_time is None else (self.start_time - self.creation_date).total_seconds()


class SubmissionFacts:
    """A submission's entity and times under Taipy's names."""

    if TYPE_CHECKING:  # what the entity defines

        @property
        def entity_id(self) -> str: ...
        @property
        def status(self) -> Any: ...
        @property
        def creation_date(self) -> datetime: ...
        @property
        def jobs(self) -> list[Any]: ...
        @property
        def finished_at(self) -> datetime | None: ...

    @property
    def submission_status(self) -> Any:
        return self.status

    @property
    def entity_type(self) -> str:
        """ "SCENARIO", "SEQUENCE" or "TASK": what was submitted."""
        return self.entity_id.split("_", 1)[0]

    @property
    def entity_config_id(self) -> str | None:
        """The config id of what was submitted (a sequence's name for a sequence)."""
        kind, _, rest = self.entity_id.partition("_")
        scenario_at = rest.find("_SCENARIO_") if kind == "SEQUENCE" else -1
        if scenario_at >= 0:
            return rest[:scenario_at]
        return rest.rsplit("_", 1)[0] if "_" in rest else None

    @property
    def submitted_at(self) -> datetime:
        return self.creation_date

    @property
    def run_at(self) -> datetime | None:
        starts = [j.start_time for j in self.jobs if j.start_time is not None]
        return min(starts) if starts else None

    @property
    def execution_duration(self) -> float | None:
        start, end = self.run_at, self.finished_at
        return None if start is None or end is None else (end - start).total_seconds()

    def is_canceled(self) -> bool:
        return bool(self.status.name == "CANCELED")

    def is_abandoned(self) -> bool:
        return any(j.is_abandoned() for j in self.jobs)

    @property
    def properties(self) -> dict[str, Any]:
        return {}
