"""The "debugging" options of ``run`` and ``dev``: ``--debug``, ``--debug-port``,
``--node-debug-port`` (see docs/debugging.md)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_debug_args", "debug_settings"]


def _port_arg(flag: str) -> Any:
    def parse(text: str) -> int:
        try:
            port = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a port number, got {text!r}"
                                             ) from None
        if not 1 <= port <= 65535:
            raise argparse.ArgumentTypeError(f"{flag} must be from 1 to 65535, got {port}")
        return port

    return parse


def add_debug_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "debugging", "stop at breakpoints in blocks: jobs run one at a time, without "
                     "timeouts, and wait for a debugger to attach (docs/debugging.md)")
    group.add_argument("--debug", action="store_true",
                       help="run Python blocks under debugpy and Node.js blocks with the "
                            "inspector; breakpoint() and breakpoints set in your editor stop")
    group.add_argument("--debug-port", type=_port_arg("--debug-port"), default=5678,
                       metavar="N", help="debugpy's port on 127.0.0.1 (default 5678)")
    group.add_argument("--node-debug-port", type=_port_arg("--node-debug-port"),
                       default=9229, metavar="M",
                       help="the Node.js inspector's port on 127.0.0.1 (default 9229)")


def debug_settings(args: argparse.Namespace) -> Any:
    """The run's ``DebugSettings``, or None without ``--debug``."""
    if not getattr(args, "debug", False):
        return None
    from .debug_settings import DebugSettings

    return DebugSettings(python_port=args.debug_port, node_port=args.node_debug_port)
