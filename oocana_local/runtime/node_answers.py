"""What a node job says when it goes wrong in a way a user can fix: an input that does not
fit its schema (a warning: as in oocana the block runs), a timeout with its limit and
the place it was set."""

from __future__ import annotations

from typing import Any

from ..graph.model import GraphNode
from ..mainframe.messages import BlockReporter
from .input_schema import input_problems

__all__ = ["timeout_error", "warn_mismatches"]


def warn_mismatches(node: GraphNode, inputs: dict[str, Any], reporter: BlockReporter) -> None:
    """A ``BlockWarning`` per input value that does not fit its handle's json_schema."""
    for problem in input_problems(node.definitions, inputs):
        reporter.warning(f"{problem} (the block runs anyway, as in oocana)")


def timeout_error(node: GraphNode) -> str:
    """``Timeout`` (oocana's word), the limit and where it was set."""
    where = getattr(node.node, "location", None)
    place = f" at {where}" if where is not None else ""
    limit = f"{node.timeout:g}" if node.timeout is not None else "?"
    return (f"Timeout: node {node.node_id} ran longer than its limit of {limit} s "
            f"(timeout: {limit}, set on the node{place}); raise it there or make the "
            "block faster")
