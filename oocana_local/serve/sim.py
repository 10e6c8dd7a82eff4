"""Sim (``simstudio-sdk``): the v2 routes and the legacy ones, on the server's root.

v2 errors are nested (``{"error": {"code", "message"}}``), legacy ones flat
(``{"error", "code"}``); rate-limit headers are plain integers; a workflow id names a
served flow.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from ..mainframe.jsonable import dumps
from . import models as m
from .bodies import BodyError, decode_data_url, save_upload
from .http import ProtocolError, iso, json_response, sse, sse_response
from .runs import TIMED_OUT_MESSAGE, BadRequest, LiveRun, NotFound, RunManager
from .state import ServerState
from .store import TaskRecord
from .streams import node_outputs

__all__ = ["sim_router", "USAGE_LIMIT"]

_LIMIT = 1_000_000
USAGE_LIMIT = 1_000_000
"""``usage.limit`` of ``/api/users/me/usage-limits`` (Sim: dollars per billing period)."""
_V2_STATUS = {"queued": "queued", "running": "running", "completed": "completed",
              "failed": "failed", "stopped": "cancelled"}
_JOB_STATUS = {"queued": "queued", "running": "processing", "completed": "completed",
               "failed": "failed", "stopped": "cancelled"}
_V2_CODES = {400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 409: "CONFLICT",
             413: "PAYLOAD_TOO_LARGE"}
_RESERVED_LEGACY_KEYS = ("stream", "selectedOutputs", "async")


def _rate_headers() -> dict[str, str]:
    # Integers everywhere: simstudio-sdk 0.1.x int()s the reset time unguarded.
    return {"X-RateLimit-Limit": str(_LIMIT), "X-RateLimit-Remaining": str(_LIMIT),
            "X-RateLimit-Reset": str(int(time.time()) + 60)}


def _v2_error(status: int, message: str, details: Any = None) -> ProtocolError:
    body: dict[str, Any] = {"code": _V2_CODES.get(status, "INTERNAL_ERROR"),
                            "message": message}
    if details is not None:
        body["details"] = details
    headers = {"Cache-Control": "private, no-store", **_rate_headers()}
    if status == 401:
        headers["WWW-Authenticate"] = 'SimApiKey realm="Sim API", header="x-api-key"'
    return ProtocolError(status, {"error": body}, headers)


def _legacy_error(status: int, message: str, code: str) -> ProtocolError:
    return ProtocolError(status, {"error": message, "code": code}, _rate_headers())


def sim_router(state: ServerState) -> APIRouter:
    router = APIRouter(tags=["Sim"])
    runs = state.runs

    def authorize(request: Request, v2: bool) -> None:
        if not state.token.matches(request.headers.get("x-api-key")):
            message = "a valid API key is required (X-API-Key)"
            raise _v2_error(401, message) if v2 else _legacy_error(401, message,
                                                                    "UNAUTHORIZED")

    def submit(workflow_id: str, inputs: dict[str, Any], v2: bool) -> LiveRun:
        try:
            entry, target = runs.resolve(workflow_id)
            if entry.kind != "flow":
                raise NotFound("no flow of that name is served here")
            task_id = runs.new_task_id()
            inputs = _files_to_paths(runs, task_id, inputs)
            return runs.submit(entry, target, protocol="sim", inputs=inputs, task_id=task_id)
        except NotFound:
            raise (_v2_error(404, "Workflow not found") if v2 else
                   _legacy_error(404, "Workflow not found", "WORKFLOW_NOT_FOUND")) from None
        except (BadRequest, BodyError) as exc:
            raise (_v2_error(400, str(exc)) if v2 else
                   _legacy_error(400, str(exc), "INVALID_INPUT")) from None

    @router.post("/api/v2/workflows/{workflow_id}/execute",
                 response_model=m.SimRunEnvelope, responses={
                     202: {"model": m.SimQueuedEnvelope},
                     400: {"model": m.SimError}, 404: {"model": m.SimError}},
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": m.SimExecuteRequest.model_json_schema()}
                 }}})
    async def execute_v2(request: Request, workflow_id: str) -> Response:
        authorize(request, v2=True)
        try:
            body = m.SimExecuteRequest.model_validate(await _json(request))
        except ValidationError as exc:
            raise _v2_error(400, "Invalid request body",
                            json.loads(exc.json(include_url=False))) from None
        except ValueError as exc:
            raise _v2_error(400, str(exc)) from None
        if body.async_ and (body.stream or body.selectedOutputs):
            raise _v2_error(400, "async cannot be combined with stream or selectedOutputs")
        run = submit(workflow_id, body.input or {}, v2=True)
        headers = {"X-Run-Id": run.record.id, **_rate_headers()}
        if body.stream:
            return sse_response(_stream(run, run.listen(), body.selectedOutputs or [], runs),
                                headers)
        if body.async_:
            if body.executionTimeoutSeconds:
                _stop_after(runs, run, body.executionTimeoutSeconds)
            status_url = str(request.url_for("get_run", workflow_id=workflow_id,
                                             run_id=run.record.id))
            return json_response({"data": {"runId": run.record.id, "statusUrl": status_url}},
                                 202, headers)
        record = await runs.wait(run)
        return json_response({"data": _v2_run(record, True)}, 200, headers)

    @router.get("/api/v2/workflows/{workflow_id}/runs/{run_id}", name="get_run",
                response_model=m.SimRunEnvelope, responses={404: {"model": m.SimError}})
    async def get_run(request: Request, workflow_id: str, run_id: str,
                      includeOutput: str = "false", selectedOutputs: str = "") -> JSONResponse:
        authorize(request, v2=True)
        record = runs.get(run_id)
        if record is None or record.target != workflow_id:
            raise _v2_error(404, "Run not found")
        return json_response({"data": _v2_run(record, includeOutput.lower() == "true")},
                             200, {"X-Run-Id": run_id, **_rate_headers()})

    @router.post("/api/v2/workflows/{workflow_id}/runs/{run_id}/cancel",
                 response_model=m.SimRunEnvelope, responses={404: {"model": m.SimError}})
    async def cancel_run(request: Request, workflow_id: str, run_id: str) -> JSONResponse:
        authorize(request, v2=True)
        record = runs.get(run_id)
        if record is None or record.target != workflow_id:
            raise _v2_error(404, "Run not found")
        record = runs.stop(run_id)
        return json_response({"data": _v2_run(record, False)}, 200, _rate_headers())

    # -- legacy routes (simstudio-sdk 0.1.x; get_job_status in 0.2.x) --------------------

    @router.post("/api/workflows/{workflow_id}/execute", response_model=m.LegacyResult,
                 responses={202: {"model": m.LegacyQueued}, 404: {"model": m.LegacyError}})
    async def execute_legacy(request: Request, workflow_id: str) -> Response:
        authorize(request, v2=False)
        try:
            body = await _json(request)
        except ValueError as exc:
            raise _legacy_error(400, str(exc), "INVALID_INPUT") from None
        inputs = {k: v for k, v in body.items() if k not in _RESERVED_LEGACY_KEYS}
        selected = body.get("selectedOutputs") or []
        run = submit(workflow_id, inputs, v2=False)
        headers = {"X-Run-Id": run.record.id, **_rate_headers()}
        if body.get("stream"):
            return sse_response(_stream(run, run.listen(), selected, runs), headers)
        if request.headers.get("x-execution-mode", "").lower() == "async":
            record = run.record
            link = f"/api/jobs/{record.id}"
            return json_response({
                "success": True, "async": True, "taskId": record.id, "jobId": record.id,
                "executionId": record.id, "status": "queued",
                "createdAt": iso(record.created_at), "links": {"status": link},
                "statusUrl": str(request.base_url).rstrip("/") + link,
                "message": "Workflow execution queued"}, 202, headers)
        record = await runs.wait(run)
        return json_response(_legacy_result(record), 200, headers)

    @router.get("/api/jobs/{job_id}", response_model=m.LegacyJob,
                responses={404: {"model": m.LegacyError}})
    async def get_job(request: Request, job_id: str) -> JSONResponse:
        authorize(request, v2=False)
        record = runs.get(job_id)
        if record is None:
            raise _legacy_error(404, "Task not found", "TASK_NOT_FOUND")
        body: dict[str, Any] = {
            "success": True, "taskId": record.id, "status": _JOB_STATUS[record.status],
            "metadata": {"startedAt": iso(record.started_at),
                         "completedAt": iso(record.finished_at),
                         "duration": _duration(record)}}
        if record.status == "completed":
            body["output"] = record.outputs
        if record.error is not None:
            body["error"] = record.error
        return json_response(body, 200, _rate_headers())

    @router.get("/api/workflows/{workflow_id}/status", response_model=m.WorkflowStatus,
                responses={404: {"model": m.LegacyError}})
    async def workflow_status(request: Request, workflow_id: str) -> JSONResponse:
        authorize(request, v2=False)
        entry = runs.catalog.get(workflow_id)
        if entry is None or entry.kind != "flow":
            raise _legacy_error(404, "Workflow not found", "WORKFLOW_NOT_FOUND")
        deployed = int(entry.manifest.stat().st_mtime * 1000)
        return json_response({"isDeployed": True, "deployedAt": iso(deployed),
                              "needsRedeployment": False}, 200, _rate_headers())

    @router.get("/api/users/me/usage-limits")
    async def usage_limits(request: Request) -> JSONResponse:
        authorize(request, v2=False)
        reset = iso(int(time.time() + 60) * 1000)
        limit = {"isLimited": False, "requestsPerMinute": _LIMIT, "maxBurst": _LIMIT,
                 "remaining": _LIMIT, "limit": _LIMIT, "resetAt": reset}
        return json_response({
            "success": True,
            "rateLimit": {"sync": limit, "async": dict(limit), "authType": "api"},
            # Local runs cost nothing and have no spending limit; the limit is positive so
            # that Sim's documented `currentPeriodCost / limit` is 0 %, not a division by 0.
            "usage": {"currentPeriodCost": 0, "limit": USAGE_LIMIT, "plan": "local"},
            "storage": runs.store.storage()},
            200, _rate_headers())

    return router


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ValueError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _files_to_paths(runs: RunManager, task_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """``{"type": "file", "data": "data:...;base64,..."}`` values become local file paths."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            if value.get("type") == "file" and isinstance(value.get("data"), str):
                _, data = decode_data_url(value["data"])
                name = value["name"] if isinstance(value.get("name"), str) else ""
                return str(save_upload(runs.task_dir(task_id) / "uploads", name, data))
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    return {k: convert(v) for k, v in inputs.items()}


def _duration(record: TaskRecord) -> int | None:
    if record.finished_at is None:
        return None
    return record.finished_at - (record.started_at or record.created_at)


def _v2_run(record: TaskRecord, include_output: bool) -> dict[str, Any]:
    error = None
    if record.status == "failed":
        timed_out = (record.error or "").startswith(TIMED_OUT_MESSAGE)
        error = {"message": record.error or "failed",
                 "code": "TIMEOUT" if timed_out else "BLOCK_EXECUTION_FAILED"}
    elif record.status == "stopped":
        error = {"message": record.error or "Cancelled", "code": "CANCELLED"}
    return {"runId": record.id, "workflowId": record.target,
            "status": _V2_STATUS[record.status], "trigger": "api",
            "startedAt": iso(record.started_at), "endedAt": iso(record.finished_at),
            "durationMs": _duration(record), "paused": None, "cost": None, "error": error,
            "output": record.outputs if include_output and record.status == "completed"
            else None, "blockOutputs": None}


def _legacy_result(record: TaskRecord) -> dict[str, Any]:
    return {"success": record.status == "completed", "output": record.outputs or {},
            "error": record.error, "logs": [], "executionId": record.id,
            "metadata": {"duration": _duration(record), "startTime": iso(record.started_at),
                         "endTime": iso(record.finished_at), "executionId": record.id},
            "traceSpans": [], "totalDuration": _duration(record)}


async def _stream(run: LiveRun, queue: asyncio.Queue[dict[str, Any] | None],
                  selected: list[str], runs: RunManager) -> AsyncIterator[bytes]:
    """``{"blockId", "chunk"}`` for each selected ``<node>.<handle>`` as it is sent, then
    the final frame and ``"[DONE]"``. A client that goes away stops the run."""
    wanted = {tuple(s.split(".", 1)) for s in selected if "." in s}
    wanted_nodes = {s for s in selected if "." not in s}
    try:
        async for node_id, handle, value in node_outputs(queue):
            if (node_id, handle) in wanted or node_id in wanted_nodes:
                chunk = value if isinstance(value, str) else json.dumps(
                    json.loads(dumps(value)), indent=2)
                yield sse(dumps({"blockId": node_id, "chunk": chunk}))
        record = await runs.wait(run)
        final: dict[str, Any] = {"success": record.status == "completed",
                                 "output": record.outputs or {}}
        if record.error is not None:
            final["error"] = record.error
        yield sse(dumps({"event": "final", "data": final}))
        yield sse(json.dumps("[DONE]"))
    finally:
        if not run.finished.is_set():
            runs.stop(run.record.id)


def _stop_after(runs: RunManager, run: LiveRun, seconds: int) -> None:
    def stop() -> None:
        if not run.finished.is_set():
            runs.stop(run.record.id, timed_out=seconds)

    asyncio.get_running_loop().call_later(seconds, stop)
