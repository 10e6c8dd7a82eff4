"""Make ``from oocana import Context`` work in the test process.

Workers put ``oocana_local/_shim`` on ``sys.path`` themselves; a test that imports a
block module in-process needs the same, unless the real ``oocana`` package is installed.
"""

from __future__ import annotations

import importlib.util
import os
import sys

__all__ = ["SHIM_DIR", "ensure_oocana_importable"]

SHIM_DIR = os.path.dirname(os.path.abspath(__file__))


def ensure_oocana_importable() -> None:
    """Append the shim to ``sys.path`` when no ``oocana`` package can be imported."""
    if SHIM_DIR in sys.path or "oocana" in sys.modules:
        return
    if importlib.util.find_spec("oocana") is None:
        sys.path.append(SHIM_DIR)
