"""Cycles: the period (a day, week, month, quarter or year) a scenario of a config
with a ``frequency`` was created in, as Taipy has them. The core names a cycle by
its period (``CYCLE_MONTHLY_2026-11``, see src/store/scenarios.rs ``cycle_key``); its
scenarios share the config's CYCLE-scoped data nodes and have one primary.

Example:
    >>> from scenarium._cycle import Cycle
    >>> c = Cycle("CYCLE_MONTHLY_2026-11")
    >>> c.frequency.name, c.start_date.isoformat(), c.end_date.date().isoformat()
    ('MONTHLY', '2026-11-01T00:00:00+00:00', '2026-11-30')
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from scenarium._config_model import Frequency
from scenarium.exceptions import InvalidArgument, NonExistingEntity

# The Monday that weekly cycles count from (1970-01-05).
_FIRST_MONDAY = datetime(1970, 1, 5, tzinfo=timezone.utc)


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
        return self.start_date

    @property
    def name(self) -> str:
        """The name a user gave the cycle (kept in the registry), else its period."""
        given = self._engine.cycle_name(self.id) if self._engine is not None else None
        return given or self.id.split("_", 2)[2]

    def _bounds(self) -> tuple[Frequency, datetime, datetime]:
        try:
            prefix, frequency_name, period = self.id.split("_", 2)
            frequency = Frequency[frequency_name]
            if prefix != "CYCLE":
                raise ValueError(prefix)
            start, end = _period(frequency, period)
        except (ValueError, KeyError):
            raise NonExistingEntity(f"{self.id!r} is not a cycle id (such as 'CYCLE_MONTHLY_2026-11')") from None
        return frequency, start, end

    def __setattr__(self, name: str, value: object) -> None:
        if name != "name":
            raise AttributeError(f"a Cycle is what its id says: {name!r} cannot be set")
        if self._engine is None:
            raise InvalidArgument(f"cycle {self.id}: name a cycle found through a scenario or sc.get_cycles()")
        self._engine.set_cycle_name(self.id, str(value))

    def __repr__(self) -> str:
        return f"Cycle({self.id!r})"


def _period(frequency: Frequency, period: str) -> tuple[datetime, datetime]:
    utc = timezone.utc
    if frequency is Frequency.DAILY:
        start = datetime.strptime(period, "%Y-%m-%d").replace(tzinfo=utc)
        return start, start + timedelta(days=1)
    if frequency is Frequency.WEEKLY:
        start = _FIRST_MONDAY + timedelta(weeks=int(period.removeprefix("W")))
        return start, start + timedelta(weeks=1)
    if frequency is Frequency.MONTHLY:
        start = datetime.strptime(period, "%Y-%m").replace(tzinfo=utc)
        return start, _add_months(start, 1)
    if frequency is Frequency.QUARTERLY:
        year, quarter = period.split("-Q")
        start = datetime(int(year), 3 * (int(quarter) - 1) + 1, 1, tzinfo=utc)
        return start, _add_months(start, 3)
    start = datetime(int(period), 1, 1, tzinfo=utc)
    return start, start.replace(year=start.year + 1)


def _add_months(date: datetime, months: int) -> datetime:
    index = date.month - 1 + months
    return date.replace(year=date.year + index // 12, month=index % 12 + 1)
