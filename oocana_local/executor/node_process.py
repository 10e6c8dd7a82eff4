"""A Node.js worker process (``oocana_local/nodejs/worker.mjs``) as the engine sees it.

The same process plumbing as a Python worker (socketpair, non-blocking pipes, pidfd,
process group), with JSON frames instead of pickles: a 4-byte big-endian length and a
UTF-8 JSON message. Values that are not JSON stay in the Node worker as ``oomol/var``
references (see ``nodejs/values.mjs``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..node_tools import node_binary
from ..wire.frames import FrameError, FrameReader, check_message
from .process import ConcurrentWorkerProcess

__all__ = ["NodeWorkerProcess", "WORKER_SCRIPT"]

WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "nodejs" / "worker.mjs"
_NODE_FLAGS = ["--enable-source-maps", "--disable-warning=ExperimentalWarning",
               "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON"]


def _json_safe(value: Any) -> Any:
    """NaN and infinities as None (JSON has neither); other non-JSON values as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def _decode(body: Any) -> dict[str, Any]:
    try:
        message = json.loads(bytes(body) if isinstance(body, memoryview) else body)
    except ValueError as exc:
        raise FrameError(f"a frame could not be read: {exc}") from None
    return check_message(message)


class _JsonFrameReader(FrameReader):
    decode = staticmethod(_decode)  # type: ignore[assignment]  # JSON, not pickle


class NodeWorkerProcess(ConcurrentWorkerProcess):
    """A warm Node worker; ``jobs`` holds the runs it is executing now (several at once)."""

    def __init__(self, *args: Any, scope: str, **kwargs: Any):
        super().__init__(*args, scope=scope, **kwargs)
        self._reader = _JsonFrameReader()

    def command(self, fd: int) -> list[str]:
        return [node_binary(), *_NODE_FLAGS, str(WORKER_SCRIPT), "--fd", str(fd)]

    @staticmethod
    def encode(message: dict[str, Any]) -> bytes:
        try:
            text = json.dumps(message, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError):
            text = json.dumps(_json_safe(message), separators=(",", ":"))
        return text.encode("utf-8")
