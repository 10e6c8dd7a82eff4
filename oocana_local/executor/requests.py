"""Answers to a running block's ``BlockRequest``, the same for every kind of worker.

The executor parses the request (``wire/requests.py``), calls the typed method of the
job's handler and turns what it returns (or raises) into the ``response`` message the
worker waits for.
"""

from __future__ import annotations

from typing import Any

from ..wire import names
from ..wire.requests import EventSink, RunBlockRequest
from .base import JobHandler

__all__ = ["answer_request"]


async def answer_request(handler: JobHandler, message: dict[str, Any],
                         events: EventSink) -> dict[str, Any]:
    """The ``response`` for ``message``; ``events`` receives the events of a job that a
    ``RunBlock`` request starts."""
    request_id = message.get("request_id")
    action = message.get("action")
    try:
        if action == names.RUN_BLOCK:
            await handler.run_block(RunBlockRequest.from_message(message), events)
            result: Any = None
        elif action == names.QUERY_BLOCK:
            result = await handler.query_block(str(message.get("block") or ""))
        elif action == names.QUERY_DOWNSTREAM:
            handles = message.get("handles")
            result = await handler.query_downstream(
                [str(h) for h in handles] if isinstance(handles, list) else None)
        else:
            raise ValueError(f"oocana-local does not support the {action!r} request yet")
    except Exception as exc:  # (not a cancel: ``CancelledError`` is no ``Exception``)
        return {"type": names.RESPONSE, "request_id": request_id,
                "error": str(exc) or type(exc).__name__}
    return {"type": names.RESPONSE, "request_id": request_id, "result": result}
