"""``DataNode.filter``: rows of a tabular value that meet conditions, as Taipy has
it (``Operator``, ``JoinOperator``), on pandas and polars frames, numpy arrays (a
column by index) and lists of dicts or objects.

Example:
    >>> from scenarium.entities.filters import JoinOperator, Operator, rows_where
    >>> rows = [{"city": "Paris", "pop": 2}, {"city": "Lyon", "pop": 1}]
    >>> rows_where(rows, [("pop", 1, Operator.GREATER_THAN)], JoinOperator.AND)
    [{'city': 'Paris', 'pop': 2}]
"""

from __future__ import annotations

import enum
import operator
import sys
from functools import reduce
from typing import Any, Callable

from scenarium.exceptions import InvalidArgument


class Operator(enum.Enum):
    """How a column is compared with a value in ``DataNode.filter``."""

    EQUAL = 1
    NOT_EQUAL = 2
    LESS_THAN = 3
    LESS_OR_EQUAL = 4
    GREATER_THAN = 5
    GREATER_OR_EQUAL = 6


class JoinOperator(enum.Enum):
    """How the conditions of one ``DataNode.filter`` call combine."""

    AND = 1
    OR = 2


_COMPARE: dict[Operator, Callable[[Any, Any], Any]] = {
    Operator.EQUAL: operator.eq,
    Operator.NOT_EQUAL: operator.ne,
    Operator.LESS_THAN: operator.lt,
    Operator.LESS_OR_EQUAL: operator.le,
    Operator.GREATER_THAN: operator.gt,
    Operator.GREATER_OR_EQUAL: operator.ge,
}


def conditions(operators: Any) -> list[tuple[Any, Any, Operator]]:
    """``(key, value, Operator)`` triples: one triple, or a list of them."""
    if operators is None:
        return []
    if isinstance(operators, tuple) and len(operators) == 3 and isinstance(operators[2], Operator):
        operators = [operators]
    found = []
    for condition in operators:
        if not (isinstance(condition, tuple) and len(condition) == 3 and isinstance(condition[2], Operator)):
            raise InvalidArgument(f"filter takes (key, value, Operator) conditions, got {condition!r}")
        found.append(condition)
    return found


def rows_where(value: Any, operators: Any, join: JoinOperator) -> Any:
    """The rows of ``value`` that meet the conditions (all of them, or any)."""
    triples = conditions(operators)
    if not triples:
        return value
    combine = operator.and_ if join is JoinOperator.AND else operator.or_
    if "pandas" in sys.modules and isinstance(value, sys.modules["pandas"].DataFrame):
        masks = [_COMPARE[op](value[key], wanted) for key, wanted, op in triples]
        return value[reduce(combine, masks)]
    if "polars" in sys.modules and isinstance(value, sys.modules["polars"].DataFrame):
        pl = sys.modules["polars"]
        exprs = [_COMPARE[op](pl.col(key), wanted) for key, wanted, op in triples]
        return value.filter(reduce(combine, exprs))
    if "numpy" in sys.modules and isinstance(value, sys.modules["numpy"].ndarray):
        masks = [_COMPARE[op](value[:, key], wanted) for key, wanted, op in triples]
        return value[reduce(combine, masks)]
    if isinstance(value, list):
        test = all if join is JoinOperator.AND else any

        def cell(row: Any, key: Any) -> Any:
            return row[key] if isinstance(row, dict) else getattr(row, key)

        return [row for row in value if test(_COMPARE[op](cell(row, key), wanted) for key, wanted, op in triples)]
    raise InvalidArgument(f"filter works on DataFrames, arrays and lists of rows, not a {type(value).__qualname__}")
