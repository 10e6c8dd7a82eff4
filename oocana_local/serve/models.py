"""Pydantic models of every request and response, so ``/docs`` documents the API.

Field names are the protocols' own (camelCase or snake_case as each client reads them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# -- OOMOL Connect -----------------------------------------------------------------------

ConnectStatus = Literal["created", "pending", "running", "completed", "failed", "stopped"]


class HandleValue(BaseModel):
    handle: str
    value: Any = None


class NodeInputs(BaseModel):
    nodeId: str
    inputs: list[HandleValue]


class CreateTaskRequest(BaseModel):
    """JSON, or a multipart form with the same fields plus ``files`` parts."""

    blockId: str | None = Field(None, description="`<package>::<block>` or a flow name")
    manifest: str | None = Field(None, description="the same, as older clients send it")
    inputValues: dict[str, Any] | list[NodeInputs] | list[HandleValue] | None = None


class ConnectTask(BaseModel):
    id: str
    status: ConnectStatus
    project_id: str
    manifest_path: str
    inputValues: list[NodeInputs]
    created_at: int
    updated_at: int
    progress: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None


class TaskEnvelope(ConnectTask):
    """The task at the top level (older clients) and under ``task`` (newer ones)."""

    success: bool = True
    userID: str = "local"
    task: ConnectTask


class TaskList(BaseModel):
    success: bool = True
    tasks: list[ConnectTask]


class TaskLog(BaseModel):
    id: int
    project_name: str
    session_id: str
    node_id: str | None
    manifest_path: str
    type: str
    event: dict[str, Any] | None
    created_at: int


class TaskLogs(BaseModel):
    success: bool = True
    logs: list[TaskLog]


class InputHandle(BaseModel):
    handle: str
    json_schema: Any = None
    value: Any = None
    nullable: bool | None = None
    description: str | None = None


class BlockInfo(BaseModel):
    package: str
    name: str
    path: str
    blockId: str
    description: str | None = None
    inputs: list[InputHandle] = []
    outputs: list[InputHandle] = []


class BlockList(BaseModel):
    success: bool = True
    blocks: list[BlockInfo]


class FlowNodeInputs(BaseModel):
    nodeId: str
    id: str
    inputs: list[InputHandle]


class FlowInfo(BaseModel):
    name: str
    path: str
    description: str | None = None
    inputs: list[FlowNodeInputs] = []


class FlowList(BaseModel):
    success: bool = True
    flows: list[FlowInfo]


class PackageInfoModel(BaseModel):
    name: str
    version: str | None = None
    path: str | None = None
    description: str | None = None


class PackageList(BaseModel):
    success: bool = True
    packages: list[PackageInfoModel]


class ConnectError(BaseModel):
    success: bool = False
    message: str
    error: str


# -- Sim ---------------------------------------------------------------------------------


class SimExecuteRequest(BaseModel):
    """``POST /api/v2/workflows/{id}/execute``; unknown keys are refused, as Sim does."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    input: dict[str, Any] | None = None
    async_: bool = Field(False, alias="async")
    stream: bool = False
    executionTimeoutSeconds: int | None = Field(None, ge=1, le=604800)
    selectedOutputs: list[str] | None = Field(None, max_length=100)
    includeThinking: bool = False
    includeToolCalls: bool = False
    includeFileBase64: bool | None = None
    base64MaxBytes: int | None = Field(None, le=10 * 1024 * 1024)


class SimRunError(BaseModel):
    message: str
    code: str
    blockId: str | None = None


class SimRun(BaseModel):
    runId: str
    workflowId: str
    status: Literal["queued", "running", "completed", "failed", "cancelled"]
    trigger: str = "api"
    output: Any = None
    error: SimRunError | None = None
    startedAt: str | None = None
    endedAt: str | None = None
    durationMs: int | None = None


class SimRunEnvelope(BaseModel):
    data: SimRun


class SimQueued(BaseModel):
    runId: str
    statusUrl: str


class SimQueuedEnvelope(BaseModel):
    data: SimQueued


class SimErrorBody(BaseModel):
    code: str
    message: str
    details: Any = None


class SimError(BaseModel):
    error: SimErrorBody


class LegacyResult(BaseModel):
    success: bool
    output: Any = None
    error: str | None = None
    logs: list[Any] = []
    metadata: dict[str, Any] = {}
    traceSpans: list[Any] = []
    totalDuration: int | None = None
    executionId: str


class LegacyQueued(BaseModel):
    success: bool = True
    taskId: str
    jobId: str
    executionId: str
    status: str = "queued"
    createdAt: str
    links: dict[str, str]
    statusUrl: str
    message: str = "Workflow execution queued"


class LegacyJob(BaseModel):
    success: bool = True
    taskId: str
    status: Literal["queued", "processing", "completed", "failed", "cancelled"]
    metadata: dict[str, Any]
    output: Any = None
    error: str | None = None


class WorkflowStatus(BaseModel):
    isDeployed: bool
    deployedAt: str | None
    needsRedeployment: bool = False


class LegacyError(BaseModel):
    error: str
    code: str


# -- AppBuilder --------------------------------------------------------------------------


class ComponentRequest(BaseModel):
    stream: bool = False
    parameters: dict[str, Any] = {}


class ComponentEvent(BaseModel):
    id: str
    status: Literal["preparing", "running", "error", "done"]
    name: str
    created_time: str


class ComponentContent(BaseModel):
    type: Literal["text", "json", "files"]
    name: str
    text: dict[str, Any]
    visible_scope: str = "all"
    event: ComponentEvent | None = None


class ComponentResponse(BaseModel):
    request_id: str
    conversation_id: str
    message_id: str
    status: Literal["running", "done", "error", "interrupt"]
    role: str = "tool"
    content: list[ComponentContent]
    is_completion: bool | None = None
    code: str | None = None
    message: str | None = None


# -- NGraphX -----------------------------------------------------------------------------


class ChatMessage(BaseModel):
    role: str
    content: Any = None


class FlowRunRequest(BaseModel):
    flow_id: str | None = None
    messages: list[ChatMessage] = []
    params: dict[str, Any] = {}


class FlowRunAnswer(BaseModel):
    data: list[str] = Field(description="the flow's outputs, as one JSON string")
    outputs: dict[str, Any]
