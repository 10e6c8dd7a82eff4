"""The three kinds of node job: a task on an executor, a subflow, a condition.

Each ends in one ``Outcome`` (``executor/base.py``), which the flow job turns into the
node's state. A task's job is begun here and handed to the executor by the flow job,
which ends it (``task_job.end_task_job``) when the executor calls back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..executor.base import Outcome
from ..graph.model import GraphNode
from ..manifest.resolved import ConditionNode, Flow, TaskBlock
from ..states import NodeState, OutcomeStatus
from .condition import evaluate
from .task_job import NodeSink, TaskJobHandler, begin_task_job, node_spec, session_fields

if TYPE_CHECKING:
    from .scope import FlowScope

__all__ = ["begin_task", "run_subflow", "run_condition", "run_empty_slot", "EMPTY_SLOT"]

EMPTY_SLOT = "Cannot run Slot Block directly"

_DONE = Outcome(OutcomeStatus.DONE)


def begin_task(scope: FlowScope, node: GraphNode, inputs: dict[str, Any]
               ) -> tuple[TaskJobHandler, Outcome | None]:
    """A task node's job, ready for the executor (``task_job.begin_task_job``)."""
    session = scope.session
    block = node.block
    assert isinstance(block, TaskBlock)
    # The specs of this compiled graph: a slot's node holds another provider in another
    # graph of the same flow.
    spec = scope.specs.get(node.node_id) or node_spec(scope, node, block)
    job_id = session.new_job_id()
    stacks = scope.stacks_for(node.node_id)
    reporter = session.reporter.block(job_id, spec.block_path, stacks)
    return begin_task_job(scope, spec, session_fields(session, scope.graph.flow, block),
                          job_id=job_id, stacks=stacks, inputs=inputs, reporter=reporter,
                          sink=NodeSink(scope, node), node=node)


async def run_subflow(scope: FlowScope, node: GraphNode, inputs: dict[str, Any]) -> Outcome:
    session = scope.session
    flow = node.block
    assert isinstance(flow, Flow)
    job_id = session.new_job_id()
    stacks = scope.stacks_for(node.node_id)
    reporter = session.reporter.flow(job_id, str(flow.path), stacks, slotflow=node.slotflow)
    providers = getattr(node.node, "providers", None)
    route, forward = scope.route, scope.forward

    def on_output(handle: str, value: Any) -> None:
        route(node, handle, value, None)

    def forward_preview(payload: dict[str, Any], inner_node_id: str) -> None:
        session.reporter.block(job_id, str(flow.path), stacks).preview(payload, inner_node_id)
        forward(payload, node.node_id)

    failure = await scope.run_subflow(session.graph(flow, providers), job_id=job_id,
                                      stacks=stacks, reporter=reporter, inputs=inputs,
                                      on_output=on_output, forward_preview=forward_preview)
    if failure is None:
        return _DONE
    status = OutcomeStatus.FAILED if failure.state is NodeState.CANCELLED \
        else OutcomeStatus(failure.state.value)
    return Outcome(status, error=failure.describe())


def run_empty_slot(scope: FlowScope, node: GraphNode, inputs: dict[str, Any]) -> Outcome:
    """A slot no provider fills: oocana reports the error on the slot and its downstream
    never runs; here the run fails too, so a flow that cannot do its work says so."""
    job_id = scope.session.new_job_id()
    reporter = scope.session.reporter.block(job_id, None, scope.stacks_for(node.node_id))
    reporter.started(inputs)
    error = (f"{EMPTY_SLOT}: slot {node.node_id!r} of {scope.graph.flow.path} has no "
             "provider; give the subflow node `slots: [{slot_node_id: "
             f"{node.node_id}, task: <block>}}]`")
    reporter.finished(error=error, status=NodeState.FAILED)
    return Outcome(OutcomeStatus.FAILED, error=error)


def run_condition(scope: FlowScope, node: GraphNode, inputs: dict[str, Any]) -> Outcome:
    session = scope.session
    condition = node.node
    assert isinstance(condition, ConditionNode)
    job_id = session.new_job_id()
    reporter = session.reporter.block(job_id, None, scope.stacks_for(node.node_id))
    reporter.started(inputs)
    try:
        result = evaluate(condition, inputs)
    except ValueError as exc:
        reporter.finished(error=str(exc), status=NodeState.FAILED)
        return Outcome(OutcomeStatus.FAILED, error=str(exc))
    reporter.finished(result=result)
    if result:
        for handle, value in result.items():
            scope.route(node, handle, value, None)
    return _DONE
