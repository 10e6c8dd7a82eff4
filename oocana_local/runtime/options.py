"""What a run is asked to do: one object from ``Engine.run`` down to the ``Session``.

``RunOptions.resolve()`` is the one place that decides the session id, the session folder
and the secrets file of a run, and refuses what cannot be.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..paths import session_root

if TYPE_CHECKING:
    from .cache import NodeCache

__all__ = ["RunOptions", "check_session_id"]

_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def check_session_id(session_id: str) -> str:
    """A session id names a folder under ``session_root()``: no separators, no ``..``."""
    if not _SESSION_ID.fullmatch(session_id) or ".." in session_id:
        raise UsageError(
            f"session id {session_id!r} is not allowed: use 1-128 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit (it names the session's folder)")
    return session_id


@dataclass
class RunOptions:
    """Everything a run can be given besides its target and its subscribers."""

    inputs: dict[str, Any] | None = None
    nodes_inputs: dict[str, dict[str, Any]] | None = None
    nodes: list[str] | None = None
    """Run only these nodes and what they need upstream."""
    session_id: str | None = None
    session_dir: str | os.PathLike[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment for blocks (``OOMOL_*`` variables, ...)."""
    cache: NodeCache | bool | None = None
    """True (or a ``NodeCache``): reuse results of unchanged nodes."""
    secrets_file: str | os.PathLike[str] | None = None

    def merged(self, **overrides: Any) -> RunOptions:
        """A copy with the given fields set (None leaves a field as it is)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def resolve(self) -> RunOptions:
        """A copy with the session id, session folder and secrets file decided."""
        session_id = check_session_id(self.session_id) if self.session_id else _random_uuid()
        session_dir = Path(self.session_dir) if self.session_dir is not None \
            else session_root() / session_id
        return replace(self, session_id=session_id, session_dir=session_dir,
                       secrets_file=_secrets_file(self.secrets_file),
                       nodes=list(self.nodes) if self.nodes is not None else None)


def _random_uuid() -> str:
    """``str(uuid.uuid4())`` without importing ``uuid`` (and ``platform``): ~5 ms of
    every run."""
    octets = bytearray(os.urandom(16))
    octets[6] = octets[6] & 0x0F | 0x40  # version 4
    octets[8] = octets[8] & 0x3F | 0x80  # the RFC 4122 variant
    text = octets.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _secrets_file(given: str | os.PathLike[str] | None) -> str | None:
    """The one given, else ``$OOCANA_SECRETS_FILE``, else oocana's
    ``~/app-config/oomol-secrets/secrets.json`` when it exists."""
    from ..secrets import default_secrets_file

    if given is None:
        given = os.environ.get("OOCANA_SECRETS_FILE") or None
        if given is None:
            return default_secrets_file()
    path = os.path.abspath(os.path.expanduser(str(given)))
    if not os.path.isfile(path):
        raise UsageError(f"secrets file {path} does not exist (given with --secrets, "
                         "secrets_file= or $OOCANA_SECRETS_FILE)")
    return path
