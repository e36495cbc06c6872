"""``taipy.core.data``."""

from scenarium import DataNode

__all__ = ["DataNode"]
