"""Where the debuggers of a debug run listen, and the checks made before it starts.

A debug run (``--debug``, ``Engine(debug=DebugSettings(...))``) runs its blocks behind
``executor/debug.py``'s ``DebugExecutor``; a worker learns it is debugged from its
environment (``PYTHON_PORT_ENV``, ``NODE_PORT_ENV``). The settings are apart from that
executor so that the command line and the engine can name and check them without it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import socket
import sys
from collections.abc import Callable

from .errors import UsageError

__all__ = ["DebugSettings", "NODE_PORT_ENV", "PYTHON_PORT_ENV", "check_debug_settings"]

PYTHON_PORT_ENV = "OOCANA_LOCAL_DEBUG_PORT"
NODE_PORT_ENV = "OOCANA_LOCAL_NODE_DEBUG_PORT"
HOST = "127.0.0.1"

DEBUGPY_MISSING = ("--debug needs debugpy in the Python that runs oocana-local: "
                   "pip install 'oocana-local[debug]' (or pip install debugpy)")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclasses.dataclass(frozen=True)
class DebugSettings:
    """Where the debuggers of a debug run listen (always on 127.0.0.1)."""

    python_port: int = 5678
    node_port: int = 9229
    announce: Callable[[str], None] = _stderr
    """Says where to attach (one line per language); stderr by default."""

    def python_line(self) -> str:
        return (f"oocana-local: Python blocks wait for a debugger on {HOST}:{self.python_port}"
                " - attach with VS Code's \"Python: Remote Attach\" (port "
                f"{self.python_port}) or any DAP client; Ctrl-C stops")

    def node_line(self) -> str:
        return (f"oocana-local: Node.js blocks wait for an inspector client on "
                f"{HOST}:{self.node_port} - open chrome://inspect in Chrome, or attach "
                f"VS Code (\"Attach\", port {self.node_port}); Ctrl-C stops")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def check_debug_settings(settings: DebugSettings) -> None:
    """``UsageError`` before anything starts: debugpy missing, a bad or busy port."""
    if importlib.util.find_spec("debugpy") is None:
        raise UsageError(DEBUGPY_MISSING)
    for flag, port in (("--debug-port", settings.python_port),
                       ("--node-debug-port", settings.node_port)):
        if not 1 <= port <= 65535:
            raise UsageError(f"{flag} must be a port number from 1 to 65535, got {port}")
        if not _port_free(port):
            raise UsageError(f"{HOST}:{port} is already in use (another debug run or "
                             f"debugger?); choose a free port with {flag} N")
    if settings.python_port == settings.node_port:
        raise UsageError("--debug-port and --node-debug-port must differ")
