"""Baidu AppBuilder (``appbuilder-sdk``'s ``ComponentClient``): ``POST /v2/components/{id}``.

Clients reach it with ``GATEWAY_URL_V2=<server url>``. A component id names a served
flow or block; its user parameters (everything but ``_sys_*``) are the inputs. Answers
are ``RunResponse`` objects: HTTP 200 only, no null fields, a ``text`` dict per content
item (``{"info"}`` for strings, ``{"data": <JSON string>}`` otherwise).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from ..mainframe.jsonable import dumps
from ..mainframe.messages import now_ms
from . import models as m
from .http import ProtocolError, iso, json_response, sse, sse_response
from .runs import BadRequest, LiveRun, NotFound
from .state import ServerState
from .store import TaskRecord
from .streams import node_outputs

__all__ = ["appbuilder_router"]


def _error(status: int, code: str, message: str, request_id: str) -> ProtocolError:
    return ProtocolError(status, {"requestId": request_id, "code": code, "message": message},
                         {"X-Appbuilder-Request-Id": request_id})


def appbuilder_router(state: ServerState) -> APIRouter:
    router = APIRouter(tags=["AppBuilder"])
    runs = state.runs

    async def run_component(request: Request, component_id: str) -> Response:
        request_id = request.headers.get("x-appbuilder-request-id") or str(uuid.uuid4())
        request_id = request_id[:100]
        if not state.token.bearer(request.headers.get("authorization")):
            raise _error(401, "Unauthorized", "a valid token is required "
                                              "(Authorization: Bearer <token>)", request_id)
        try:
            body = m.ComponentRequest.model_validate_json(await request.body() or b"{}")
        except ValidationError as exc:
            raise _error(400, "InvalidParameter", str(exc), request_id) from None
        params = body.parameters
        inputs = {k: v for k, v in params.items() if not k.startswith("_sys_")}
        try:
            entry, target = runs.resolve(component_id)
            query = params.get("_sys_origin_query")
            if "query" in target.inputs_def and "query" not in inputs and query is not None:
                inputs["query"] = query  # the user's question, when the flow asks for one
            run = runs.submit(entry, target, protocol="appbuilder", inputs=inputs)
        except NotFound as exc:
            raise _error(404, "NotFound", str(exc), request_id) from None
        except BadRequest as exc:
            raise _error(400, "InvalidParameter", str(exc), request_id) from None
        conversation = params.get("_sys_conversation_id")
        base = {"request_id": request_id, "message_id": run.record.id,
                "conversation_id": conversation if isinstance(conversation, str)
                else run.record.session_id}
        headers = {"X-Appbuilder-Request-Id": request_id}
        if body.stream:
            return sse_response(_stream(run, run.listen(), base, component_id, runs.wait),
                                headers)
        record = await runs.wait(run)
        return json_response(_final(record, base, component_id), 200, headers)

    responses: dict[int | str, dict[str, Any]] = {
        200: {"model": m.ComponentResponse,
              "description": "the outputs, or text/event-stream when stream is true"}}
    for path in ("/v2/components/{component_id}",
                 "/v2/components/{component_id}/version/{version}"):
        router.add_api_route(
            path, run_component, methods=["POST"], responses=responses,
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/json": {"schema": m.ComponentRequest.model_json_schema()}}}},
            summary="Run a flow or block as a component")
    return router


def _content(name: str, value: Any, event: dict[str, Any] | None) -> dict[str, Any]:
    item: dict[str, Any]
    if isinstance(value, str):
        item = {"type": "text", "name": name, "text": {"info": value}}
    else:
        item = {"type": "json", "name": name, "text": {"data": dumps(value)}}
    item["visible_scope"] = "all"
    if event is not None:
        item["event"] = event
    return item


def _event(component_id: str, node_id: str, status: str) -> dict[str, Any]:
    return {"id": node_id, "status": status, "name": f"/component/{component_id}/node/{node_id}",
            "created_time": iso(now_ms())}


def _final(record: TaskRecord, base: dict[str, Any], component_id: str) -> dict[str, Any]:
    if record.status == "completed":
        content = [_content(h, v, _event(component_id, "output", "done"))
                   for h, v in (record.outputs or {}).items()]
        return {**base, "status": "done", "role": "tool", "is_completion": True,
                "content": content}
    message = record.error or record.status
    return {**base, "status": "error", "role": "tool", "is_completion": True,
            "code": "BlockExecutionFailed" if record.status == "failed" else "Stopped",
            "message": message,
            "content": [_content("error", message, _event(component_id, "output", "error"))]}


async def _stream(run: LiveRun, queue: Any, base: dict[str, Any], component_id: str,
                  wait: Any) -> AsyncIterator[bytes]:
    """A ``running`` response per value a node sends, then the ``done`` (or ``error``) one
    with the outputs; the stream ends when the connection closes."""
    async for node_id, handle, value in node_outputs(queue):
        frame = {**base, "status": "running", "role": "tool",
                 "content": [_content(handle, value, _event(component_id, node_id,
                                                            "running"))]}
        yield sse(dumps(frame))
    record = await wait(run)
    yield sse(json.dumps(json.loads(dumps(_final(record, base, component_id)))))
