"""A block's preview as MCP content: images as image items, the rest as text or an
embedded resource, whichever the preview is."""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Any

import mcp.types as types

from ..mainframe.jsonable import dumps
from ..mainframe.previews import decode_data_url
from ..mime import sniff_image

__all__ = ["preview_content"]

_RASTER = ("image/png", "image/jpeg", "image/gif", "image/webp")
_MAX_TABLE_ROWS = 100
_MAX_FILE = 16 * 1024 * 1024


def preview_content(payload: Any, uri: str) -> list[types.ContentBlock]:
    """The content items of one ``BlockPreview`` payload; ``uri`` names an embedded one."""
    if not isinstance(payload, dict):
        return [_text(f"preview: {dumps(payload)}")]
    kind = str(payload.get("type") or "")
    data = payload.get("data")
    if kind == "image":
        items = data if isinstance(data, list) else [data]
        return [_image(item, f"{uri}/{n}" if len(items) > 1 else uri)
                for n, item in enumerate(items, 1)]
    if kind == "table" and isinstance(data, dict):
        return [_text(_table(data))]
    if kind == "html":
        return [types.EmbeddedResource(type="resource", resource=types.TextResourceContents(
            uri=uri, mimeType="text/html", text=str(data)))]  # type: ignore[arg-type]
    if kind in ("text", "markdown") or kind.startswith("text/"):
        return [_text(data if isinstance(data, str) else dumps(data))]
    if kind == "json":
        return [_text(json.dumps(json.loads(dumps(data)), ensure_ascii=False))]
    # video, audio, iframe and types unknown here: say what it is and where
    where = data if isinstance(data, str) and not data.startswith("data:") else None
    return [_text(f"{kind or 'preview'} preview" + (f": {where}" if where else ""))]


def _text(text: str) -> types.TextContent:
    return types.TextContent(type="text", text=text)


def _image(item: Any, uri: str) -> types.ContentBlock:
    if not isinstance(item, str):
        return _text(f"image preview: {dumps(item)}")
    decoded = decode_data_url(item)
    if decoded is None:
        decoded = _file(item) or _bare_base64(item)
    if decoded is None:  # a URL, or a file that is gone
        return _text(f"image preview: {item}")
    mime, raw = decoded
    mime = sniff_image(raw) or mime
    if mime in _RASTER:
        return types.ImageContent(type="image", mimeType=mime,
                                  data=base64.b64encode(raw).decode())
    if mime == "image/svg+xml":  # not an image every client shows: its text
        return types.EmbeddedResource(type="resource", resource=types.TextResourceContents(
            uri=uri, mimeType=mime,  # type: ignore[arg-type]
            text=raw.decode("utf-8", errors="replace")))
    return _text(f"image preview ({mime})")


def _file(text: str) -> tuple[str, bytes] | None:
    if len(text) > 4096 or "\n" in text:
        return None
    path = Path(text)
    try:
        if not path.is_absolute() or not path.is_file() or path.stat().st_size > _MAX_FILE:
            return None
        raw = path.read_bytes()
    except OSError:
        return None
    mime = sniff_image(raw)
    return (mime, raw) if mime else None


def _bare_base64(text: str) -> tuple[str, bytes] | None:
    if len(text) < 16 or any(c in text for c in ".:\\ \n"):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    mime = sniff_image(raw)
    return (mime, raw) if mime else None


def _table(data: dict[str, Any]) -> str:
    """A Markdown table of the rows the preview carries."""
    columns = [str(c) for c in data.get("columns") or ()]
    rows = list(data.get("rows") or ())
    count = data.get("row_count", len(rows))

    def cell(value: Any) -> str:
        text = value if isinstance(value, str) else dumps(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = [f"table preview: {count} rows × {len(columns)} columns",
             "| " + " | ".join(map(cell, columns)) + " |",
             "|" + "---|" * len(columns)]
    for row in rows[:_MAX_TABLE_ROWS]:
        values = row if isinstance(row, list) else [row]
        lines.append("| " + " | ".join(map(cell, values)) + " |")
    return "\n".join(lines)
