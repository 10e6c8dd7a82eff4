"""A logging handler that turns each record into block log lines (worker and tests alike).

``logging`` is imported when the handler is made, not with this module: workers import
this on their start-up path and most blocks never log.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

__all__ = ["LOG_FORMAT", "line_handler"]

LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def line_handler(emit: Callable[[str, str], None]) -> logging.Handler:
    """A handler calling ``emit(line, stdio)`` per line; WARNING and above go to stderr."""
    import logging

    class LineHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                text = self.format(record)
            except Exception:
                self.handleError(record)
                return
            stdio = "stderr" if record.levelno >= logging.WARNING else "stdout"
            for line in text.split("\n"):
                emit(line, stdio)

    handler = LineHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler
