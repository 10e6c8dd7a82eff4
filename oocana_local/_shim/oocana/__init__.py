"""``import oocana`` inside an oocana-local worker: the names blocks use, backed by ours.

Only workers put ``oocana_local/_shim`` on ``sys.path``; ``Context`` here is the very class
the worker builds, so ``main(context: Context)`` is recognised by identity.
"""

from __future__ import annotations

from typing import Any

from oocana_local.context import BlockExecuteException, BlockJob, Context
from oocana_local.context.types import (
    OOMOL_LLM_ENV,
    BlockInfo,
    CompressionOptions,
    CsvPreviewPayload,
    DefaultPreviewPayload,
    Downstream,
    FlowDownstream,
    HandleDefDict,
    HostInfo,
    ImagePreviewPayload,
    JSONPreviewPayload,
    MediaPreviewPayload,
    NodeDownstream,
    PreviewPayload,
    QueryBlockResponse,
    TablePreviewData,
    TablePreviewPayload,
    TextPreviewPayload,
    ToFlow,
    ToNode,
)

__all__ = [
    "Context", "BlockJob", "BlockExecuteException", "ToNode", "ToFlow", "HandleDefDict",
    "QueryBlockResponse", "FlowDownstream", "NodeDownstream", "Downstream", "OOMOL_LLM_ENV",
    "HostInfo", "BlockInfo", "PreviewPayload", "TablePreviewData", "TablePreviewPayload",
    "TextPreviewPayload", "JSONPreviewPayload", "ImagePreviewPayload", "MediaPreviewPayload",
    "CsvPreviewPayload", "DefaultPreviewPayload", "CompressionOptions",
    "setup_dataframe_serialization",
]


def setup_dataframe_serialization(context: Context,
                                  compression: CompressionOptions | None = None) -> Any:
    """Accepted for compatibility; oocana-local does not cache DataFrames on disk yet."""
    return None
