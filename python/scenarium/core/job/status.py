"""``taipy.core.job.status``."""

from scenarium import Status

__all__ = ["Status"]
