"""Errors that end a job before its block runs, with a message that says it all."""

from __future__ import annotations

__all__ = ["JobSetupError"]


class JobSetupError(Exception):
    """The job cannot start (its code cannot be loaded, an input cannot be decoded, a
    secret is missing): the message is the job's error, without a traceback."""
