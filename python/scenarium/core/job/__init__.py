"""``taipy.core.job``."""

from scenarium import Job, Status

__all__ = ["Job", "Status"]
