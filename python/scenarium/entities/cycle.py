"""Cycles: the period (a day, week, month, quarter or year) a scenario of a config
with a ``frequency`` was created in, as Taipy has them. The core names a cycle by
its period (``CYCLE_MONTHLY_2026-11``, see src/store/scenarios.rs ``cycle_key``); its
scenarios share the config's CYCLE-scoped data nodes and have one primary.

Names, labels and dates are Taipy's: a cycle prints as its name ("December 2024",
"Wednesday, 18. December 2024", "Week 51 2024, from 16. December", "2024 Q4", "2024"),
its dates are naive (local time, as ``datetime.now()``) and its ``creation_date`` is when
its first scenario was created.

Example:
    >>> from scenarium.entities.cycle import Cycle
    >>> c = Cycle("CYCLE_MONTHLY_2026-11")
    >>> c.frequency.name, c.start_date.isoformat(), c.end_date.date().isoformat(), c.name
    ('MONTHLY', '2026-11-01T00:00:00', '2026-11-30', 'November 2026')
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from scenarium.config.model import Frequency
from scenarium.exceptions import InvalidArgument, NonExistingCycle

# The Monday that weekly cycles count from (1970-01-05).
_FIRST_MONDAY = datetime(1970, 1, 5)


class Cycle:
    """A period of a frequency, e.g. the month of November 2026."""

    id: str
    _engine: Any

    def __init__(self, id: str, engine: Any = None) -> None:
        object.__setattr__(self, "id", id)
        # The registry that keeps the name a user gives the cycle (None: a bare value).
        object.__setattr__(self, "_engine", engine)
        self._bounds()  # a malformed id fails here, naming itself

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cycle) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    @property
    def frequency(self) -> Frequency:
        return self._bounds()[0]

    @property
    def start_date(self) -> datetime:
        return self._bounds()[1]

    @property
    def end_date(self) -> datetime:
        """The last instant of the period (Taipy's convention)."""
        return self._bounds()[2] - timedelta(microseconds=1)

    @property
    def creation_date(self) -> datetime:
        """When the first scenario of the cycle was created (Taipy's), else its start."""
        if self._engine is not None:
            dates = [r.creation_date for r in self._engine.scenarios() if r.cycle_id == self.id]
            if dates:
                return datetime.fromtimestamp(min(dates))
        return self.start_date

    @property
    def name(self) -> str:
        """The name a user gave the cycle (kept in the registry), else Taipy's name of
        its period ("December 2024")."""
        given = self._engine.cycle_name(self.id) if self._engine is not None else None
        return given or period_name(self.frequency, self.start_date)

    def get_simple_label(self) -> str:
        """Its name, as Taipy's."""
        return self.name

    def get_label(self) -> str:
        """Its name (a cycle has no owner), as Taipy's."""
        return self.name

    def _bounds(self) -> tuple[Frequency, datetime, datetime]:
        try:
            prefix, frequency_name, period = self.id.split("_", 2)
            frequency = Frequency[frequency_name]
            if prefix != "CYCLE":
                raise ValueError(prefix)
            start, end = _period(frequency, period)
        except (ValueError, KeyError):
            raise NonExistingCycle(f"{self.id!r} is not a cycle id (such as 'CYCLE_MONTHLY_2026-11')") from None
        return frequency, start, end

    def __setattr__(self, name: str, value: object) -> None:
        if name != "name":
            raise AttributeError(f"a Cycle is what its id says: {name!r} cannot be set")
        if self._engine is None:
            raise InvalidArgument(f"cycle {self.id}: name a cycle found through a scenario or sc.get_cycles()")
        self._engine.set_cycle_name(self.id, str(value))

    def __repr__(self) -> str:
        # Taipy's entities print as their label: print(cycle), print(sc.get_cycles())
        return self.get_label()


def period_name(frequency: Frequency, start: datetime) -> str:
    """Taipy's name of a cycle that starts at ``start`` (its ``Cycle._new_name``)."""
    if frequency is Frequency.DAILY:
        return start.strftime("%A, %d. %B %Y")
    if frequency is Frequency.WEEKLY:
        return start.strftime("Week %W %Y, from %d. %B")
    if frequency is Frequency.MONTHLY:
        return start.strftime("%B %Y")
    if frequency is Frequency.QUARTERLY:
        return f"{start.strftime('%Y')} Q{(start.month - 1) // 3 + 1}"
    return start.strftime("%Y")


def _period(frequency: Frequency, period: str) -> tuple[datetime, datetime]:
    if frequency is Frequency.DAILY:
        start = datetime.strptime(period, "%Y-%m-%d")
        return start, start + timedelta(days=1)
    if frequency is Frequency.WEEKLY:
        start = _FIRST_MONDAY + timedelta(weeks=int(period.removeprefix("W")))
        return start, start + timedelta(weeks=1)
    if frequency is Frequency.MONTHLY:
        start = datetime.strptime(period, "%Y-%m")
        return start, _add_months(start, 1)
    if frequency is Frequency.QUARTERLY:
        year, quarter = period.split("-Q")
        start = datetime(int(year), 3 * (int(quarter) - 1) + 1, 1)
        return start, _add_months(start, 3)
    start = datetime(int(period), 1, 1)
    return start, start.replace(year=start.year + 1)


def _add_months(date: datetime, months: int) -> datetime:
    index = date.month - 1 + months
    return date.replace(year=date.year + index // 12, month=index % 12 + 1)
