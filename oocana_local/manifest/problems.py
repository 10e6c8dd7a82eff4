"""Problems found in manifests, each with where it is and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .resolved import Location

__all__ = ["Problem"]


@dataclass(frozen=True)
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
