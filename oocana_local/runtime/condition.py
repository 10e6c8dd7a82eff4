"""Condition nodes, evaluated in the engine (oocana-engine.md §1.6, §2.9)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ..manifest.resolved import ConditionNode

__all__ = ["OPERATORS", "evaluate"]


def _contains(left: Any, right: Any) -> bool:
    try:
        return right in left
    except TypeError:
        return False


def _in(left: Any, right: Any) -> bool:
    return _contains(right, left)


def _empty(left: Any, _right: Any) -> bool:
    if left is None:
        return True
    try:
        return len(left) == 0
    except TypeError:
        return False


def _has_key(left: Any, right: Any) -> bool:
    return isinstance(left, dict) and right in left


def _has_value(left: Any, right: Any) -> bool:
    return isinstance(left, dict) and right in left.values()


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        try:
            return bool(op(left, right))
        except TypeError:
            return False

    return compare


def _starts(left: Any, right: Any) -> bool:
    return isinstance(left, str) and isinstance(right, str) and left.startswith(right)


def _ends(left: Any, right: Any) -> bool:
    return isinstance(left, str) and isinstance(right, str) and left.endswith(right)


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": _compare(operator.gt),
    "<": _compare(operator.lt),
    ">=": _compare(operator.ge),
    "<=": _compare(operator.le),
    "is null": lambda a, _b: a is None,
    "is not null": lambda a, _b: a is not None,
    "is true": lambda a, _b: a is True,
    "is false": lambda a, _b: a is False,
    "contains": _contains,
    "not contains": lambda a, b: not _contains(a, b),
    "is empty": _empty,
    "is not empty": lambda a, b: not _empty(a, b),
    "in": _in,
    "not in": lambda a, b: not _in(a, b),
    "has key": _has_key,
    "not has key": lambda a, b: not _has_key(a, b),
    "has value": _has_value,
    "not has value": lambda a, b: not _has_value(a, b),
    "starts with": _starts,
    "ends with": _ends,
}


def evaluate(node: ConditionNode, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """The result of one run: ``{case handle: value of the first input}`` or None.

    The first case whose expressions hold wins (``AND`` needs all, ``OR`` any), else
    ``default``; the value re-emitted is that of the node's first input handle.
    """
    first = inputs[node.inputs_def[0].handle] if node.inputs_def else None
    for case in node.cases:
        results = (_holds(expr, inputs) for expr in case.expressions)
        matched = all(results) if case.logical == "AND" else any(results)
        if matched and case.expressions:
            return {case.handle: first}
    if node.default:
        return {node.default: first}
    return None


def _holds(expression: dict[str, Any], inputs: dict[str, Any]) -> bool:
    op = OPERATORS.get(expression.get("operator", ""))
    if op is None:
        raise ValueError(f"unknown condition operator {expression.get('operator')!r}; "
                         f"use one of: {', '.join(OPERATORS)}")
    return op(inputs.get(expression.get("input_handle", "")), expression.get("value"))
