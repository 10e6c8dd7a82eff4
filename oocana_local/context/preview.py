"""Turn what a block passes to ``context.preview`` into a JSON preview payload.

* a pandas DataFrame (bare, or ``{"type": "table", "data": df}``) -> ``{"type": "table",
  "data": {"columns", "rows", "row_count"}}``: every row up to ``MAX_TABLE_ROWS``, beyond it
  the first and last ``MAX_TABLE_ROWS // 2`` rows around one ``"..."`` row; the index is the
  first column(s) (header ``""``) unless it is the default RangeIndex; NaN, NaT and NA are
  null; dates are ISO strings; decimals and other non-JSON cells are their ``str``. A
  Series is a one-column table. (oocana writes a CSV file and sends its path; this keeps
  oocana's earlier rows/columns shape, which needs no file shared with the viewer.)
* a matplotlib figure (or axes) -> ``{"type": "image", "data": "data:image/png;base64,..."}``;
* a plotly figure -> ``{"type": "html", "data": <page>}`` that loads plotly.js from a local
  file, never from a CDN (see ``preview_plotly``);
* a PIL image, or anything with ``_repr_png_`` / ``_repr_jpeg_`` / ``_repr_svg_`` -> an image
  data URL; ``_repr_html_`` -> html, ``_repr_markdown_`` -> markdown;
* ``{"type": "image", "data": [...]}`` converts each figure / image of the list;
* any other dict passes through as it is (``table``, ``text``, ``json``, ``markdown``,
  ``html``, ``iframe``, ``video``, ``audio``, ``text/<subtype>``, types unknown here); data
  that JSON cannot hold becomes its ``str``; a bare string becomes a ``text`` preview,
  another bare value that JSON can hold a ``json`` one, anything else a ``text`` preview
  of its ``repr`` (oocana sends bare values as they are).

Nothing here imports pandas, matplotlib, plotly or PIL: values are recognised by their
shape, so a block that never uses them never pays for them.
"""

from __future__ import annotations

import datetime
from typing import Any

from .values import NotJSON, to_json

__all__ = ["to_preview_payload", "dataframe_table", "MAX_TABLE_ROWS"]

MAX_TABLE_ROWS = 100
"""Frames longer than this show the first and last ``MAX_TABLE_ROWS // 2`` rows."""

ELLIPSIS = "..."


# -- tables -------------------------------------------------------------------------------

def _is_dataframe(value: Any) -> bool:
    return (hasattr(value, "columns") and hasattr(value, "index") and hasattr(value, "iloc")
            and hasattr(value, "shape") and hasattr(value, "itertuples"))


def _is_series(value: Any) -> bool:
    return (hasattr(value, "to_frame") and hasattr(value, "index") and hasattr(value, "iloc")
            and not hasattr(value, "columns"))


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    name = type(value).__name__
    if name in ("NaTType", "NAType"):
        return True
    try:
        return bool(value != value)  # NaN of any float type
    except (TypeError, ValueError):  # arrays, ambiguous truth values
        return False


def _cell(value: Any) -> Any:
    """One table cell as JSON: null for missing values, ISO text for dates, else str."""
    if type(value) in (str, int, bool):
        return value
    if _is_missing(value):
        return None
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()  # pandas Timestamps too
    try:
        return to_json(value)
    except NotJSON:
        return str(value)


def _header(label: Any) -> Any:
    if type(label) in (str, int, float):
        return label
    if isinstance(label, tuple):  # MultiIndex columns
        return " / ".join(str(part) for part in label if str(part) != "")
    cell = _cell(label)
    return cell if isinstance(cell, (str, int, float)) else str(label)


def _has_default_index(df: Any) -> bool:
    index = df.index
    return (type(index).__name__ == "RangeIndex" and getattr(index, "start", None) == 0
            and getattr(index, "step", None) == 1)


def _index_levels(df: Any) -> int:
    return int(getattr(df.index, "nlevels", 1) or 1)


def _table_rows(part: Any, levels: int) -> list[list[Any]]:
    rows = []
    index = part.index.tolist() if levels else None
    for i, row in enumerate(part.itertuples(index=False, name=None)):
        cells = [_cell(v) for v in row]
        if index is not None:
            key = index[i]
            keys = list(key) if levels > 1 and isinstance(key, tuple) else [key]
            cells[0:0] = [_cell(k) for k in keys]
        rows.append(cells)
    return rows


def dataframe_table(df: Any, limit: int = MAX_TABLE_ROWS) -> dict[str, Any]:
    """The table payload of a DataFrame (see the module docstring)."""
    levels = 0 if _has_default_index(df) else _index_levels(df)
    columns = [""] * levels + [_header(c) for c in df.columns]
    count = int(df.shape[0])
    if count <= limit:
        rows = _table_rows(df, levels)
    else:
        head = (limit + 1) // 2
        tail = limit - head
        rows = (_table_rows(df.iloc[:head], levels) + [[ELLIPSIS] * len(columns)]
                + _table_rows(df.iloc[count - tail:], levels))
    return {"type": "table", "data": {"columns": columns, "rows": rows, "row_count": count}}


def series_table(series: Any, limit: int = MAX_TABLE_ROWS) -> dict[str, Any]:
    name = series.name
    frame = series.to_frame(name="" if name is None else name)
    return dataframe_table(frame, limit)


def _table(value: Any) -> dict[str, Any] | None:
    if _is_dataframe(value):
        return dataframe_table(value)
    if _is_series(value):
        return series_table(value)
    return None


# -- everything else ----------------------------------------------------------------------

def _object_payload(value: Any, session_dir: str | None) -> dict[str, Any] | None:
    """The payload of a figure, image or rich object; None when it is none of those."""
    from . import preview_media

    return preview_media.object_payload(value, session_dir)


def _plain(value: Any) -> Any:
    """JSON for ``value``; whatever JSON cannot hold becomes its ``str``."""
    try:
        return to_json(value)
    except NotJSON:
        pass
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _cell(value)


def _image_data(data: Any, session_dir: str | None) -> Any:
    from . import preview_media

    if isinstance(data, (list, tuple)):
        return [preview_media.image_url(item, session_dir) for item in data]
    return preview_media.image_url(data, session_dir)


def _dict_payload(payload: dict[str, Any], session_dir: str | None) -> dict[str, Any]:
    kind = payload.get("type")
    data = payload.get("data")
    converted: dict[str, Any] | None = None
    if kind == "table":
        converted = _table(data)
    elif kind == "image" and not isinstance(data, str):
        converted = {"type": "image", "data": _image_data(data, session_dir)}
    elif kind == "html" and not isinstance(data, str) and data is not None:
        converted = _object_payload(data, session_dir)
        if converted is not None and converted.get("type") != "html":
            converted = None
    if converted is not None:
        out = dict(payload)
        out.update(converted)
        return _plain(out)
    return _plain(payload)


def to_preview_payload(payload: Any, *, session_dir: str | None = None) -> Any:
    """The JSON payload of a ``BlockPreview`` for what the block passed (a new object:
    the caller's dict is never changed). ``session_dir`` is where plotly.js is written."""
    if isinstance(payload, dict):
        return _dict_payload(payload, session_dir)
    table = _table(payload)
    if table is not None:
        return table
    if isinstance(payload, str):
        return {"type": "text", "data": str(payload)}
    if isinstance(payload, (int, float, bool, list, tuple)) or payload is None:
        try:
            return {"type": "json", "data": to_json(payload)}
        except NotJSON:
            return {"type": "json", "data": _plain(payload)}
    converted = _object_payload(payload, session_dir)
    if converted is not None:
        return converted
    try:
        return {"type": "json", "data": to_json(payload)}
    except NotJSON:
        return {"type": "text", "data": repr(payload)}
