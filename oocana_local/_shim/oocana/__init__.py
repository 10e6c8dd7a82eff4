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
from oocana_local.secrets import CredentialInput

__all__ = [
    "Context", "BlockJob", "BlockExecuteException", "ToNode", "ToFlow", "HandleDefDict",
    "QueryBlockResponse", "FlowDownstream", "NodeDownstream", "Downstream", "OOMOL_LLM_ENV",
    "HostInfo", "BlockInfo", "PreviewPayload", "TablePreviewData", "TablePreviewPayload",
    "TextPreviewPayload", "JSONPreviewPayload", "ImagePreviewPayload", "MediaPreviewPayload",
    "CsvPreviewPayload", "DefaultPreviewPayload", "CompressionOptions",
    "setup_dataframe_serialization", "CredentialInput",
]


def setup_dataframe_serialization(context: Context,
                                  compression: CompressionOptions | None = None) -> Any:
    """How DataFrames cached for ``serialize_for_cache`` edges are compressed:
    ``{"method": "zip" | "gzip" | "bz2" | "zstd" | "xz" | "tar" | None}`` (None: plain
    ``.pkl``). Kept per package in ``<pkg_data_dir>/__compression_options.json``."""
    from oocana_local.context.cache import set_compression_options

    if context.pkg_data_dir:
        set_compression_options(context.pkg_data_dir, dict(compression) if compression else None)
    return None
