"""The typed dicts, aliases and protocols that ``oocana`` exports (``oocana.context``,
``oocana.preview``), for annotations in blocks: the keys, totality and unions of oocana
0.18.12."""

from __future__ import annotations

from typing import Any, Literal, Protocol, TypedDict, Union, runtime_checkable

__all__ = ["JobDict", "BlockDict", "ToNode", "ToFlow", "HandleDefDict", "QueryBlockResponse", "FlowDownstream",
           "NodeDownstream", "Downstream", "OOMOL_LLM_ENV", "HostInfo",
           "TablePreviewData", "TablePreviewPayload", "TextPreviewPayload",
           "JSONPreviewPayload", "ImagePreviewPayload", "MediaPreviewPayload",
           "CsvPreviewPayload", "PandasPreviewPayload", "DefaultPreviewPayload",
           "PreviewPayload", "PreviewPayloadInternal", "DataFrameIndex", "DataFrame",
           "ShapeDataFrame", "PartialDataFrame", "CompressionOptions"]


class JobDict(TypedDict):
    session_id: str
    job_id: str


class BlockDict(TypedDict):
    session_id: str
    job_id: str
    stacks: list[Any]
    block_path: str | None


class ToNode(TypedDict):
    node_id: str
    input_handle: str


class ToFlow(TypedDict):
    output_handle: str


class HandleDefDict(TypedDict):
    handle: str
    description: str | None
    json_schema: dict[str, Any] | None
    kind: str | None
    nullable: bool | None
    is_additional: bool


class QueryBlockResponse(TypedDict):
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


class TablePreviewData(TypedDict):
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


class DataFrameIndex(Protocol):
    def tolist(self) -> list[Any]: ...


@runtime_checkable
class DataFrame(Protocol):
    """What oocana takes for a pandas DataFrame (pandas is never imported for it)."""

    def __len__(self) -> int: ...
    def __dataframe__(self, *args: Any, **kwargs: Any) -> Any: ...
    @property
    def index(self) -> DataFrameIndex: ...
    def to_csv(self, *args: Any, **kwargs: Any) -> Any: ...
    def to_json(self, *args: Any, **kwargs: Any) -> Any: ...
    def to_dict(self, *args: Any, **kwargs: Any) -> Any: ...


@runtime_checkable
class ShapeDataFrame(DataFrame, Protocol):
    @property
    def shape(self) -> tuple[int, int]: ...


@runtime_checkable
class PartialDataFrame(DataFrame, Protocol):
    def head(self, n: int = 5) -> DataFrame: ...
    def tail(self, n: int = 5) -> DataFrame: ...


class PandasPreviewPayload(TypedDict):
    type: Literal["table"]
    data: DataFrame


PreviewPayloadInternal = Union[  # noqa: UP007  (runtime aliases, as oocana's)
    TablePreviewPayload, TextPreviewPayload, JSONPreviewPayload, ImagePreviewPayload,
    MediaPreviewPayload, CsvPreviewPayload, PandasPreviewPayload, DefaultPreviewPayload]
"""A preview payload as a dict: every kind but a bare DataFrame."""

PreviewPayload = Union[  # noqa: UP007
    TablePreviewPayload, TextPreviewPayload, JSONPreviewPayload, ImagePreviewPayload,
    MediaPreviewPayload, CsvPreviewPayload, DataFrame, PandasPreviewPayload,
    DefaultPreviewPayload]
"""What ``context.preview`` takes, as oocana types it (it takes figures and images too)."""


class CompressionOptions(TypedDict):
    method: Literal["zip", "gzip", "bz2", "zstd", "xz", "tar"] | None
