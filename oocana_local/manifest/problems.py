"""Problems found in manifests, each with where it is and how to fix it."""

from __future__ import annotations

from typing import Literal

from .._dataclass import lazy_dataclass
from .resolved import Location

__all__ = ["Problem"]


@lazy_dataclass(frozen=True)  # made with the first problem: most loads find none
class Problem:
    """One thing wrong with a manifest.

    ``severity`` is ``"error"`` (the flow cannot run) or ``"warning"`` (it runs, but
    something will not happen, e.g. a node that can never get its inputs).
    """

    severity: Literal["error", "warning"]
    message: str
    location: Location | None = None
    hint: str | None = None
    code: str | None = None
    """A compiler's code for the problem (``TS2322``), printed after the severity."""

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        code = f" {self.code}" if self.code else ""
        text = f"{where}{self.severity}{code}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.format()
