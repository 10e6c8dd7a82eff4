"""NGraphX flow runs: ``POST /share/api/v1/graphx/flow/run``.

``Accept: text/event-stream`` streams: each text a node sends is one message, and the
last is ``@__Result__: <the batch answer>``. Otherwise the batch answer ``{"data":
[<the outputs as a JSON string>], "outputs": {...}}``. A failure is an HTTP error with
the block's message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from ..mainframe.jsonable import dumps
from . import models as m
from .http import ProtocolError, json_response, sse, sse_response
from .runs import BadRequest, LiveRun, NotFound, RunManager
from .state import ServerState
from .store import TaskRecord
from .streams import node_outputs

__all__ = ["ngraphx_router"]

RESULT_PREFIX = "@__Result__: "


def _error(status: int, message: str) -> ProtocolError:
    return ProtocolError(status, {"code": status, "message": message, "error": message})


def ngraphx_router(state: ServerState) -> APIRouter:
    router = APIRouter(tags=["NGraphX"])
    runs = state.runs

    @router.post("/share/api/v1/graphx/flow/run", response_model=m.FlowRunAnswer,
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": m.FlowRunRequest.model_json_schema()}}}})
    async def flow_run(request: Request, share: str | None = None) -> Response:
        if not state.token.bearer(request.headers.get("authorization")):
            raise _error(401, "a valid token is required (Authorization: Bearer <token>)")
        try:
            body = m.FlowRunRequest.model_validate_json(await request.body() or b"{}")
        except ValidationError as exc:
            raise _error(400, str(exc)) from None
        flow_id = body.flow_id or share
        if not flow_id:
            raise _error(400, "flow_id is required")
        try:
            entry, target = runs.resolve(flow_id)
            if entry.kind != "flow":
                raise NotFound("no flow of that name is served here")
            inputs = dict(body.params)
            if "messages" in target.inputs_def and "messages" not in inputs:
                inputs["messages"] = [msg.model_dump() for msg in body.messages]
            run = runs.submit(entry, target, protocol="ngraphx", inputs=inputs)
        except NotFound as exc:
            raise _error(404, str(exc)) from None
        except BadRequest as exc:
            raise _error(400, str(exc)) from None
        if "text/event-stream" in request.headers.get("accept", ""):
            frames = _stream(run, run.listen(), runs)
            # Hold the status line until the first message: a run that fails before
            # saying anything still gets an HTTP error.
            first = await frames.__anext__()
            if run.finished.is_set() and run.record.status != "completed" \
                    and first.startswith(b"data: " + RESULT_PREFIX.encode()):
                await frames.aclose()
                raise _error(500 if run.record.status == "failed" else 409,
                             run.record.error or run.record.status)
            return sse_response(_prepend(first, frames))
        record = await runs.wait(run)
        if record.status != "completed":
            raise _error(500 if record.status == "failed" else 409,
                         record.error or record.status)
        return json_response(_answer(record))

    return router


def _answer(record: TaskRecord) -> dict[str, Any]:
    outputs = record.outputs or {}
    return {"data": [dumps(outputs)], "outputs": outputs}


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for frame in rest:
        yield frame


async def _stream(run: LiveRun, queue: Any, runs: RunManager) -> AsyncGenerator[bytes, None]:
    """Text messages as nodes send them, then the result; a client that goes away stops
    the run."""
    try:
        async for _node, _handle, value in node_outputs(queue):
            if isinstance(value, str):
                yield sse(value)
        record = await runs.wait(run)
        if record.status == "completed":
            yield sse(RESULT_PREFIX + dumps(_answer(record)))
        else:  # the status line is already sent: the error is the result
            yield sse(RESULT_PREFIX + json.dumps({"error": record.error or record.status}))
    finally:
        if not run.finished.is_set():
            runs.stop(run.record.id)
