"""Per-job environment variables and directories.

A job's ``env`` (and ``OOCANA_PKG_DIR``) stays set until the next job starts, which puts
back whatever the previous job changed, so jobs of different packages never see each
other's variables. Only the difference is applied: most jobs repeat the same env.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["JobEnvironment", "PerRun", "ensure_dirs", "run_key"]

_UNSET = object()


class JobEnvironment:
    def __init__(self) -> None:
        self._saved: dict[str, Any] = {}  # original value (or _UNSET) of each key we set

    def apply(self, env: Mapping[str, str]) -> None:
        environ = os.environ
        for key in [k for k in self._saved if k not in env]:
            original = self._saved.pop(key)
            if original is _UNSET:
                environ.pop(key, None)
            else:
                environ[key] = original
        for key, value in env.items():
            if key not in self._saved:
                self._saved[key] = environ.get(key, _UNSET)
            if environ.get(key) != value:
                environ[key] = value


def job_env(job: Mapping[str, Any]) -> dict[str, str]:
    env = {str(k): str(v) for k, v in (job.get("env") or {}).items()}
    if job.get("pkg_dir"):
        env["OOCANA_PKG_DIR"] = job["pkg_dir"]
    return env


def run_key(job: Mapping[str, Any]) -> str:
    """What the jobs of one run share: their ids up to the last ``-``
    (``Session.new_job_id``)."""
    return str(job.get("job_id") or "").rpartition("-")[0]


class PerRun:
    """What this worker has done once for a run: ``(run_key, what)`` pairs. Runs come
    and go, so only recent ones are kept (forgetting one costs only doing it again)."""

    __slots__ = ("_done",)

    def __init__(self) -> None:
        self._done: set[tuple[str, str]] = set()

    def __contains__(self, item: tuple[str, str]) -> bool:
        return item in self._done

    def add(self, item: tuple[str, str]) -> None:
        if len(self._done) > 256:
            self._done.clear()
        self._done.add(item)


_made = PerRun()
"""The folders made sure of: the jobs of one run share them."""


def ensure_dirs(job: Mapping[str, Any]) -> None:
    """The job's folders exist, made (as oocana's engine does) once per run."""
    run = run_key(job)
    for key in ("session_dir", "tmp_dir", "tmp_pkg_dir", "pkg_dir"):
        folder = job.get(key)
        if folder and (run, folder) not in _made:
            if not os.path.isdir(folder):
                _own_root_of(folder)
                os.makedirs(folder, exist_ok=True)
            _made.add((run, folder))


def _own_root_of(folder: str) -> None:
    """A folder in the user's own temporary folder (on a Ray node, where the engine did
    not make it) is made only once that folder is sure to be the user's alone."""
    from ..paths import own_tmp_root, tmp_root

    if folder.startswith(str(tmp_root()) + os.sep):
        own_tmp_root()
