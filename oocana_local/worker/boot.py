"""The first code a worker runs: say ``ready`` at once, import everything else after.

Only builtin modules are touched before ``ready`` goes out, so the engine sees a worker
within a few milliseconds of the interpreter's own start; run messages sent meanwhile
wait in the socket buffer while the rest is imported.
"""

import os
import sys


def _fd_from(argv: list) -> int:
    for i, arg in enumerate(argv):
        if arg == "--fd" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--fd="):
            return int(arg[5:])
    raise SystemExit("usage: python -m oocana_local.worker --fd N  (N: a socket inherited "
                     "from the oocana-local engine)")


def main(argv: list | None = None) -> None:
    fd = _fd_from(sys.argv[1:] if argv is None else argv)
    try:  # the engine handles Ctrl-C and kills its workers
        import _signal

        _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    except (ImportError, AttributeError, ValueError):
        pass
    try:
        from _pickle import dumps
    except ImportError:  # not CPython
        from pickle import dumps
    if "OOCANA_LOCAL_DEBUG_PORT" in os.environ:  # a debug run: listen before ready
        from .debug import listen

        listen()
    payload = dumps({"type": "ready", "pid": os.getpid()}, 5)
    os.write(fd, len(payload).to_bytes(4, "big") + payload)  # framing of protocol.py

    from .serve import serve

    serve(fd)
