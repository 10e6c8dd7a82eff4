"""Logging a browser in, as Jupyter does: ``/?token=...`` once, then a cookie.

The cookie holds the token itself, ``HttpOnly`` and ``SameSite=Strict`` (so another site
can neither read it nor make the browser send it with a form post). API clients that
watch a run's events may send ``Authorization: Bearer <token>`` instead.
"""

from __future__ import annotations

from fastapi import Request

from ..http import TokenCheck

__all__ = ["COOKIE", "signed_in", "cookie_args"]

COOKIE = "oocana_local_token"


def signed_in(request: Request, token: TokenCheck) -> bool:
    return (token.matches(request.cookies.get(COOKIE))
            or token.bearer(request.headers.get("authorization")))


def cookie_args(value: str) -> dict[str, object]:
    return {"key": COOKIE, "value": value, "httponly": True, "samesite": "strict",
            "path": "/"}
