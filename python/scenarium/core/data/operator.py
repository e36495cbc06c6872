"""``taipy.core.data.operator``: the conditions of ``DataNode.filter``."""

from scenarium._filter import JoinOperator, Operator

__all__ = ["JoinOperator", "Operator"]
