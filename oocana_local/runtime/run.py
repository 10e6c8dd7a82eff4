"""Run a flow or a single block as one session, start to finish."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..manifest.resolved import (
    Flow,
    FromFlow,
    FromNode,
    InputFrom,
    OutputFrom,
    TaskBlock,
    TaskNode,
)
from ..states import NodeState, RunStatus
from ..wire import names, packed
from . import session_folders
from .defaults import with_defaults
from .flow_job import FlowJob
from .input_schema import input_problems
from .options import RunOptions
from .prestart import prestart_services
from .session import CompiledFlow, Session

if TYPE_CHECKING:
    from ..executor.base import Executor
    from ..mainframe.bus import Bus
    from ..manifest.loader import Loader

__all__ = ["RunResult", "RunOptions", "run_session", "block_as_flow", "root_inputs"]


@dataclass
class RunResult:
    """What a run produced. ``events`` holds every bus message when they were recorded."""

    session_id: str
    status: RunStatus
    outputs: dict[str, Any]
    error: str | None
    nodes: dict[str, NodeState]
    not_run: dict[str, list[str]]
    duration: float
    events: list[dict[str, Any]] = field(default_factory=list)
    failed_node: str | None = None
    cached: list[str] = field(default_factory=list)
    """Root-flow nodes whose results came from the node cache (every run of them)."""
    unconsumed: dict[str, dict[str, int]] = field(default_factory=dict)
    """Values left queued at root nodes that ran, by node and handle: the surplus of
    inputs that did not pair up (``runtime/leftovers.py``); the run still completed."""
    dropped_logs: int = 0
    """Log lines not kept in ``events`` (beyond ``EventList.max_logs``)."""
    redactor: Any = field(default=None, repr=False, compare=False)
    """Masks the secret values blocks received in ``summary()`` (``outputs`` keep them)."""

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.COMPLETED

    def summary(self) -> dict[str, Any]:
        """The ``--json`` object of the CLI."""
        summary: dict[str, Any] = {"session_id": self.session_id, "status": self.status,
                   "outputs": self.outputs, "error": self.error, "nodes": self.nodes}
        if self.cached:
            summary["cached"] = self.cached
        if self.unconsumed:
            summary["unconsumed"] = self.unconsumed
        return self.redactor.value(summary) if self.redactor else summary


def block_as_flow(block: TaskBlock) -> Flow:
    """A one-node flow around a block, so one scheduler runs both (flow inputs = block inputs)."""
    path = block.path or (block.dir / "block.oo.yaml")
    # The block's folder names its one node; a service's block, its own name.
    node_id = (block.service.block if block.service else None) or block.dir.name or "block"
    node = TaskNode(
        node_id=node_id, block=block,
        inputs_from=[InputFrom(handle=h, from_flow=[FromFlow(h)]) for h in block.inputs_def],
    )
    return Flow(
        path=path, kind="flow", inputs_def=dict(block.inputs_def),
        outputs_def=dict(block.outputs_def), nodes=[node],
        outputs_from=[OutputFrom(handle=h, from_node=[FromNode(node_id, h)])
                      for h in block.outputs_def],
        description=block.description, package=block.package,
    )


def root_inputs(flow: Flow, given: dict[str, Any] | None) -> dict[str, Any]:
    """Given inputs plus, for the others, the definition's value or null when nullable."""
    unknown = [h for h in given or () if h not in flow.inputs_def]
    if unknown:
        raise UsageError(_unknown("input handle", unknown, flow.inputs_def, str(flow.path)))
    _refuse_mismatches(input_problems(flow.inputs_def, given or {}), str(flow.path))
    return with_defaults(flow.inputs_def, given)[0]


def _refuse_mismatches(problems: list[str], where: str) -> None:
    if problems:
        raise UsageError("\n".join([f"inputs that do not fit their json_schema in {where}:",
                                    *(f"  {p}" for p in problems)]))


def _unknown(what: str, names: list[str], known: Any, where: str) -> str:
    import difflib  # only for a did-you-mean

    lines = []
    for name in names:
        close = difflib.get_close_matches(name, list(known), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        lines.append(f"unknown {what} {name!r} in {where}{hint}")
    lines.append(f"known: {', '.join(known) or '(none)'}")
    return "\n".join(lines)


async def run_session(target: Flow | TaskBlock, options: RunOptions, *, executor: Executor,
                      bus: Bus, loader: Loader) -> RunResult:
    """Run ``target`` to its end and publish every event on ``bus``.

    Bad arguments (unknown node ids or handles, a block input nobody gives, a session in
    use) raise ``UsageError`` before anything is published.
    """
    is_block = isinstance(target, TaskBlock)
    flow = block_as_flow(target) if isinstance(target, TaskBlock) else target
    inputs = root_inputs(flow, options.inputs)
    if is_block:
        missing = [h for h in flow.inputs_def if h not in inputs]
        if missing:
            raise UsageError(
                f"block {flow.path} needs input(s) {', '.join(missing)}: they have no value "
                f"and are not nullable; pass them with --inputs "
                f"'{{{', '.join(f'{chr(34)}{h}{chr(34)}: ...' for h in missing)}}}'")
    options = options.resolve()
    cache = options.cache
    if cache is True:
        from .cache import NodeCache

        cache = NodeCache()
    session = Session(bus=bus, executor=executor, loader=loader, options=options,
                      path=str(flow.path), node_cache=cache or None)
    compiled = session.graph(flow)
    graph = compiled.graph
    _check_nodes_args(graph.nodes, options.nodes, options.nodes_inputs, str(flow.path))
    limit = graph.upstream_of(set(options.nodes)) if options.nodes else None
    session.claim()
    session_folders.begin(session.session_dir)  # older finished ones go
    succeeded = False
    try:
        prestart_services(session, flow, executor)  # start_at: session_start, app_start
        result = await _run(session, flow, compiled, inputs, options, limit)
        succeeded = result.ok
        return result
    finally:
        session.release()
        try:
            # Services of the session stop; its spawn nodes' processes may go.
            await asyncio.shield(executor.session_ended(session.session_id))
        finally:
            # A completed run's scratch folders go; a failed one's stay to be looked into.
            doomed = session.tmp_dirs.close(succeeded=succeeded)
            if doomed:  # what blocks wrote there may be big: deleted off the loop
                await asyncio.shield(asyncio.to_thread(session.tmp_dirs.remove, doomed))


async def _run(session: Session, flow: Flow, compiled: CompiledFlow, inputs: dict[str, Any],
               options: RunOptions, limit: set[str] | None) -> RunResult:
    from ..mainframe.recorder import EventList

    collector = EventList()
    unsubscribe = session.bus.subscribe(collector)
    started = time.perf_counter()
    session.reporter.started()
    flow_reporter = session.reporter.flow(session.new_job_id(), str(flow.path), [])
    graph = compiled.graph
    job = FlowJob(session, compiled, job_id=flow_reporter.job_id, stacks=[],
                  reporter=flow_reporter, inputs=inputs, nodes_inputs=options.nodes_inputs,
                  limit=limit)
    cancelled = False
    try:
        failure = await job.run()
    except asyncio.CancelledError:
        cancelled = True
        failure = job.failure
    finally:
        try:  # workers drop every value of the session
            await asyncio.shield(session.values.free_all())
        except (asyncio.CancelledError, Exception):
            pass
        packed.forget()  # and the engine the pickles it kept to send big values on
        session_folders.finish(session.session_dir)
    if cancelled:
        status, error = RunStatus.CANCELLED, "Cancelled"
    elif failure is not None:
        status, error = RunStatus.FAILED, failure.describe()
    else:
        status, error = RunStatus.COMPLETED, None
    session.reporter.finished(
        None if status is RunStatus.COMPLETED else
        ("Cancelled" if cancelled else f"flow {flow.path} failed."))
    unsubscribe()
    return RunResult(
        session_id=session.session_id, status=status, outputs=job.outputs, error=error,
        nodes={n: job.status.get(n, NodeState.NOT_RUN) for n in graph.nodes},
        not_run={n: job.states[n].missing() for n, s in job.status.items()
                 if s is NodeState.NOT_RUN},
        duration=time.perf_counter() - started, events=collector.messages,
        failed_node=failure.node_id if failure else None,
        unconsumed=job.unconsumed,
        cached=_cached_nodes(collector.messages) if session.node_cache is not None else [],
        dropped_logs=collector.dropped_logs,
        redactor=session.bus.redactor,
    )


def _cached_nodes(messages: list[dict[str, Any]]) -> list[str]:
    """Root nodes every finished run of which was replayed from the cache."""
    cached: dict[str, bool] = {}
    for message in messages:
        stacks = message.get("stacks")
        if message.get("type") == names.BLOCK_FINISHED and stacks and len(stacks) == 1:
            node_id = stacks[0]["node_id"]
            cached[node_id] = cached.get(node_id, True) and bool(message.get("cached"))
    return [node_id for node_id, all_cached in cached.items() if all_cached]


def _check_nodes_args(graph_nodes: dict[str, Any], nodes: list[str] | None,
                      nodes_inputs: dict[str, dict[str, Any]] | None, where: str) -> None:
    unknown = [n for n in nodes or () if n not in graph_nodes]
    unknown += [n for n in nodes_inputs or () if n not in graph_nodes and n not in unknown]
    if unknown:
        raise UsageError(_unknown("node id", unknown, graph_nodes, where))
    for node_id, values in (nodes_inputs or {}).items():
        if not isinstance(values, dict):
            raise UsageError(f"--nodes-inputs: the value for node {node_id!r} must be an "
                             f"object of {{handle: value}}, got {type(values).__name__}")
        bad = [h for h in values if h not in graph_nodes[node_id].inputs]
        if bad:
            raise UsageError(_unknown("input handle", bad, graph_nodes[node_id].inputs,
                                      f"node {node_id}"))
        slots = graph_nodes[node_id].inputs
        _refuse_mismatches(input_problems({h: slots[h].definition for h in values}, values),
                           f"node {node_id} of {where}")
