"""A Python worker under a debugger, and ``breakpoint()`` in a worker that is not.

In a debug run (``executor/debug.py``, ``debug_settings.py``) the engine names a port in
the worker's environment: the worker listens there with debugpy before it says
``ready``, and waits for a client before its first job, so a breakpoint in the first
block already hits. A second worker (one that a waiting ``run_block`` needs) finds the
port taken and listens on a free one, which it names on stderr, without waiting.

Elsewhere ``breakpoint()`` would stop in pdb on a stdin the worker does not have: it
becomes a warning that names the line and ``--debug``, and the block goes on.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["PORT_ENV", "before_job", "install_breakpoint_hook", "listen"]

PORT_ENV = "OOCANA_LOCAL_DEBUG_PORT"  # debug_settings.py's PYTHON_PORT_ENV
_HOST = "127.0.0.1"

_waiting = False
"""Whether the first job must wait for a debugger client."""
_debugging = False


def listen() -> None:
    """Listen with debugpy on the port the engine named (its variable is removed, so a
    Python subprocess of a block does not try the same)."""
    global _waiting, _debugging
    port = int(os.environ.pop(PORT_ENV))
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # no frozen-modules note
    import debugpy

    if _bindable(port):
        debugpy.listen((_HOST, port))
        _waiting = True
    else:  # taken: the debug run's first worker has it
        host, free = debugpy.listen((_HOST, _free_port()))
        sys.stderr.write(f"oocana-local: this worker (for a block's run_block) listens for "
                         f"a debugger on {host}:{free}\n")
    _debugging = True


def _bindable(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((_HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((_HOST, 0))
        return int(probe.getsockname()[1])


def before_job() -> None:
    """Wait (without spinning) until a debugger client has attached, once."""
    global _waiting
    if _waiting:
        _waiting = False
        import debugpy

        debugpy.wait_for_client()


def install_breakpoint_hook() -> None:
    """``breakpoint()`` stops in the attached debugger, or warns and goes on."""
    if _debugging:
        import debugpy

        sys.breakpointhook = debugpy.breakpoint  # stops in the caller's frame
    else:
        sys.breakpointhook = _skipped_breakpoint


def _skipped_breakpoint(*args: Any, **kwargs: Any) -> None:
    if os.environ.get("PYTHONBREAKPOINT") == "0":  # breakpoints are off on purpose
        return
    frame = sys._getframe(1)
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
    warning = (f"breakpoint() at {where} was skipped: blocks run in worker processes "
               "without a terminal; run with --debug (oocana-local run PATH --debug) and "
               "attach a debugger to stop there")
    from .running import current_context

    context = current_context()
    try:
        context.send_warning(warning)  # shown in the terminal, and an event
    except Exception:  # no job (yet): the worker's stderr still reaches the engine
        sys.stderr.write(f"warning: {warning}\n")
