"""Coverage of block code that runs in worker processes.

When the engine's own process is measured by coverage.py (``pytest --cov``, ``coverage
run -m pytest``, ``coverage run -m oocana_local run ...``), its Python workers measure
themselves with the same settings (``worker/coverage_hook.py``) and save their data to
a private folder before each job ends; after every run, and when the engine closes, that
data is merged into the measuring process's own. So block lines count as covered exactly
as code called in-process does, whatever combines or reports the data afterwards.

Nothing happens (and nothing is imported) unless the process is being measured.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["ENV", "collect", "worker_env"]

ENV = "OOCANA_LOCAL_COVERAGE"
_PREFIX = "worker"

_folder: Any = None  # a ``tempfile.TemporaryDirectory``: removed as this process exits


def _current() -> Any:
    """The running ``coverage.Coverage`` of this process, or None."""
    module = sys.modules.get("coverage")  # measured processes imported it already
    control = getattr(module, "Coverage", None)
    return control.current() if control is not None else None


def _data_folder() -> str:
    global _folder
    if _folder is None:
        import tempfile

        _folder = tempfile.TemporaryDirectory(prefix="oocana-local-coverage-")
    return str(_folder.name)


def _absolute(entries: Any) -> list[str] | None:
    """Folders relative to this process's cwd, made absolute (a worker's cwd differs);
    package names as they are."""
    if not entries:
        return None
    return [os.path.abspath(e) if os.path.isdir(e) else e for e in entries]


def worker_env() -> dict[str, str]:
    """What a Python worker needs to measure itself like this process (empty when this
    process is not measured)."""
    cov = _current()
    if cov is None:
        return {}
    import json

    config = cov.config
    settings = {
        "data_file": os.path.join(_data_folder(), _PREFIX),
        "config_file": os.path.abspath(config.config_file) if config.config_file else False,
        "source": _absolute(config.source),
        "source_pkgs": list(config.source_pkgs or []) or None,
        "source_dirs": _absolute(getattr(config, "source_dirs", None)),
        "include": _absolute_patterns(config.run_include),
        "omit": _absolute_patterns(config.run_omit),
        "branch": bool(config.branch),
        "cover_pylib": bool(config.cover_pylib),
        "timid": bool(config.timid),
    }
    return {ENV: json.dumps(settings)}


def _absolute_patterns(patterns: Any) -> list[str] | None:
    if not patterns:
        return None
    return [p if os.path.isabs(p) or p.startswith("*") else os.path.abspath(p)
            for p in patterns]


def collect() -> None:
    """Merge what the workers measured so far into this process's coverage data (the
    workers' files are cumulative, so merging again adds nothing twice)."""
    if _folder is None:
        return
    import glob

    cov = _current()
    files = glob.glob(os.path.join(_folder.name, f"{_PREFIX}.*"))
    if cov is None or not files:
        return
    from coverage import CoverageData

    # The mid-run look at the data must not warn as if the run were over.
    quiet = {name: getattr(cov, name) for name in ("_warn_no_data", "_warn_unimported_source")
             if hasattr(cov, name)}
    for name in quiet:
        setattr(cov, name, False)
    try:
        data = cov.get_data()
    finally:
        for name, value in quiet.items():
            setattr(cov, name, value)
    for path in files:
        measured = CoverageData(basename=path)
        try:
            measured.read()
            data.update(measured)
        except Exception as exc:  # a worker killed while saving: the rest still counts
            print(f"oocana-local: coverage data of a worker could not be read ({exc})",
                  file=sys.stderr)
