"""A web view test kit: a real ``oocana-local serve`` of ``tests/web/pkg`` in a
subprocess, and Debian's Chromium driven by Playwright (no browser is downloaded)."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "pkg"
sys.path.insert(0, str(HERE.parent / "serve"))
from server import Server, free_port  # noqa: E402, F401  (one way to start a test server)

REPO = HERE.parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


class WebServer(Server):
    """The serve tests' server, serving ``tests/web/pkg``."""

    package = PACKAGE

    def __init__(self, home: Path, *, token: str = "web-token-5678",
                 extra: tuple[str, ...] = ()):
        super().__init__(home, token=token, extra=extra)


class RequestLog:
    """Every URL a page asked for, to show none left the server's host."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, request) -> None:  # noqa: ANN001 (a playwright Request)
        self.urls.append(request.url)

    def foreign(self, host: str) -> list[str]:
        """URLs that are neither on ``host`` nor inside the page (data:, about:, blob:)."""
        out = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "about", "blob"):
                continue
            if parts.scheme == "file" and host == "":
                continue
            if parts.scheme in ("http", "https") and parts.netloc == host:
                continue
            out.append(url)
        return out
