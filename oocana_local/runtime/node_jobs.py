"""The three kinds of node job: a task on a worker, a subflow, a condition.

Each returns ``(status, error)``: ``("done", None)``, or the failed status and its text.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..executor.base import Job
from ..graph.model import GraphNode, NodeTarget
from ..mainframe.messages import BlockReporter
from ..manifest.resolved import ConditionNode, Flow, TaskBlock
from .condition import evaluate
from .node_answers import timeout_error, warn_mismatches
from .requests import answer_request

if TYPE_CHECKING:
    from .flow_job import FlowJob

__all__ = ["run_task", "run_subflow", "run_condition", "NodeJobHandler"]

# Worker messages published as they are (only the job's identity is added).
_PASSTHROUGH = {
    "BlockLog": ("log", "stdio"),
    "BlockLogJSON": ("json",),
    "BlockWarning": ("warning",),
    "BlockError": ("error",),
    "BlockMessage": ("payload",),
}


def _stacks_for(flow_job: FlowJob, node_id: str) -> list[dict[str, str]]:
    return [*flow_job.stacks, {"flow_job_id": flow_job.job_id, "flow": flow_job._flow_str,
                               "node_id": node_id}]


class NodeJobHandler:
    """Turns what a worker says about one job into bus messages and delivered values."""

    __slots__ = ("flow_job", "node", "reporter")

    def __init__(self, flow_job: FlowJob, node: GraphNode, reporter: BlockReporter):
        self.flow_job = flow_job
        self.node = node
        self.reporter = reporter

    def on_message(self, message: dict[str, Any]) -> None:
        type_ = message["type"]
        if type_ == "BlockOutput":
            options = message.get("options")
            self.reporter.output(message["handle"], message["output"], options)
            self.flow_job.route(self.node, message["handle"], message["output"], options)
        elif type_ == "BlockOutputs":
            outputs = message["outputs"]
            self.reporter.outputs(outputs)
            for handle, value in outputs.items():
                self.flow_job.route(self.node, handle, value)
        elif type_ == "BlockProgress":
            self.reporter.progress(message["progress"])
            self.flow_job.node_progress(self.node.node_id, message["progress"])
        elif type_ == "BlockPreview":
            self.reporter.preview(message["payload"])
            forward = self.flow_job.forward_preview
            if forward is not None and self.node.node_id in self.flow_job.graph.flow.forward_previews:
                forward(message["payload"], self.node.node_id)
        elif type_ == "BlockSecrets":
            self.reporter.hide(message["values"])
        else:
            fields = _PASSTHROUGH.get(type_)
            if fields is not None:
                self.reporter.publish(type_, **{f: message.get(f) for f in fields})

    async def on_request(self, message: dict[str, Any]) -> Any:
        return await answer_request(self.flow_job, self.node, self.reporter, message)


def build_job(flow_job: FlowJob, node: GraphNode, block: TaskBlock, job_id: str,
              stacks: list[dict[str, str]], inputs: dict[str, Any]) -> Job:
    session = flow_job.session
    flow = flow_job.graph.flow
    tmp_dir = session.tmp_dir(flow)
    package = block.package or flow.package
    package_name = package.dir.name if package else "workspace"
    inputs_def = {h: s.definition.wire() for h, s in node.inputs.items()}
    for handle, slot in node.inputs.items():
        if slot.serialize_for_cache:
            inputs_def[handle]["_deserialize_from_cache"] = True
    outputs_def = {h: d.wire() for h, d in node.outputs_def.items()}
    for handle, targets in node.targets.items():
        if handle in outputs_def and any(
                isinstance(t, NodeTarget) and t.handle in flow_job.graph.nodes[t.node_id].inputs
                and flow_job.graph.nodes[t.node_id].inputs[t.handle].serialize_for_cache
                for t in targets):
            outputs_def[handle]["_serialize_for_cache"] = True
    patch = {item.handle: list(item.schema_overrides)
             for item in getattr(node.node, "inputs_from", ()) if item.schema_overrides}
    return Job(
        job_id=job_id, session_id=session.session_id, stacks=stacks, node_id=node.node_id,
        dir=str(block.dir), entry=block.entry, function=block.function or "main",
        source=block.source, inputs=inputs,
        inputs_def=inputs_def, outputs_def=outputs_def,
        secrets_file=session.secrets_file, inputs_def_patch=patch or None,
        session_dir=str(session.session_dir), tmp_dir=str(tmp_dir),
        tmp_pkg_dir=str(tmp_dir / package_name), package_name=package_name,
        block_path=str(block.path) if block.path else None,
        pkg_dir=str(session.pkg_data_dir(package)),
        package_dir=str(package.dir) if package else None,
        env=session.env, masks=sorted(session.bus.redactor.values) or None,
        spawn_key=f"{flow.path}#{node.node_id}" if block.spawn else None,
    )


async def run_task(flow_job: FlowJob, node: GraphNode, inputs: dict[str, Any]
                   ) -> tuple[str, str | None]:
    session = flow_job.session
    block = node.block
    assert isinstance(block, TaskBlock)
    job_id = session.new_job_id()
    stacks = _stacks_for(flow_job, node.node_id)
    reporter = session.reporter.block(job_id, str(block.path) if block.path else None, stacks)
    job = build_job(flow_job, node, block, job_id, stacks, inputs)
    handler = NodeJobHandler(flow_job, node, reporter)
    # The node cache (runtime/cache.py): a hit replays the recorded outputs and ends here.
    memo = (session.node_cache.open(job, block)
            if session.node_cache is not None and block.executor == "python" else None)
    if memo is None:
        reporter.started(inputs)
    elif memo.start(handler, inputs):
        return "done", None
    warn_mismatches(node, inputs, reporter)
    if block.executor != "python":
        error = (f"oocana-local runs python blocks only; node {node.node_id} uses the "
                 f"{block.executor!r} executor")
        reporter.finished(error=error, status="failed")
        return "failed", error
    runner = session.executor.run(job, handler if memo is None else memo.wrap(handler))
    try:
        if node.timeout:
            outcome = await asyncio.wait_for(runner, node.timeout)
        else:
            outcome = await runner
    except asyncio.TimeoutError:
        error = timeout_error(node)
        reporter.error(f"{job_id} timeout after {node.timeout}s")
        reporter.finished(error=error, status="timeout")
        return "timeout", error
    except asyncio.CancelledError:
        reporter.finished(error="Cancelled", status="cancelled")
        raise
    if outcome.status == "done":
        reporter.finished(result=outcome.result)
        if memo is not None:
            memo.save(outcome.result)
        if outcome.result:
            for handle, value in outcome.result.items():
                flow_job.route(node, handle, value)
        return "done", None
    reporter.finished(error=outcome.error, status=outcome.status)
    return outcome.status, outcome.error or outcome.status


async def run_subflow(flow_job: FlowJob, node: GraphNode, inputs: dict[str, Any]
                      ) -> tuple[str, str | None]:
    from .flow_job import FlowJob

    session = flow_job.session
    flow = node.block
    assert isinstance(flow, Flow)
    job_id = session.new_job_id()
    stacks = _stacks_for(flow_job, node.node_id)
    reporter = session.reporter.flow(job_id, str(flow.path), stacks)

    def on_output(handle: str, value: Any) -> None:
        flow_job.route(node, handle, value)

    def forward_preview(payload: dict[str, Any], inner_node_id: str) -> None:
        session.reporter.block(job_id, str(flow.path), stacks).preview(payload, inner_node_id)
        if flow_job.forward_preview is not None and node.node_id in flow_job.graph.flow.forward_previews:
            flow_job.forward_preview(payload, node.node_id)

    sub = FlowJob(session, session.graph(flow), job_id=job_id, stacks=stacks,
                  reporter=reporter, inputs=inputs, on_output=on_output,
                  forward_preview=forward_preview)
    failure = await sub.run()
    if failure is not None:
        return failure.status if failure.status != "cancelled" else "failed", failure.describe()
    return "done", None


def run_condition(flow_job: FlowJob, node: GraphNode, inputs: dict[str, Any]
                  ) -> tuple[str, str | None]:
    session = flow_job.session
    condition = node.node
    assert isinstance(condition, ConditionNode)
    job_id = session.new_job_id()
    reporter = session.reporter.block(job_id, None, _stacks_for(flow_job, node.node_id))
    reporter.started(inputs)
    try:
        result = evaluate(condition, inputs)
    except ValueError as exc:
        reporter.finished(error=str(exc), status="failed")
        return "failed", str(exc)
    reporter.finished(result=result)
    if result:
        for handle, value in result.items():
            flow_job.route(node, handle, value)
    return "done", None
