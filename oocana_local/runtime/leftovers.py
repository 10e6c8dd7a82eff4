"""Values a flow run received and never used (docs/slots-and-services.md, "No value is
lost silently").

A node runs once per complete set of values, one from each input queue (engine reference
§2.2). When a flow job ends (nothing runs any more), a value still queued at a node that
did run arrived for a run that never came: another input of that node ran dry. Inside a
subflow or slotflow run that value is lost with the run's queues, and the subflow node
looks done to its parent, so the subflow run fails; in the root flow the run completes as
in oocana (the surplus of a zip waits) and the values are reported. A node that never ran
is "not run" (a branch a condition did not take), not a loss.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .node_inputs import NodeInputs

__all__ = ["unconsumed", "lost_error"]

Unconsumed = dict[str, dict[str, int]]
"""node id -> input handle -> number of values still queued."""


def unconsumed(states: Mapping[str, NodeInputs]) -> Unconsumed:
    """Values still queued at nodes that ran at least once."""
    return {node_id: waiting for node_id, state in states.items()
            if state.runs and (waiting := state.unconsumed())}


def lost_error(lost: Unconsumed, states: Mapping[str, NodeInputs]) -> str:
    total = sum(sum(by_handle.values()) for by_handle in lost.values())
    lines = [f"{total} value(s) entered this subflow run and were never used:"]
    for node_id, by_handle in lost.items():
        state = states[node_id]
        waiting = ", ".join(f"{n} value(s) on {h!r}" for h, n in by_handle.items())
        dry = ", ".join(repr(h) for h in state.missing()) or "(none)"
        lines.append(f"  node {node_id!r} ran {state.runs} time(s); then {waiting} waited "
                     f"for a value on {dry} that never came")
    lines.append("A node runs once per value of each input: give every input as many "
                 "values (a slotflow's extra inputs are remembered), or check the wiring.")
    return "\n".join(lines)
