"""The typed dicts and aliases that ``oocana`` exports, for annotations in blocks."""

from __future__ import annotations

from typing import Any, Literal, TypedDict, Union

__all__ = ["ToNode", "ToFlow", "HandleDefDict", "QueryBlockResponse", "FlowDownstream",
           "NodeDownstream", "Downstream", "OOMOL_LLM_ENV", "HostInfo", "BlockInfo",
           "TablePreviewData", "TablePreviewPayload", "TextPreviewPayload",
           "JSONPreviewPayload", "ImagePreviewPayload", "MediaPreviewPayload",
           "CsvPreviewPayload", "DefaultPreviewPayload", "PreviewPayload",
           "CompressionOptions"]


class ToNode(TypedDict):
    node_id: str
    input_handle: str


class ToFlow(TypedDict):
    output_handle: str


class HandleDefDict(TypedDict, total=False):
    handle: str
    description: str | None
    json_schema: dict[str, Any] | None
    kind: str | None
    nullable: bool | None
    is_additional: bool


class QueryBlockResponse(TypedDict, total=False):
    type: Literal["task", "subflow"]
    description: str | None
    inputs_def: dict[str, Any] | None
    outputs_def: dict[str, Any] | None
    additional_inputs: bool
    additional_outputs: bool


class FlowDownstream(TypedDict):
    output_handle: str
    output_handle_def: HandleDefDict | None


class NodeDownstream(TypedDict):
    node_id: str
    description: str | None
    input_handle: str
    input_handle_def: HandleDefDict | None


class Downstream(TypedDict):
    to_flow: list[FlowDownstream]
    to_node: list[NodeDownstream]


class OOMOL_LLM_ENV(TypedDict):
    base_url: str
    base_url_v1: str
    api_key: str
    models: list[str]


class HostInfo(TypedDict):
    gpu_vendor: str
    gpu_renderer: str


class BlockInfo(TypedDict, total=False):
    session_id: str
    job_id: str
    stacks: list[dict[str, str]]
    block_path: str


class TablePreviewData(TypedDict, total=False):
    columns: list[str | int | float]
    rows: list[list[str | int | float | bool]]
    row_count: int | None


class TablePreviewPayload(TypedDict):
    type: Literal["table"]
    data: TablePreviewData | Any


class TextPreviewPayload(TypedDict):
    type: Literal["text"]
    data: Any


class JSONPreviewPayload(TypedDict):
    type: Literal["json"]
    data: Any


class ImagePreviewPayload(TypedDict):
    type: Literal["image"]
    data: str | list[str]


class MediaPreviewPayload(TypedDict):
    type: Literal["image", "video", "audio", "markdown", "iframe", "html"]
    data: str


class CsvPreviewPayload(TypedDict):
    type: Literal["csv"]
    data: str


class DefaultPreviewPayload(TypedDict):
    type: str
    data: Any


PreviewPayload = Union[  # noqa: UP007  (a runtime alias: `|` needs 3.10 types, not strings)
    TablePreviewPayload, TextPreviewPayload, JSONPreviewPayload, ImagePreviewPayload,
    MediaPreviewPayload, CsvPreviewPayload, DefaultPreviewPayload, Any]


class CompressionOptions(TypedDict, total=False):
    method: Literal["zip", "gzip", "bz2", "zstd", "xz", "tar"] | None
