"""A worker measures the block code it runs when the engine's process is measured by
coverage.py (``executor/coverage_bridge.py`` names the settings in the environment).

Data is saved before each job's ``BlockFinished``: the engine merges it once the run is
over, and a worker may be killed at any time after its job ended.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ENV", "active", "save", "start"]

ENV = "OOCANA_LOCAL_COVERAGE"  # executor/coverage_bridge.py's ENV
_QUIET = ["no-data-collected", "module-not-imported", "module-not-measured",
          "already-imported", "couldnt-parse"]

_cov: Any = None


def start() -> None:
    """Start measuring when the engine asked for it."""
    global _cov
    raw = os.environ.pop(ENV, None)  # a block's own Python subprocesses are not ours
    if not raw:
        return
    try:
        import json

        import coverage

        settings = json.loads(raw)
        cov = coverage.Coverage(data_suffix=True, **settings)
        quiet = cov.get_option("run:disable_warnings")
        cov.set_option("run:disable_warnings",
                       [*(quiet if isinstance(quiet, list) else []), *_QUIET])
        cov.start()
    except Exception as exc:  # e.g. coverage missing from this interpreter
        sys.stderr.write(f"oocana-local: block code in this worker is not measured: {exc}\n")
        return
    _cov = cov


def active() -> bool:
    return _cov is not None


def save() -> None:
    if _cov is not None:
        try:
            _cov.save()
        except Exception as exc:
            sys.stderr.write(f"oocana-local: cannot save coverage data: {exc}\n")
