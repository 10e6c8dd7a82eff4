"""The command line never shows a traceback of the engine's own.

Whatever escapes a command becomes one line on stderr and exit code 2: a worker that
cannot start (with the likely cause), a file that cannot be read, a value nested too
deeply, or, for a fault of the engine itself, its type and message with a way to see the
traceback (``OOCANA_LOCAL_TRACEBACK=1``). Ctrl-C is not touched.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import ManifestError, OocanaLocalError, WorkerError

__all__ = ["reported", "Outcome", "describe"]

EXIT_USAGE = 2


class Outcome:
    code = EXIT_USAGE


def describe(exc: BaseException) -> str:
    """One clear line (or a few, for manifest problems) about ``exc``."""
    if isinstance(exc, WorkerError):
        cause = exc.__cause__
        hint = ""
        if isinstance(cause, OSError) and cause.errno in (errno.EMFILE, errno.ENFILE):
            hint = ("; the process is out of file descriptors: raise the limit "
                    "(ulimit -n) or lower --max-workers")
        elif isinstance(cause, OSError) and cause.errno in (errno.EAGAIN, errno.ENOMEM):
            hint = "; the system cannot start more processes: lower --max-workers"
        return f"{exc}{hint}"
    if isinstance(exc, ManifestError):
        return "\n".join(p.format() for p in exc.problems) or str(exc)
    if isinstance(exc, OocanaLocalError):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "a value is nested too deeply to handle (Python's recursion limit)"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            return (f"out of file descriptors{where}: raise the limit (ulimit -n) or lower "
                    "--max-workers")
        return f"{exc.strerror or exc}{where}"
    return (f"internal error: {type(exc).__name__}: {exc} (set OOCANA_LOCAL_TRACEBACK=1 to "
            "see where)")


@contextmanager
def reported() -> Iterator[Outcome]:
    outcome = Outcome()
    try:
        yield outcome
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        if os.environ.get("OOCANA_LOCAL_TRACEBACK"):
            raise
        try:
            print(f"oocana-local: {describe(exc)}", file=sys.stderr)
        except Exception:  # stderr itself is gone: the exit code still says it
            pass
        outcome.code = EXIT_USAGE
