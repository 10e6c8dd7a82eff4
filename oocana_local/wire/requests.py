"""What a running block asks of the engine (``BlockRequest``), parsed once.

``RunBlockRequest`` is ``context.run_block(...)``; the other two actions carry one
argument each (``QueryBlock``: ``block``; ``QueryDownstream``: ``handles``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RunBlockRequest", "EventSink"]

EventSink = Callable[[dict[str, Any]], None]
"""Receives the events of a job started by ``run_block``, in order, for its caller."""


@dataclass(slots=True)
class RunBlockRequest:
    block: str
    inputs: dict[str, Any]
    job_id: str | None = None
    """The id the caller chose for the job it starts."""
    stacks: list[dict[str, str]] = field(default_factory=list)
    strict: bool = False
    additional_inputs_def: list[dict[str, Any]] = field(default_factory=list)
    additional_outputs_def: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> RunBlockRequest:
        """Raises ``ValueError`` for a request no block could have meant."""
        payload = message.get("payload") or {}
        inputs = payload.get("inputs") or {}
        if not isinstance(inputs, dict):
            raise ValueError("run_block inputs must be a dict")
        return cls(
            block=str(message.get("block") or ""), inputs=inputs,
            job_id=str(message["block_job_id"]) if message.get("block_job_id") else None,
            stacks=list(message.get("stacks") or ()), strict=bool(message.get("strict")),
            additional_inputs_def=[d for d in payload.get("additional_inputs_def") or ()
                                   if isinstance(d, dict)],
            additional_outputs_def=[d for d in payload.get("additional_outputs_def") or ()
                                    if isinstance(d, dict)],
        )
