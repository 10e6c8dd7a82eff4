"""The wire between the engine and a worker process.

Transport: one ``AF_UNIX`` stream socket per worker (a ``socketpair`` made by the engine;
the worker gets its end as an inherited file descriptor). Each frame is a 4-byte
big-endian length followed by a pickle (protocol 5) of one message. Messages are dicts
with a ``type``; the block-level ones use oocana's executor message names and fields so
that the engine can publish them nearly as they are.

Engine -> worker

* ``{"type": "run", "job": {...}}`` start a job; the job dict holds ``job_id``,
  ``session_id``, ``stacks``, ``node_id``, ``block_path`` (or None), ``dir``, ``entry``,
  ``function``, ``source`` (inline code or None), ``inputs``, ``inputs_def`` and
  ``outputs_def`` (handle -> raw handle-def dict), ``session_dir``, ``tmp_dir``,
  ``tmp_pkg_dir``, ``pkg_dir`` (or None), ``package_name``, ``package_dir`` (or None),
  ``env`` (extra environment for the job) and ``blobs`` ({var key: pickled bytes} for
  values this worker does not hold yet).
* ``{"type": "response", "request_id": R, "result": X}`` or ``{..., "error": "text"}``:
  the answer to a ``BlockRequest``.
* ``{"type": "run_block_event", "request_id": R, "event": {...}}``: an event of a job
  started by this worker's ``context.run_block`` (``BlockOutput``, ``BlockProgress``, ...).
* ``{"type": "export", "request_id": R, "keys": [K, ...]}``: pickle these stored values;
  answered with ``{"type": "exported", "request_id": R, "blobs": {K: bytes}}`` even while
  a job runs.
* ``{"type": "free", "keys": [K, ...]}``: forget stored values.
* ``{"type": "shutdown"}``: exit now.

Worker -> engine

* ``{"type": "ready", "pid": N}`` once, when the worker can take jobs.
* ``BlockOutput`` ``{job_id, handle, output, options?}``, ``BlockOutputs`` ``{job_id,
  outputs}``, ``BlockProgress`` ``{job_id, progress}``, ``BlockLog`` ``{job_id, log,
  stdio}``, ``BlockLogJSON`` ``{job_id, json}``, ``BlockWarning`` ``{job_id, warning}``,
  ``BlockError`` ``{job_id, error}``, ``BlockMessage`` ``{job_id, payload}``,
  ``BlockPreview`` ``{job_id, payload}``.
* ``BlockRequest`` ``{job_id, request_id, action, ...}`` for ``RunBlock``, ``QueryBlock``,
  ``QueryDownstream``; the worker waits for the matching ``response``.
* ``BlockFinished`` ``{job_id, result?, error?}``: the job is over and the worker is free.
  Exactly one per job.
* ``exported`` (above).

Values: JSON values travel inline (NaN and infinities as None). Any other output value
stays in the worker's store and travels as a var reference, oocana's wrapper plus a
``key`` unique in the session::

    {"__OOMOL_TYPE__": "oomol/var",
     "value": {"executor": "python", "handle": H, "job_id": J, "session_id": S, "key": K},
     "serialize_path": None}

A worker given a wrapper whose key it holds substitutes the identical object; the engine
passes ``blobs`` for keys held elsewhere.
"""

from __future__ import annotations

import pickle
import struct
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only annotations use it; workers import this module and skip its cost
    import socket

__all__ = ["HEADER", "VAR_TYPE", "encode", "recv_message", "send_message", "is_var_ref",
           "var_key"]

HEADER = struct.Struct(">I")
VAR_TYPE = "oomol/var"


def encode(message: dict[str, Any]) -> bytes:
    payload = pickle.dumps(message, protocol=5)
    return HEADER.pack(len(payload)) + payload


def send_message(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(encode(message))


def _recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def recv_message(sock: socket.socket) -> dict[str, Any] | None:
    """Blocking read of one message; None when the other end closed."""
    header = _recv_exactly(sock, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    payload = _recv_exactly(sock, size)
    if payload is None:
        return None
    return pickle.loads(payload)


def is_var_ref(value: Any) -> bool:
    return (type(value) is dict and value.get("__OOMOL_TYPE__") == VAR_TYPE
            and isinstance(value.get("value"), dict) and "key" in value["value"])


def var_key(value: dict[str, Any]) -> str:
    return value["value"]["key"]
