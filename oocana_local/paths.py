"""Where oocana-local keeps what outlives one call."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["data_root", "session_root"]


def data_root() -> Path:
    """Data that outlives a run (package data folders, the node cache):
    ``$OOCANA_LOCAL_HOME``, else ``~/.oocana-local``."""
    env = os.environ.get("OOCANA_LOCAL_HOME")
    return Path(env) if env else Path.home() / ".oocana-local"


def session_root() -> Path:
    """Where session folders go unless a run names one: ``<tmp>/oocana-local``."""
    return Path(tempfile.gettempdir()) / "oocana-local"
