"""``taipy.core.data.operator``: the conditions of ``DataNode.filter``."""

from scenarium import _taipy_paths
from scenarium.entities.filters import JoinOperator, Operator

__all__ = ["JoinOperator", "Operator"]

# Taipy's other names of this module (and its submodules), found when first used.
__getattr__, __dir__ = _taipy_paths.names_of(__name__)
