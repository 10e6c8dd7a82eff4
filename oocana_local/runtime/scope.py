"""``FlowScope``: what a node job may see and do in the flow run it belongs to.

A node job (``node_jobs.py``, ``task_job.py``, ``queries.py``) gets this, not the
``FlowJob``: it may route an output of its node, report its progress, forward a preview,
run a subflow inside the run, and read the session, the graph and the job specs of the
flow's task nodes. The ``FlowJob`` builds one scope when it starts (``flow_job.py``);
nothing here imports it, so the runtime's modules import one way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..graph.model import GraphNode
    from ..mainframe.messages import FlowReporter, Stack
    from ..states import NodeState
    from .session import CompiledFlow, Session

__all__ = ["FlowScope", "NodeFailure", "SubflowRunner", "OutputCallback", "PreviewForward"]

OutputCallback = Callable[[str, Any], None]
"""A flow output of a subflow run: (handle, value)."""
PreviewForward = Callable[[dict[str, Any], str], None]
"""A preview of a subflow's node shown on its parent's node too: (payload, inner node id)."""


class NodeFailure:
    """Why a flow failed: which node, how it ended, and the error text of its job."""

    __slots__ = ("node_id", "error", "state", "headline")

    def __init__(self, node_id: str, error: str, state: NodeState,
                 headline: str | None = None):
        self.node_id = node_id
        self.error = error
        self.state = state
        self.headline = headline
        """The message when it is not the node's own failure (oocana's words otherwise)."""

    @property
    def message(self) -> str:
        return self.headline or f"[node id: {self.node_id}] failed"

    def describe(self) -> str:
        return f"{self.message}\n{self.error}".rstrip()


class SubflowRunner(Protocol):
    """Run a flow inside this run (a subflow node, or ``run_block`` of a flow) to its end."""

    async def __call__(self, compiled: CompiledFlow, *, job_id: str,
                       stacks: list[Stack], reporter: FlowReporter, inputs: dict[str, Any],
                       on_output: OutputCallback | None = None,
                       forward_preview: PreviewForward | None = None,
                       hold_outputs: bool = False) -> NodeFailure | None: ...


class FlowScope:
    """One flow run as its node jobs see it. ``route``, ``progress`` and ``forward`` are
    the flow job's own (bound) methods: calling one costs what calling the flow job did."""

    __slots__ = ("session", "graph", "specs", "job_id", "stacks", "flow", "route",
                 "progress", "forward", "run_subflow")

    def __init__(self, session: Session, compiled: CompiledFlow, *, job_id: str,
                 stacks: list[Stack],
                 route: Callable[[GraphNode, str, Any, dict[str, Any] | None], None],
                 progress: Callable[[str, float], None],
                 forward: Callable[[Any, str], None],
                 run_subflow: SubflowRunner):
        self.session = session
        """The run: job ids, reporters, the executor, the loader, value holds."""
        self.graph = compiled.graph
        self.specs = compiled.specs
        """Job specs of the graph's task nodes, by node id (``CompiledFlow.specs``)."""
        self.job_id = job_id
        self.stacks = stacks
        self.flow = str(compiled.graph.flow.path)
        self.route = route
        """``route(node, handle, value, options)``: send an output of ``node`` to its
        targets (``options.target`` may restrict them)."""
        self.progress = progress
        """``progress(node_id, percent)``: a node's progress, toward the flow's own."""
        self.forward = forward
        """``forward(payload, node_id)``: a node's preview, shown on the parent's node too
        when the flow lists it in ``forward_previews``."""
        self.run_subflow = run_subflow

    def close(self) -> None:
        """The flow run is over: what a job says from now on (a thread it left behind)
        is still reported, but routes nowhere. Dropping the flow job's methods also lets
        the run be freed as soon as it ends, not at the next full garbage collection."""
        produced = self.session.values.produced

        def route_nowhere(node: GraphNode, handle: str, value: Any,
                          options: dict[str, Any] | None) -> None:
            produced(value)  # nobody receives it: freed

        self.route = route_nowhere
        self.progress = self.forward = _ignore
        self.run_subflow = _no_subflow

    def stacks_for(self, node_id: str) -> list[Stack]:
        """The stacks of a job of ``node_id``: this flow's, plus this flow run."""
        return [*self.stacks, {"flow_job_id": self.job_id, "flow": self.flow,
                               "node_id": node_id}]


def _ignore(*args: Any) -> None:
    return None


async def _no_subflow(compiled: CompiledFlow, **kwargs: Any) -> NodeFailure | None:
    raise RuntimeError("the flow run is over: it cannot start a subflow")
