"""``taipy.core.data``."""

from scenarium import DataNode, _taipy_paths

__all__ = ["DataNode"]

# Taipy's other names of this module (and its submodules), found when first used.
__getattr__, __dir__ = _taipy_paths.names_of(__name__)
