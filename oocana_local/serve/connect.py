"""OOMOL Connect (``oomol-connect-sdk``), mounted at ``/api``.

Task objects are sent in a union shape (fields at the top level and under ``task``) so
every SDK release reads them; terminal statuses are exactly completed, failed, stopped;
logs have increasing integer ids and end with one top-level ``BlockFinished`` whose
``result`` is the flow's outputs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..manifest.resolved import Flow, HandleDef
from . import models as m
from .bodies import BodyError, parse_form, save_upload, split_node_inputs
from .http import ProtocolError, json_response
from .runs import BadRequest, NotFound, file_inputs
from .state import ServerState
from .store import TaskRecord

__all__ = ["connect_router"]

_STATUS = {"queued": "pending", "running": "running", "completed": "completed",
           "failed": "failed", "stopped": "stopped"}


def _error(status: int, message: str) -> ProtocolError:
    return ProtocolError(status, {"success": False, "message": message, "error": message})


def connect_router(state: ServerState) -> APIRouter:
    def authorize(request: Request) -> None:
        headers = request.headers
        if not (state.token.bearer(headers.get("authorization"), raw_ok=True)
                or state.token.matches(headers.get("x-api-key"))
                or state.token.matches(headers.get("api-key"))):
            raise _error(401, "a valid token is required (Authorization: <token>)")

    router = APIRouter(prefix="/api", tags=["OOMOL Connect"])
    runs = state.runs

    @router.get("/v1/blocks", response_model=m.BlockList)
    async def list_blocks(request: Request) -> JSONResponse:
        authorize(request)
        blocks = []
        for entry in runs.catalog.blocks():
            try:
                _, block = runs.resolve(entry.name)
            except (NotFound, BadRequest):
                continue
            package, _, name = entry.name.partition("::")
            blocks.append({
                "package": package, "name": name, "blockId": entry.name,
                # The SDKs read a block's version from its path.
                "path": f"/packages/{package}/{entry.version or '0.0.0'}/blocks/{name}",
                "description": block.description,
                "inputs": _handles(block.inputs_def), "outputs": _handles(block.outputs_def)})
        return json_response({"success": True, "blocks": blocks})

    @router.get("/v1/flows", response_model=m.FlowList)
    async def list_flows(request: Request) -> JSONResponse:
        authorize(request)
        flows = []
        for entry in runs.catalog.flows():
            try:
                _, flow = runs.resolve(entry.name)
            except (NotFound, BadRequest):
                continue
            nodes = [{"nodeId": "_", "id": "_", "inputs": _handles(flow.inputs_def)}]
            if isinstance(flow, Flow):
                for node in flow.nodes:
                    block = getattr(node, "block", None)
                    defs = getattr(block, "inputs_def", None) or {}
                    nodes.append({"nodeId": node.node_id, "id": node.node_id,
                                  "inputs": _handles(defs)})
            flows.append({"name": entry.name, "path": f"/flows/{entry.name}",
                          "description": flow.description, "inputs": nodes})
        return json_response({"success": True, "flows": flows})

    @router.get("/packages", response_model=m.PackageList)
    async def list_packages(request: Request) -> JSONResponse:
        authorize(request)
        packages = [{"name": name, "version": version,
                     "path": f"/packages/{name}/{version or '0.0.0'}"}
                    for name, (version, _) in sorted(runs.catalog.packages().items())]
        return json_response({"success": True, "packages": packages})

    @router.post("/packages/install", response_model=m.ConnectError, status_code=501)
    async def install_package(request: Request) -> JSONResponse:
        authorize(request)
        raise _error(501, "oocana-local serve runs the packages under its paths; "
                          "it does not install packages")

    @router.get("/v1/tasks", response_model=m.TaskList)
    async def list_tasks(request: Request, limit: int = 100, offset: int = 0) -> JSONResponse:
        authorize(request)
        records = runs.store.recent(limit=max(1, min(limit, 1000)), offset=max(0, offset))
        return json_response({"success": True, "tasks": [_task(r) for r in records]})

    @router.post("/v1/tasks", response_model=m.TaskEnvelope, openapi_extra={
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": m.CreateTaskRequest.model_json_schema(
                ref_template="#/components/schemas/{model}")},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "blockId": {"type": "string"}, "manifest": {"type": "string"},
                "inputValues": {"type": "string", "description": "JSON"},
                "files": {"type": "array", "items": {"type": "string",
                                                     "format": "binary"}}}}}}}})
    async def create_task(request: Request) -> JSONResponse:
        authorize(request)
        try:
            form = parse_form(await request.body(), request.headers.get("content-type", ""))
        except BodyError as exc:
            raise _error(400, str(exc)) from None
        name = form.fields.get("blockId") or form.fields.get("manifest")
        if not isinstance(name, str) or not name:
            raise _error(400, "blockId (or manifest) is required")
        try:
            entry, target = runs.resolve(name)
            inputs, nodes_inputs = split_node_inputs(form.fields.get("inputValues"), name)
            task_id = runs.new_task_id()
            if form.files:
                _fill_files(inputs, file_inputs(target), [
                    str(save_upload(runs.task_dir(task_id) / "uploads", f.filename, f.data))
                    for f in form.files])
            run = runs.submit(entry, target, protocol="connect", inputs=inputs,
                              nodes_inputs=nodes_inputs or None, task_id=task_id)
        except NotFound as exc:
            raise _error(404, str(exc)) from None
        except (BadRequest, BodyError) as exc:
            raise _error(400, str(exc)) from None
        return json_response(_envelope(run.record))

    @router.get("/v1/tasks/{task_id}", response_model=m.TaskEnvelope)
    async def get_task(request: Request, task_id: str) -> JSONResponse:
        authorize(request)
        return json_response(_envelope(_record(task_id)))

    @router.post("/v1/tasks/{task_id}/stop", response_model=m.TaskEnvelope)
    async def stop_task(request: Request, task_id: str) -> JSONResponse:
        authorize(request)
        try:
            record = runs.stop(task_id)
        except NotFound as exc:
            raise _error(404, str(exc)) from None
        return json_response(_envelope(record))

    @router.get("/v1/tasks/{task_id}/logs", response_model=m.TaskLogs)
    async def get_logs(request: Request, task_id: str, after: int = 0) -> JSONResponse:
        authorize(request)
        record = _record(task_id)
        logs = [{"id": e.seq, "project_name": "oocana-local", "session_id": record.session_id,
                 "node_id": e.node_id, "manifest_path": record.target, "type": e.type,
                 "event": e.event, "created_at": e.created_at}
                for e in runs.store.events(task_id, after=after)]
        return json_response({"success": True, "logs": logs})

    def _record(task_id: str) -> TaskRecord:
        record = runs.get(task_id)
        if record is None:
            raise _error(404, "no such task")
        return record

    return router


def _handles(defs: dict[str, HandleDef]) -> list[dict[str, Any]]:
    out = []
    for handle, definition in defs.items():
        item: dict[str, Any] = {"handle": handle, "json_schema": definition.json_schema,
                                "nullable": definition.nullable,
                                "description": definition.description}
        if definition.has_value():
            item["value"] = definition.value
        out.append(item)
    return out


def _fill_files(inputs: dict[str, Any], targets: list[tuple[str, bool]],
                paths: list[str]) -> None:
    """Uploads fill the file inputs in order; a list input takes all that remain."""
    if not targets:
        raise BadRequest("files were uploaded but no input takes a file "
                         "(an input whose json_schema has ui:widget: file)")
    remaining = list(paths)
    for handle, takes_list in targets:
        if not remaining:
            break
        if takes_list:
            inputs[handle], remaining = remaining, []
        else:
            inputs[handle] = remaining.pop(0)
    if remaining:
        raise BadRequest(f"{len(paths)} files were uploaded but the file inputs take "
                         f"{len(paths) - len(remaining)}")


def _task(record: TaskRecord) -> dict[str, Any]:
    values = [{"nodeId": "_", "inputs": [{"handle": h, "value": v}
                                        for h, v in record.inputs.items()]}]
    values += [{"nodeId": node, "inputs": [{"handle": h, "value": v}
                                           for h, v in handles.items()]}
               for node, handles in (record.nodes_inputs or {}).items()]
    return {"id": record.id, "status": _STATUS[record.status], "project_id": "oocana-local",
            "manifest_path": record.target, "inputValues": values,
            "created_at": record.created_at, "updated_at": record.updated_at or
            record.created_at, "progress": record.progress, "result": record.outputs
            if record.status == "completed" else None, "error": record.error}


def _envelope(record: TaskRecord) -> dict[str, Any]:
    task = _task(record)
    return {"success": True, "userID": "local", **task, "task": task}
