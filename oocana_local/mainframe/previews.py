"""Save every preview of a run to a file, so a terminal user can open it.

``PreviewSaver(folder)`` is a bus subscriber: each ``BlockPreview`` becomes
``<folder>/<node>-<n>.<ext>`` (``n`` counts the node's files from 1; ``<node>`` is the
node path with ``.`` between levels, ``sub.inner`` for node ``inner`` of subflow node
``sub``):

* ``table`` -> ``.csv`` (the rows sent, the ``...`` row of a long frame included);
* ``image`` -> ``.png`` / ``.svg`` / ``.jpg`` ... decoded from data URLs and base64, one file
  per image of a list; ``video`` / ``audio`` data URLs likewise;
* ``html`` (plotly figures included) -> ``.html``; ``iframe`` -> a small ``.html`` page
  embedding the URL; an image, video or audio URL -> a small page showing it;
* ``markdown`` -> ``.md``; ``text`` -> ``.txt``; ``text/<subtype>`` -> by subtype;
  ``json`` and types unknown here -> ``.json``;
* a payload naming a local file (an image path, a CSV path) is not copied: the preview
  *is* that file.

A preview forwarded by a subflow (``BlockPreview`` with ``node_id``) is a copy of the
inner node's own preview and is not saved twice. ``on_saved(SavedPreview)`` is called
after each preview, e.g. to print where it went (``PlainView.preview_saved``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from .._dataclass import lazy_dataclass
from ..mime import sniff_image
from ..wire import names

__all__ = ["PreviewSaver", "SavedPreview", "describe", "decode_data_url"]

_MIME_EXT = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/gif": ".gif",
    "image/svg+xml": ".svg", "image/webp": ".webp", "image/bmp": ".bmp",
    "video/mp4": ".mp4", "video/webm": ".webm", "video/ogg": ".ogv",
    "audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/wav": ".wav", "audio/x-wav": ".wav",
    "audio/ogg": ".ogg", "audio/webm": ".weba", "audio/flac": ".flac",
}
_TEXT_EXT = {"html": ".html", "markdown": ".md", "csv": ".csv", "json": ".json",
             "xml": ".xml", "css": ".css", "javascript": ".js", "plain": ".txt"}
_DATA_URL = re.compile(r"^data:([^;,]*)((?:;[^;,]*)*),", re.DOTALL)
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


@lazy_dataclass  # made with the first preview saved: most runs save none
class SavedPreview:
    """Where one preview went."""

    label: str
    """The node path, as the terminal view names nodes: ``sub/inner``."""
    kind: str
    """The payload's ``type``."""
    description: str
    """``table 5×3``, ``image ×2``, ``html``, ..."""
    paths: list[str] = field(default_factory=list)
    """Files written, or the file / URL the payload names."""
    error: str | None = None

    def line(self) -> str:
        """``preview table 5×3 → /tmp/.../summary-1.csv``"""
        text = f"preview {self.description}"
        if self.paths:
            text += " → " + ", ".join(self.paths)
        if self.error:
            text += f" (not saved: {self.error})"
        return text


def describe(payload: Any) -> str:
    """A few words on a payload: ``table 5×3``, ``image ×2``, ``html``."""
    if not isinstance(payload, dict):
        return type(payload).__name__
    kind = str(payload.get("type") or "preview")
    data = payload.get("data")
    if kind == "table" and isinstance(data, dict):
        rows = data.get("row_count")
        if rows is None:
            rows = len(data.get("rows") or ())
        return f"{kind} {rows}×{len(data.get('columns') or ())}"
    if isinstance(data, list) and kind in ("image", "video", "audio"):
        return f"{kind} ×{len(data)}" if len(data) != 1 else kind
    return kind


def _safe(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")
    return safe or "preview"


def decode_data_url(text: str) -> tuple[str, bytes] | None:
    """``(mime type, bytes)`` of a ``data:`` URL; None when ``text`` is not one."""
    match = _DATA_URL.match(text)
    if match is None:
        return None
    mime = match.group(1).strip().lower() or "text/plain"
    body = text[match.end():]
    if ";base64" in match.group(2).lower():
        try:
            return mime, base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            return None
    return mime, unquote_to_bytes(body)


def _sniff(data: bytes) -> str | None:
    return _MIME_EXT.get(sniff_image(data) or "")


def _raw_base64(text: str) -> tuple[str, bytes] | None:
    """Bare base64 of an image (as oocana allows); None when it is not that."""
    if len(text) < 16 or any(c in text for c in ".:\\ \n"):  # paths, URLs
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    ext = _sniff(data)
    return (ext, data) if ext is not None else None


_MEDIA_TAGS = {
    "image": '<img src="{src}" style="max-width:100%">',
    "video": '<video src="{src}" controls style="max-width:100%"></video>',
    "audio": '<audio src="{src}" controls></audio>',
    "iframe": '<iframe src="{src}" style="border:0;width:100%;height:100%"></iframe>',
}


def _page(kind: str, url: str) -> str:
    import html

    tag = _MEDIA_TAGS[kind].format(src=html.escape(url, quote=True))
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\">"
            "<style>html, body { height: 100%; margin: 0; }</style></head>\n"
            f"<body>{tag}</body></html>\n")


class PreviewSaver:
    """A bus subscriber writing each ``BlockPreview`` to ``folder`` (created on first use)."""

    def __init__(self, folder: str | os.PathLike[str],
                 on_saved: Callable[[SavedPreview], None] | None = None):
        self.folder = Path(folder)
        self.on_saved = on_saved
        self.saved: list[SavedPreview] = []
        self._counts: dict[str, int] = {}

    def __call__(self, message: dict[str, Any]) -> None:
        if message.get("type") != names.BLOCK_PREVIEW or "node_id" in message:
            return
        stacks = message.get("stacks") or ()
        label = "/".join(str(level.get("node_id")) for level in stacks) or "preview"
        payload = message.get("payload")
        saved = SavedPreview(label=label, kind=_kind(payload), description=describe(payload))
        try:
            self._save(saved, payload)
        except Exception as exc:  # a preview that cannot be saved must not stop the run
            saved.error = f"{type(exc).__name__}: {exc}"
        self.saved.append(saved)
        if self.on_saved is not None:
            self.on_saved(saved)

    # -- files ------------------------------------------------------------------------------

    def _path(self, saved: SavedPreview, ext: str) -> Path:
        base = _safe(saved.label.replace("/", "."))
        n = self._counts.get(base, 0) + 1
        self._counts[base] = n
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / f"{base}-{n}{ext}"

    def _write(self, saved: SavedPreview, ext: str, content: str | bytes) -> None:
        path = self._path(saved, ext)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        saved.paths.append(str(path))

    def _save(self, saved: SavedPreview, payload: Any) -> None:
        if not isinstance(payload, dict):
            self._write(saved, ".json", _json(payload))
            return
        kind = saved.kind
        data = payload.get("data")
        if kind == "table" and isinstance(data, dict):
            self._write(saved, ".csv", _csv(data))
        elif kind in ("table", "csv") and isinstance(data, str) and not _URL.match(data):
            saved.paths.append(data)  # oocana's form: the CSV file itself
        elif kind in ("image", "video", "audio"):
            for item in data if isinstance(data, list) else [data]:
                self._media(saved, kind, item)
        elif kind == "iframe" and isinstance(data, str):
            self._write(saved, ".html", _page("iframe", data))
        elif kind == "html":
            self._write(saved, ".html", _text(data))
        elif kind == "markdown":
            self._write(saved, ".md", _text(data))
        elif kind == "text":
            self._write(saved, ".txt", _text(data))
        elif kind.startswith("text/"):
            subtype = kind[5:].split(";")[0].strip().lower().removeprefix("x-")
            self._write(saved, _TEXT_EXT.get(subtype, ".txt"), _text(data))
        elif kind == "json":
            self._write(saved, ".json", _json(data))
        else:  # a type unknown here: the whole payload
            self._write(saved, ".json", _json(payload))

    def _media(self, saved: SavedPreview, kind: str, item: Any) -> None:
        if not isinstance(item, str):
            self._write(saved, ".json", _json(item))
            return
        decoded = decode_data_url(item)
        if decoded is not None:
            mime, raw = decoded
            self._write(saved, _MIME_EXT.get(mime) or _sniff(raw) or ".bin", raw)
            return
        if _URL.match(item) and not item.startswith("file://"):
            self._write(saved, ".html", _page(kind, item))
            return
        bare = _raw_base64(item) if kind == "image" else None
        if bare is not None:
            self._write(saved, bare[0], bare[1])
            return
        saved.paths.append(item)  # a local file: the preview is the file


def _kind(payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("type"), str):
        return payload["type"]
    return "json"


def _text(data: Any) -> str:
    return data if isinstance(data, str) else _json(data)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _csv(data: dict[str, Any]) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_csv_cell(c) for c in data.get("columns") or ()])
    for row in data.get("rows") or ():
        writer.writerow([_csv_cell(c) for c in row] if isinstance(row, list) else [row])
    return out.getvalue()
