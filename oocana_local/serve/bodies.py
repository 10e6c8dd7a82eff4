"""Request bodies as clients really send them.

oomol-connect-sdk labels multipart and URL-encoded bodies ``application/json`` (and may
omit the boundary), so the body is sniffed, never trusted by its header. Uploaded files
are written under server-made names in the task's own folder: a client's file name only
contributes a short, cleaned extension.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["Form", "Upload", "parse_form", "save_upload", "decode_data_url",
           "split_node_inputs", "BodyError"]

_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")
_DATA_URL = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^;,]*)*?);base64,",
                       re.ASCII)


class BodyError(ValueError):
    """The body cannot be read; answered with a 400."""


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Form:
    fields: dict[str, Any] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)


def parse_form(body: bytes, content_type: str) -> Form:
    """A JSON object, a multipart form (boundary from the header or the body's first line)
    or a URL-encoded form, whatever the body is labelled."""
    stripped = body.lstrip()
    if stripped.startswith(b"--"):
        return _multipart(body, content_type)
    if not stripped:
        return Form()
    if stripped[:1] in (b"{", b"["):
        try:
            value = json.loads(body)
        except ValueError as exc:
            raise BodyError(f"the body is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise BodyError("the body must be a JSON object")
        return Form(fields=value)
    if b"=" in stripped:
        try:
            pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
        except (ValueError, UnicodeDecodeError):
            raise BodyError("the body is neither JSON nor a form") from None
        return Form(fields={k: _maybe_json(k, v) for k, v in pairs})
    raise BodyError("the body is neither JSON nor a form")


def _multipart(body: bytes, content_type: str) -> Form:
    match = re.search(r'boundary="?([^";]+)"?', content_type or "")
    boundary = match.group(1) if match and "multipart" in content_type else None
    if boundary is None:
        first = body.lstrip().split(b"\r\n", 1)[0]
        boundary = first[2:].decode("latin-1").strip()
    if not boundary:
        raise BodyError("a multipart body without a boundary")
    head = f'Content-Type: multipart/form-data; boundary="{boundary}"\r\n\r\n'.encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BodyError("the multipart body cannot be read")
    form = Form()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""
        if filename is not None or name == "files":
            form.files.append(Upload(filename or "", part.get_content_type(), payload))
        else:
            form.fields[name] = _maybe_json(name, payload.decode("utf-8", "replace"))
    return form


def _maybe_json(name: str, text: str) -> Any:
    if name != "inputValues":
        return text
    try:
        return json.loads(text)
    except ValueError:
        raise BodyError("inputValues must be JSON") from None


def save_upload(folder: Path, filename: str, data: bytes) -> Path:
    """Write ``data`` under a new name in ``folder``; only the extension is kept."""
    folder.mkdir(parents=True, exist_ok=True)
    extension = _EXTENSION.search(Path(filename.replace("\\", "/")).name)
    path = folder / f"{uuid.uuid4().hex}{extension.group(0).lower() if extension else ''}"
    path.write_bytes(data)
    return path


def decode_data_url(value: str) -> tuple[str, bytes]:
    """``data:<mime>;base64,<data>`` -> (mime, bytes)."""
    match = _DATA_URL.match(value)
    if match is None:
        raise BodyError("a file's data must be a data: URL with base64 content")
    try:
        data = base64.b64decode(value[match.end():], validate=True)
    except (binascii.Error, ValueError):
        raise BodyError("a file's data is not valid base64") from None
    return match.group("mime") or "application/octet-stream", data


def split_node_inputs(values: Any, target_name: str
                      ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Connect ``inputValues`` in any of its three formats -> (root inputs, node inputs).

    ``{"h": v}``, ``[{"handle": "h", "value": v}]`` and ``[{"nodeId": "_", "inputs":
    [...]}]`` (``_`` or the target's own name means the target; another id names a node
    of the flow, as ``--nodes-inputs`` does).
    """
    root: dict[str, Any] = {}
    nodes: dict[str, dict[str, Any]] = {}
    if values is None:
        return root, nodes
    if isinstance(values, dict):
        return dict(values), nodes
    if not isinstance(values, list):
        raise BodyError("inputValues must be an object or a list")
    for item in values:
        if not isinstance(item, dict):
            raise BodyError("each inputValues item must be an object")
        if "nodeId" in item:
            node_id = item["nodeId"]
            handles = _handle_values(item.get("inputs") or [])
            if node_id in ("_", "", None, target_name):
                root.update(handles)
            else:
                nodes.setdefault(str(node_id), {}).update(handles)
        else:
            root.update(_handle_values([item]))
    return root, nodes


def _handle_values(items: Any) -> dict[str, Any]:
    if isinstance(items, dict):
        return dict(items)
    if not isinstance(items, list):
        raise BodyError("inputs must be a list of {handle, value}")
    out = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("handle"), str):
            raise BodyError("each input must be {\"handle\": ..., \"value\": ...}")
        out[item["handle"]] = item.get("value")
    return out
