"""One run of a flow: feed values through the graph until nothing runs (§2 of the spec).

A ``FlowJob`` owns the input queues of its nodes. Each delivered value may make a node
fulfilled; a fulfilled node under its ``concurrency`` starts a job (an asyncio task).
When a job ends its results are delivered, the node is tried again, and the flow is
over once no job runs. The first failing job fails the flow and cancels the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..executor.base import Outcome
from ..graph.model import FlowTarget, GraphNode, NodeTarget
from ..mainframe.messages import FlowReporter, Stack
from ..states import NodeState, OutcomeStatus
from .leftovers import Unconsumed, lost_error, unconsumed
from .node_inputs import NodeInputs
from .node_jobs import begin_task, run_condition, run_empty_slot, run_subflow
from .scope import FlowScope, NodeFailure, OutputCallback, PreviewForward
from .task_job import end_task_job

if TYPE_CHECKING:
    from .session import CompiledFlow, Session

__all__ = ["FlowJob"]


_CANCELLED = Outcome(OutcomeStatus.CANCELLED, error="Cancelled")


def _not_begun() -> None:
    """Cancelling a task node's job that has not begun: it sees the flow's state."""


def _internal_error(exc: Exception) -> Outcome:
    import traceback

    return Outcome(OutcomeStatus.FAILED, error=f"oocana-local internal error: {exc}\n"
                                               f"{traceback.format_exc()}")


class FlowJob:
    def __init__(self, session: Session, compiled: CompiledFlow, *, job_id: str,
                 stacks: list[Stack], reporter: FlowReporter, inputs: dict[str, Any],
                 nodes_inputs: dict[str, dict[str, Any]] | None = None,
                 limit: set[str] | None = None,
                 on_output: OutputCallback | None = None,
                 forward_preview: PreviewForward | None = None,
                 hold_outputs: bool = False):
        self.session = session
        graph = compiled.graph
        self.hold_outputs = hold_outputs
        """Hold values on this flow's outputs until the session ends (a root flow always does)."""
        self.graph = graph
        self.job_id = job_id
        self.stacks = stacks
        self.reporter = reporter
        self.inputs = inputs
        self.limit = limit
        self.on_output = on_output
        self.forward_preview = forward_preview
        nodes_inputs = nodes_inputs or {}
        self.states = {node_id: NodeInputs(node, nodes_inputs.get(node_id))
                       for node_id, node in graph.nodes.items()}
        self.status: dict[str, NodeState] = {}
        self.outputs: dict[str, Any] = {}
        self.failure: NodeFailure | None = None
        self.unconsumed: Unconsumed = {}
        """Values left queued at nodes that ran, when the run ended (``leftovers.py``)."""
        self.cancelled = False
        self._tasks: set[asyncio.Task[None]] = set()
        """Node jobs running in a task of their own: subflows, conditions."""
        self._jobs: dict[object, Callable[[], None]] = {}
        """Task nodes' jobs with the executor, and how to cancel each."""
        self._drained: asyncio.Future[None] | None = None
        self._done: asyncio.Future[None] | None = None
        self._progress: dict[str, float] = {}
        self.scope = FlowScope(session, compiled, job_id=job_id, stacks=stacks,
                               route=self.route, progress=self.node_progress,
                               forward=self.forward, run_subflow=self.run_subflow)
        """What its node jobs may see and do (``scope.py``)."""

    # -- the run --------------------------------------------------------------------

    async def run(self) -> NodeFailure | None:
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        runnable = [n for n in self.graph.nodes if self.limit is None or n in self.limit]
        self.reporter.started(self.inputs, list(self.graph.nodes))
        self._report_will_run(runnable)
        for node_id in runnable:
            self._try_start(self.states[node_id])
        for handle, value in self.inputs.items():
            for target in self.graph.flow_inputs.get(handle, ()):
                self._deliver(target, value)
        if not self._tasks and not self._jobs:
            self._finish()
        try:
            await self._done
        except asyncio.CancelledError:
            self.cancelled = True
            await self._cancel_all()
            self._finish()
            raise
        finally:
            self.scope.close()
        return self.failure

    def _report_will_run(self, runnable: list[str]) -> None:
        if self.stacks:
            return
        start = [n for n in runnable if not self.states[n].queues]
        ends = [n for n in runnable
                if not any(isinstance(t, NodeTarget) and (self.limit is None or
                                                          t.node_id in self.limit)
                           for ts in self.graph.nodes[n].targets.values() for t in ts)]
        edge = {*start, *ends}  # sets: a fan-out of 1,000 would make these quadratic
        first = set(start)
        mid = [n for n in runnable if n not in edge]
        self.reporter.nodes_will_run(start, mid, [n for n in ends if n not in first])

    def _finish(self) -> None:
        if self._done is None or self._done.done():
            return
        not_run: dict[str, list[str]] = {}
        for node_id, state in self.states.items():
            if node_id not in self.status:
                if self.limit is not None and node_id not in self.limit:
                    self.status[node_id] = NodeState.SKIPPED
                    continue
                self.status[node_id] = NodeState.NOT_RUN
                not_run[node_id] = state.missing()
        if self.failure is None and not self.cancelled:
            self.unconsumed = unconsumed(self.states)
            if self.unconsumed and self.stacks:  # lost with this subflow run's queues
                node_id = next(iter(self.unconsumed))
                self.failure = NodeFailure(
                    node_id, lost_error(self.unconsumed, self.states), NodeState.FAILED,
                    headline=f"[node id: {node_id}] left values unused")
        for state in self.states.values():  # the memories end with the run
            self.session.values.release(state.memory.values())
        failure = self.failure
        error = "Cancelled" if self.cancelled and failure is None else (
            failure.message if failure else None)
        detail = {"message": failure.error, "node_id": failure.node_id} if failure else None
        self.reporter.finished(error, outputs=self.outputs, not_run=not_run,
                               error_detail=detail, unconsumed=self.unconsumed or None)
        self._done.set_result(None)

    async def run_subflow(self, compiled: CompiledFlow, *, job_id: str, stacks: list[Stack],
                          reporter: FlowReporter, inputs: dict[str, Any],
                          on_output: OutputCallback | None = None,
                          forward_preview: PreviewForward | None = None,
                          hold_outputs: bool = False) -> NodeFailure | None:
        """Run a subflow inside this flow (a node, or ``run_block``) to its end."""
        sub = FlowJob(self.session, compiled, job_id=job_id, stacks=stacks,
                      reporter=reporter, inputs=inputs, on_output=on_output,
                      forward_preview=forward_preview, hold_outputs=hold_outputs)
        return await sub.run()

    # -- values -------------------------------------------------------------------

    def forward(self, payload: Any, node_id: str) -> None:
        """A preview of ``node_id``: shown on the parent flow's node too when this flow
        lists the node in ``forward_previews``."""
        if self.forward_preview is not None and node_id in self.graph.flow.forward_previews:
            self.forward_preview(payload, node_id)

    def route(self, node: GraphNode, handle: str, value: Any,
              options: dict[str, Any] | None = None) -> None:
        """Send one output of ``node`` to its targets (restricted by ``options.target``)."""
        targets = node.targets.get(handle)
        if not targets or self.failure is not None:
            self.session.values.produced(value)  # nobody receives it: free it
            return
        target_filter = options.get("target") if options else None
        if target_filter:
            to_node = {(t.get("node_id"), t.get("input_handle"))
                       for t in target_filter.get("to_node") or ()}
            to_flow = {t.get("output_handle") for t in target_filter.get("to_flow") or ()}
            targets = [t for t in targets
                       if (isinstance(t, NodeTarget) and (t.node_id, t.handle) in to_node)
                       or (isinstance(t, FlowTarget) and t.handle in to_flow)]
        for target in targets:
            self._deliver(target, value)
        self.session.values.produced(value)

    def _deliver(self, target: NodeTarget | FlowTarget, value: Any) -> None:
        if type(target) is NodeTarget:
            if self.limit is not None and target.node_id not in self.limit:
                return
            state = self.states[target.node_id]
            state.push(target.handle, value)
            self.session.values.hold(value)  # until the job that takes it finished
            self._try_start(state)
        else:
            if not self.stacks or self.hold_outputs:  # root outputs live as long as the run
                self.session.values.hold(value)
            self.outputs[target.handle] = value
            self.reporter.output(target.handle, value)
            if self.on_output is not None:
                self.on_output(target.handle, value)

    # -- jobs -----------------------------------------------------------------------

    def _try_start(self, state: NodeInputs) -> None:
        node = state.node
        while (self.failure is None and not self.cancelled and state.fulfilled
               and state.running < node.concurrency):
            inputs = state.take()
            for value in state.kept:  # the run releases it; the memory keeps it
                self.session.values.hold(value)
            self.session.values.release(state.forgotten)
            state.running += 1
            state.runs += 1
            self.status.setdefault(node.node_id, NodeState.RUNNING)
            if node.kind == "task":  # begins once what started it is over, as a task would
                key = object()
                self._jobs[key] = _not_begun
                asyncio.get_running_loop().call_soon(self._start_task, key, state, inputs)
                continue
            task = asyncio.get_running_loop().create_task(self._run_node(state, inputs))
            self._tasks.add(task)
            # A done callback, not the coroutine's own ``finally``: a task cancelled before
            # it ever ran (a sibling failed first) never executes its body.
            task.add_done_callback(self._job_done)

    def _start_task(self, key: object, state: NodeInputs, inputs: dict[str, Any]) -> None:
        """A task node's job goes to the executor with a callback for its end, not in a
        task of its own (a trivial block would spend a tenth of its time on that)."""
        if self.failure is not None or self.cancelled:  # before it began
            self._task_ended(key, state, inputs, _CANCELLED)
            return
        try:
            handler, outcome = begin_task(self.scope, state.node, inputs)
        except Exception as exc:  # an engine bug must still end the flow cleanly
            self._task_ended(key, state, inputs, _internal_error(exc))
            return
        if outcome is not None:
            self._task_ended(key, state, inputs, end_task_job(handler, outcome))
            return

        ended = False

        def done(outcome: Outcome) -> None:
            nonlocal ended
            ended = True
            try:
                outcome = end_task_job(handler, outcome)
            except Exception as exc:
                outcome = _internal_error(exc)
            self._task_ended(key, state, inputs, outcome)

        try:
            cancel = self.session.executor.submit(handler.job, handler, done)
        except Exception as exc:  # an engine bug must still end the flow cleanly
            if not ended:
                done(_internal_error(exc))
            return
        if not ended:  # (an executor may end a job before ``submit`` returns)
            self._jobs[key] = cancel

    def _task_ended(self, key: object, state: NodeInputs, inputs: dict[str, Any],
                    outcome: Outcome) -> None:
        self._jobs.pop(key, None)
        self._ended(state, inputs, outcome, None)
        if not self._jobs and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    async def _run_node(self, state: NodeInputs, inputs: dict[str, Any]) -> None:
        node = state.node
        outcome = _CANCELLED
        try:
            if node.kind == "subflow":
                outcome = await run_subflow(self.scope, node, inputs)
            elif node.kind == "slot":
                outcome = run_empty_slot(self.scope, node, inputs)
            else:
                outcome = run_condition(self.scope, node, inputs)
        except asyncio.CancelledError:
            outcome = _CANCELLED
        except Exception as exc:  # an engine bug must still end the flow cleanly
            outcome = _internal_error(exc)
        finally:
            self._ended(state, inputs, outcome, asyncio.current_task())

    def _ended(self, state: NodeInputs, inputs: dict[str, Any], outcome: Outcome,
               task: asyncio.Task[Any] | None) -> None:
        """A job of ``state``'s node ended (``task``: the one it ran in, if any)."""
        node = state.node
        self.session.values.release(inputs.values())
        state.running -= 1
        node_state = NodeState.of(outcome.status)
        if self.status.get(node.node_id) in (None, NodeState.RUNNING, NodeState.DONE):
            self.status[node.node_id] = node_state
        if node_state is NodeState.DONE and self.stacks:
            self.node_progress(node.node_id, 100.0)
        if not outcome.ok and node_state is not NodeState.CANCELLED \
                and self.failure is None:
            self.failure = NodeFailure(node.node_id, outcome.error or str(node_state),
                                       node_state)
            self._cancel_others()
        elif self.failure is None and not self.cancelled:
            self._try_start(state)
            if not self._jobs and all(t is task for t in self._tasks):
                # The last job: the flow ends now, before the downstream of the
                # values it just sent runs (as oocana reports a subflow's end).
                self._finish()
        if not self._jobs and not self._tasks and task is None:
            self._finish()  # the last job, cancelled or failed

    def _job_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks and not self._jobs:
            self._finish()

    def _cancel_others(self) -> None:
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        for cancel in list(self._jobs.values()):
            cancel()

    async def _cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for cancel in list(self._jobs.values()):
            cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._jobs:  # their ends come through the executor's callbacks
            self._drained = asyncio.get_running_loop().create_future()
            await self._drained

    # -- progress of a subflow, as the weighted mean of its nodes' ------------------

    def node_progress(self, node_id: str, progress: float) -> None:
        if not self.stacks:
            return
        self._progress[node_id] = progress
        nodes = self.graph.nodes
        total = sum(n.progress_weight for n in nodes.values()) or 1.0
        done = sum(nodes[n].progress_weight * p for n, p in self._progress.items())
        self.reporter.progress(min(95.0, done / total))
