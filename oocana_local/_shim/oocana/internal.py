"""``oocana.internal``: small helpers of oocana's executor. ``InternalAPI`` speaks through a
``Mainframe`` and so cannot be made here (see ``oocana.mainframe``)."""

from __future__ import annotations

import hashlib
import secrets
import string
from typing import Any

from .mainframe import MainframeUnavailable

__all__ = ["InternalAPI", "random_string", "string_hash"]

_ALPHABET = string.ascii_letters + string.digits


def random_string(length: int = 8) -> str:
    """``length`` random letters and digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def string_hash(text: str) -> str:
    """The SHA-256 of ``text`` (UTF-8) as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class InternalAPI:
    """oocana's ``context.internal`` (``update_node_weight``), which needs a Mainframe."""

    def __init__(self, client: Any, job_id: Any):
        raise MainframeUnavailable(
            "oocana.internal.InternalAPI sends its requests through oocana's MQTT client, "
            "which oocana-local does not have (no broker): node weights are not used here")
