"""``start_at``: the services a run will call that ask to be up before their first call.

A service with ``start_at: session_start`` (or ``app_start``, see
docs/slots-and-services.md) is started when a run that can call it begins: every service
block of the flow, its subflows and their slot providers is looked at, and the executor
gets one job per such service that names no block (``ServiceExecutor.prestart``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from ..manifest.resolved import Flow, SubflowNode, TaskBlock, TaskNode
from .session import Session
from .task_job import job_spec, session_fields

__all__ = ["prestart_services"]

_EARLY = ("session_start", "app_start")


def _service_blocks(flow: Flow, seen: set[int]) -> Iterator[tuple[Flow, TaskBlock]]:
    if id(flow) in seen:  # a subflow used twice (or, wrongly, by itself)
        return
    seen.add(id(flow))
    for node in flow.nodes:
        if isinstance(node, TaskNode) and node.block is not None and node.block.service:
            yield flow, node.block
        elif isinstance(node, SubflowNode):
            if node.flow is not None:
                yield from _service_blocks(node.flow, seen)
            for provider in node.providers.values():
                if isinstance(provider.block, Flow):
                    yield from _service_blocks(provider.block, seen)
                elif isinstance(provider.block, TaskBlock) and provider.block.service:
                    yield flow, provider.block


def prestart_services(session: Session, flow: Flow, executor: Any) -> int:
    """Ask ``executor`` to start the early services ``flow`` may call; how many."""
    started: set[str] = set()
    for owner, block in _service_blocks(flow, set()):
        service = block.service
        if service is None or service.start_at not in _EARLY or service.key in started:
            continue
        started.add(service.key)
        # No call: the worker only runs function(service).
        early = dataclasses.replace(block, service=dataclasses.replace(service, block=None))
        spec = job_spec(owner, early, node_id=f"service::{service.name}",
                        inputs_def={}, outputs_def={})
        executor.prestart(spec.job(session.new_job_id(), [], {},
                                   session=session_fields(session, owner, early)))
    return len(started)
