"""The exceptions oocana-local raises.

* OocanaLocalError
  x ManifestError            a manifest could not be read or resolved (carries Problems)
  x UsageError               bad arguments: unknown node id, malformed --inputs JSON, ...
      x UnsafeFolderError    a folder to write to is not this user's alone
  x RunError                 a run ended in failure (carries the RunResult)
  x WorkerError              a worker process could not be started or talked to
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .manifest.problems import Problem

__all__ = ["OocanaLocalError", "ManifestError", "UsageError", "UnsafeFolderError", "RunError",
           "WorkerError"]


class OocanaLocalError(Exception):
    """Base class of every error oocana-local raises on purpose."""


class ManifestError(OocanaLocalError):
    """One or more manifests are invalid; ``problems`` lists each with file, line and hint."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems) or "invalid manifest")


class UsageError(OocanaLocalError, ValueError):
    """The caller asked for something that cannot be done as asked."""


class UnsafeFolderError(UsageError, PermissionError):
    """A folder oocana-local would write to or read from in the machine's shared temporary
    folder exists but is not this user's alone (another owner, a link, open to others):
    it is refused rather than used (``paths.own_folder``); so is a folder the user named
    that another user could put something in (``paths.user_folder``). A ``PermissionError`` too, so
    code that falls back on an ``OSError`` (a worker inlining plotly.js) does."""


class RunError(OocanaLocalError):
    """A run failed; ``result`` holds what it produced until then."""

    def __init__(self, message: str, result: Any = None):
        super().__init__(message)
        self.result = result


class WorkerError(OocanaLocalError):
    """A worker process could not be started or stopped responding."""
