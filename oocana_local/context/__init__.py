"""The block ``Context``: what ``main(params, context)`` talks to.

The Context only builds messages; a *sink* carries them (a socket inside a worker, a list in
unit tests). Importing this package stays cheap: it runs inside every worker.
"""

from .block_job import BlockExecuteException, BlockJob
from .context import KEEP_ALIVE, Context
from .values import ValueStore

__all__ = ["Context", "BlockJob", "BlockExecuteException", "KEEP_ALIVE", "ValueStore"]
