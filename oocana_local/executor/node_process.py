"""A Node.js worker process (``oocana_local/nodejs/worker.mjs``) as the engine sees it.

The same process plumbing and frames as a Python worker (socketpair, non-blocking pipes,
pidfd, process group; a 4-byte length and a pickle), with one difference: the pickles
hold only what JSON can say, the subset ``nodejs/pickle.mjs`` reads and writes. Pickle,
not JSON text, because the json module takes ~15x as long on a list of numbers. Values
that are not JSON stay in the Node worker as ``oomol/var`` references (see
``nodejs/values.mjs``).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

from ..node_tools import node_binary
from .process import WorkerProcess

__all__ = ["NodeWorkerProcess", "WORKER_SCRIPT", "ESBUILD_ENV"]

WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "nodejs" / "worker.mjs"
ESBUILD_ENV = "OOCANA_LOCAL_ESBUILD"
_NODE_FLAGS = ["--enable-source-maps", "--disable-warning=ExperimentalWarning",
               "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON"]
_SCALARS = (str, int, float, bool, type(None))


class _NotPlain(Exception):
    pass


class _PlainPickler(pickle.Pickler):
    """The C pickler writes exact dicts, lists, tuples, sets, strings, bytes, numbers,
    booleans and None by itself; it asks this about anything else."""

    def reducer_override(self, obj: Any) -> Any:
        raise _NotPlain


def _plain(value: Any) -> Any:
    """``value`` in plain values, as the json module would write it: a subclass as its
    base type (an ``IntEnum`` as its number), anything else as its ``repr``."""
    if type(value) in _SCALARS or isinstance(value, (bytes, bytearray)):
        return value
    if isinstance(value, dict):
        return {k if type(k) in _SCALARS else str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (int, float)):  # bool is final: an int or float subclass
        return float(value) if isinstance(value, float) else int(value)
    return repr(value)


class NodeWorkerProcess(WorkerProcess):
    """A warm Node worker; ``typescript``: whether it was given esbuild (loads ``.ts``)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.typescript = bool(kwargs["env"].get(ESBUILD_ENV))

    def command(self, fd: int) -> list[str]:
        return [node_binary(), *_NODE_FLAGS, str(WORKER_SCRIPT), "--fd", str(fd)]

    @staticmethod
    def encode(message: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        try:
            _PlainPickler(buffer, 5).dump(message)
        except _NotPlain:  # rare: walk it in Python
            buffer = io.BytesIO()
            _PlainPickler(buffer, 5).dump(_plain(message))
        return buffer.getvalue()
