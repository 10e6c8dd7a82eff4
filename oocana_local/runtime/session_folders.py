"""Session folders do not pile up.

A run writes its files (saved previews, ``oomol/bin`` outputs, whatever blocks put in
``context.session_dir``) to ``<tmp>/oocana-local/<session id>/``. The rule:

* when a run ends, its folder is marked finished;
* when a run starts, finished folders beyond the ``OOCANA_KEEP_SESSIONS`` most recent
  (default 10) are deleted, except those kept with ``--keep-session``; a folder never
  marked finished (its run was killed) is deleted once it is a day old;
* plotly.js, which plotly previews load, is stored once in ``<tmp>/oocana-local/shared/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path

__all__ = ["session_root", "begin", "finish", "keep", "prune", "KEEP_DEFAULT"]

KEEP_DEFAULT = 10
SHARED = "shared"
_FINISHED = ".finished"
_KEPT = ".keep"
_STALE = 24 * 3600.0  # seconds after which an unfinished folder is a leftover


def session_root() -> Path:
    return Path(tempfile.gettempdir()) / "oocana-local"


def _kept_count() -> int:
    try:
        return max(0, int(os.environ.get("OOCANA_KEEP_SESSIONS", KEEP_DEFAULT)))
    except ValueError:
        return KEEP_DEFAULT


def begin(folder: Path) -> None:
    """A run starts in ``folder``: it is not finished (a reused session id), and older
    folders beyond the rule go."""
    with contextlib.suppress(OSError):
        (folder / _FINISHED).unlink()
    if folder.parent == session_root():
        prune(exclude=folder)


def finish(folder: Path) -> None:
    """The run of ``folder`` ended; a run that wrote nothing has no folder to mark."""
    if folder.is_dir():
        with contextlib.suppress(OSError):
            (folder / _FINISHED).touch()


def keep(folder: Path) -> None:
    """Never delete ``folder`` (``--keep-session``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _KEPT).touch()


def prune(root: Path | None = None, *, exclude: Path | None = None,
          now: float | None = None) -> list[Path]:
    """Delete the session folders the rule gives up; returns them."""
    root = root or session_root()
    now = time.time() if now is None else now
    finished: list[tuple[float, Path]] = []
    removed: list[Path] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        if entry.name == SHARED or not entry.is_dir(follow_symlinks=False):
            continue
        folder = Path(entry.path)
        if folder == exclude or (folder / _KEPT).exists():
            continue
        try:
            finished.append(((folder / _FINISHED).stat().st_mtime, folder))
        except FileNotFoundError:
            with contextlib.suppress(OSError):
                if now - entry.stat().st_mtime > _STALE:
                    removed.append(folder)
        except OSError:
            continue
    finished.sort(reverse=True)
    removed += [folder for _, folder in finished[_kept_count():]]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed
