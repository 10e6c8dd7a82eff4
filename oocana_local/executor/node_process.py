"""A Node.js worker process (``oocana_local/nodejs/worker.mjs``) as the engine sees it.

The same process plumbing and frames as a Python worker (socketpair, non-blocking pipes,
pidfd, process group; a 4-byte length and a pickle), the pickles holding only JSON's
values (``wire/plain.py``). Values that are not JSON stay in the Node worker as
``oomol/var`` references (see ``nodejs/values.mjs``).
"""

from __future__ import annotations

from pathlib import Path

from ..node_tools import node_binary
from ..wire.plain import dumps_plain
from .process import WorkerProcess

__all__ = ["NodeWorkerProcess", "WORKER_SCRIPT"]

WORKER_SCRIPT = Path(__file__).resolve().parent.parent / "nodejs" / "worker.mjs"
_NODE_FLAGS = ["--enable-source-maps", "--disable-warning=ExperimentalWarning",
               "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON"]


class NodeWorkerProcess(WorkerProcess):
    """A warm Node worker: it runs several jobs at once."""

    encode = staticmethod(dumps_plain)

    def command(self, fd: int) -> list[str]:
        return [node_binary(), *_NODE_FLAGS, str(WORKER_SCRIPT), "--fd", str(fd)]
