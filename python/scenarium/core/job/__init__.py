"""``taipy.core.job``."""

from scenarium import Job, Status, _taipy_paths

__all__ = ["Job", "Status"]

# Taipy's other names of this module (and its submodules), found when first used.
__getattr__, __dir__ = _taipy_paths.names_of(__name__)
