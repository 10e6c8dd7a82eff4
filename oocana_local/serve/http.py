"""What the protocol routers share: errors with each protocol's body, the token check,
server-sent events, timestamps, and the request size limit."""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from datetime import datetime, timezone
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, StreamingResponse

from ..mainframe.jsonable import dumps

__all__ = ["ProtocolError", "TokenCheck", "iso", "sse", "sse_response", "BodyLimit",
           "protocol_error_handler", "http_error_handler", "json_response"]

SSE_HEADERS = {"Cache-Control": "no-cache", "Connection": "keep-alive",
               "X-Accel-Buffering": "no"}


class ProtocolError(Exception):
    """An HTTP error with the body its protocol's clients expect."""

    def __init__(self, status: int, body: dict[str, Any],
                 headers: dict[str, str] | None = None):
        super().__init__(str(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


async def protocol_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProtocolError)
    body = exc.body
    check = getattr(request.app.state, "token", None)
    if isinstance(check, TokenCheck):  # messages may quote what the client sent
        body = json.loads(check.redact(json.dumps(body)))
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Routing errors (no such route, wrong method) in the body shape of the protocol
    whose paths were asked for."""
    status = getattr(exc, "status_code", 500)
    message = str(getattr(exc, "detail", "")) or "error"
    path = request.url.path
    body: dict[str, Any]
    if path.startswith("/api/v2/"):
        body = {"error": {"code": "NOT_FOUND" if status == 404 else "BAD_REQUEST",
                          "message": message}}
    elif path.startswith(("/api/workflows/", "/api/jobs/", "/api/users/")):
        body = {"error": message, "code": "NOT_FOUND" if status == 404 else "BAD_REQUEST"}
    elif path.startswith("/v2/"):
        body = {"code": "NotFound" if status == 404 else "InvalidParameter",
                "message": message}
    else:
        body = {"success": False, "message": message, "error": message}
    return JSONResponse(body, status_code=status, headers=getattr(exc, "headers", None))


class SafeJSONResponse(JSONResponse):
    """JSON that never fails on values blocks produced (NaN, bytes, objects), encoded once."""

    def render(self, content: Any) -> bytes:
        return dumps(content).encode()


def json_response(body: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> JSONResponse:
    return SafeJSONResponse(body, status_code=status, headers=headers)


class TokenCheck:
    """Compares a presented token with the server's in constant time."""

    def __init__(self, token: str):
        self._token = token.encode()

    def matches(self, presented: str | None) -> bool:
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self._token)

    def redact(self, text: str) -> str:
        token = self._token.decode()
        return text.replace(token, "<token>") if token else text

    def bearer(self, value: str | None, *, raw_ok: bool = False) -> bool:
        """``Authorization: Bearer <token>`` (or the bare token when ``raw_ok``)."""
        if not value:
            return False
        scheme, _, rest = value.strip().partition(" ")
        if scheme.lower() == "bearer" and rest:
            return self.matches(rest.strip())
        return raw_ok and self.matches(value.strip())


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sse(data: str) -> bytes:
    """One server-sent event; a multi-line payload becomes several data lines."""
    return ("".join(f"data: {line}\n" for line in data.split("\n")) + "\n").encode()


def sse_response(frames: AsyncIterator[bytes], headers: dict[str, str] | None = None
                 ) -> StreamingResponse:
    return StreamingResponse(frames, media_type="text/event-stream",
                             headers={**SSE_HEADERS, **(headers or {})})


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]],
                 max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _too_large(send, self.max_bytes)
                return
        received = 0
        too_large = False

        async def limited() -> MutableMapping[str, Any]:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, self.max_bytes)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"success": False, "error": "request too large",
                       "message": f"the request body is over {limit} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
