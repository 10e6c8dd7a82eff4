"""``oocana.preview``: the payloads ``context.preview`` takes, and the DataFrame protocols
(checked by shape: pandas is never imported for them)."""

from oocana_local.context.types import CsvPreviewPayload as CsvPreviewPayload
from oocana_local.context.types import DataFrame as DataFrame
from oocana_local.context.types import DataFrameIndex as DataFrameIndex
from oocana_local.context.types import (
    DefaultPreviewPayload,
    ImagePreviewPayload,
    JSONPreviewPayload,
    MediaPreviewPayload,
    PandasPreviewPayload,
    PreviewPayload,
    PreviewPayloadInternal,
    TablePreviewPayload,
    TextPreviewPayload,
)
from oocana_local.context.types import PartialDataFrame as PartialDataFrame
from oocana_local.context.types import ShapeDataFrame as ShapeDataFrame
from oocana_local.context.types import TablePreviewData as TablePreviewData

# oocana's exports; the "as" imports above are in oocana.preview too, without being exported
__all__ = ["PreviewPayload", "PreviewPayloadInternal", "TablePreviewPayload",
           "TextPreviewPayload", "JSONPreviewPayload", "ImagePreviewPayload",
           "MediaPreviewPayload", "PandasPreviewPayload", "DefaultPreviewPayload"]
