"""``taipy.core.job.status``."""

from scenarium import Status, _taipy_paths

__all__ = ["Status"]

# Taipy's other names of this module (and its submodules), found when first used.
__getattr__, __dir__ = _taipy_paths.names_of(__name__)
