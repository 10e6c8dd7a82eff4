"""What every router gets: the run manager and the token."""

from __future__ import annotations

from dataclasses import dataclass

from .http import TokenCheck
from .runs import RunManager

__all__ = ["ServerState"]


@dataclass
class ServerState:
    runs: RunManager
    token: TokenCheck
