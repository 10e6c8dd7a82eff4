"""Turn what a block passes to ``context.preview`` into a JSON preview payload.

* a pandas DataFrame (or ``{"type": "table", "data": df}``) -> ``{"type": "table", "data":
  {"columns", "rows", "row_count"}}``; NaN -> None, the index is the first column (header
  "") unless it is a default RangeIndex; long frames show the first and last rows around a
  ``"..."`` row;
* anything with ``savefig`` (a matplotlib figure) -> a PNG data URL image;
* any other payload passes through as JSON.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from .values import NotJSON, to_json

__all__ = ["to_preview_payload", "MAX_TABLE_ROWS"]

MAX_TABLE_ROWS = 100
"""Frames longer than this show the first and last ``MAX_TABLE_ROWS // 2`` rows."""


def _is_dataframe(value: Any) -> bool:
    return (hasattr(value, "to_dict") and hasattr(value, "columns") and hasattr(value, "index")
            and hasattr(value, "iloc") and hasattr(value, "shape"))


def _cell(value: Any) -> Any:
    try:
        return to_json(value)
    except NotJSON:
        pass
    if value != value:  # NaT and other missing markers
        return None
    return str(value)


def _has_default_index(df: Any) -> bool:
    index = df.index
    return (type(index).__name__ == "RangeIndex" and getattr(index, "start", None) == 0
            and getattr(index, "step", None) == 1)


def _table_rows(part: Any, with_index: bool) -> list[list[Any]]:
    rows = []
    index = part.index.tolist() if with_index else None
    for i, row in enumerate(part.itertuples(index=False, name=None)):
        cells = [_cell(v) for v in row]
        if index is not None:
            cells.insert(0, _cell(index[i]))
        rows.append(cells)
    return rows


def dataframe_table(df: Any) -> dict[str, Any]:
    with_index = not _has_default_index(df)
    columns = [_cell(c) for c in df.columns]
    if with_index:
        columns.insert(0, "")
    count = int(df.shape[0])
    if count <= MAX_TABLE_ROWS:
        rows = _table_rows(df, with_index)
    else:
        half = MAX_TABLE_ROWS // 2
        rows = (_table_rows(df.iloc[:half], with_index) + [["..."] * len(columns)]
                + _table_rows(df.iloc[-half:], with_index))
    return {"type": "table", "data": {"columns": columns, "rows": rows, "row_count": count}}


def figure_image(figure: Any) -> dict[str, Any]:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"type": "image", "data": url}


def to_preview_payload(payload: Any) -> dict[str, Any] | Any:
    if _is_dataframe(payload):
        return dataframe_table(payload)
    if hasattr(payload, "savefig"):
        return figure_image(payload)
    if isinstance(payload, dict):
        data = payload.get("data")
        if payload.get("type") == "table" and _is_dataframe(data):
            return to_json({**payload, **dataframe_table(data)})
        if payload.get("type") == "image" and hasattr(data, "savefig"):
            return to_json({**payload, **figure_image(data)})
    return to_json(payload)
