"""Start a worker process without an event loop, so the first one can start as early as
the command line knows it will run something: a fresh interpreter takes as long to
start as the engine takes to import itself and read the manifests, and both now
happen at once.

``launch`` starts a worker (socket pair, ``Popen``); ``WorkerProcess.spawn`` attaches a
launched worker to the event loop. ``launch_early`` starts one and keeps it; the pool's
first shared worker is that one (``take_early``) when it was started with the same
environment, else it is stopped. Nothing here imports asyncio.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

from ..errors import WorkerError

__all__ = ["Launched", "discard_early", "kill_group", "launch", "launch_early", "take_early",
           "worker_command", "worker_env", "SHM_NAMESPACE"]

_SOCKET_BUFFER = 4 << 20  # bytes; the kernel caps it (net.core.wmem_max)
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def worker_command(fd: int) -> list[str]:
    """``python -c`` rather than ``-m``: no runpy, and the package root goes first on
    ``sys.path`` without touching ``PYTHONPATH`` (which a block's subprocesses inherit)."""
    bootstrap = (f"import sys;sys.path[0]={_PACKAGE_ROOT!r};"
                 "from oocana_local.worker.boot import main;main()")
    return [sys.executable, "-c", bootstrap, "--fd", str(fd)]


SHM_NAMESPACE = "OOCANA_LOCAL_SHM_PREFIX"


def worker_env(extra: dict[str, str] | None = None, *,
               namespace: str | None = None) -> dict[str, str]:
    """The environment of a worker process of an engine whose shared-memory files are
    named ``namespace...`` (default: the one ``extra`` names, else a new one)."""
    from ..worker.blobs import new_namespace
    from .coverage_bridge import worker_env as coverage_env

    env = dict(os.environ)
    env.update(extra or {})
    env.update(coverage_env())  # measured like this process, when it is measured
    env["MPLBACKEND"] = "Agg"  # figures render without a display
    # So the pool's close() finds what its workers leave, and only that.
    env[SHM_NAMESPACE] = namespace or (extra or {}).get(SHM_NAMESPACE) or new_namespace()
    return env


def kill_group(pid: int) -> None:
    """SIGKILL a worker and everything it started (it leads its own process group)."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


class Launched:
    """A started worker process and the engine's end of its socket."""

    __slots__ = ("env", "popen", "sock", "started_at")

    def __init__(self, popen: subprocess.Popen[bytes], sock: socket.socket,
                 env: dict[str, str], started_at: float):
        self.popen = popen
        self.sock = sock
        self.env = env
        self.started_at = started_at

    def stop(self) -> None:
        self.sock.close()
        kill_group(self.popen.pid)
        self.popen.wait()
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()


def launch(env: dict[str, str],
           command: Callable[[int], list[str]] = worker_command) -> Launched:
    """Start a worker process (``command(fd)``: a Python worker unless told otherwise);
    raise ``WorkerError`` when it cannot start."""
    parent, child = socket.socketpair()
    for end in (parent, child):  # a big value in one write, not a write per 200 KB read
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _SOCKET_BUFFER)
    try:
        started_at = time.perf_counter()
        popen = subprocess.Popen(
            command(child.fileno()), pass_fds=(child.fileno(),),
            start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env, close_fds=True)
    except OSError as exc:
        parent.close()
        raise WorkerError(f"cannot start a worker process ({command(0)[0]}): {exc}") from exc
    finally:
        child.close()
    return Launched(popen, parent, env, started_at)


_early: Launched | None = None


def launch_early() -> None:
    """Start the first worker now, for the pool to take later (at most one waits); the
    caller calls ``discard_early`` once the run ends, taken or not."""
    global _early
    if _early is not None:
        return
    try:
        _early = launch(worker_env())
    except WorkerError:
        pass  # the pool will try again, and report it


def take_early(env: dict[str, str]) -> Launched | None:
    """The early worker if it runs with ``env`` (its shared-memory namespace aside: the
    taker adopts it, ``Launched.env``); otherwise it is stopped and None."""
    global _early
    launched, _early = _early, None
    if launched is None:
        return None
    same = {**launched.env, SHM_NAMESPACE: ""} == {**env, SHM_NAMESPACE: ""}
    if not same or launched.popen.poll() is not None:
        launched.stop()
        return None
    return launched


def discard_early() -> None:
    """Stop the early worker if no pool took it."""
    global _early
    launched, _early = _early, None
    if launched is not None:
        launched.stop()
