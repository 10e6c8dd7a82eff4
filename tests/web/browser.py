"""A web view test kit: a real ``oocana-local serve`` of ``tests/web/pkg`` in a
subprocess, and a Chromium driven by Playwright (no browser is downloaded)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "pkg"
sys.path.insert(0, str(HERE.parent / "serve"))
from server import Server, free_port  # noqa: E402, F401  (one way to start a test server)

REPO = HERE.parent.parent
CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium (apt-get install chromium), the last place looked at."""
CHROMIUM_ENV = "OOCANA_LOCAL_CHROMIUM"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def find_chromium(env: Mapping[str, str], playwright_own: str | None,
                  fallback: str = CHROMIUM) -> tuple[str | None, str]:
    """The browser the tests drive and where it came from, or None and what was tried:
    ``$OOCANA_LOCAL_CHROMIUM`` (a choice made on purpose), Playwright's own Chromium
    (``playwright install chromium``), then ``fallback``."""
    tried = []
    named = env.get(CHROMIUM_ENV)
    if named:  # named on purpose: a wrong name is said, not passed over
        if _runnable(named):
            return named, f"${CHROMIUM_ENV}"
        return None, f"${CHROMIUM_ENV}={named} is not an executable file"
    if playwright_own:
        if _runnable(playwright_own):
            return playwright_own, "Playwright's own"
        tried.append(f"Playwright's own at {playwright_own} (not installed)")
    if _runnable(fallback):
        return fallback, fallback
    tried.append(fallback)
    return None, "no Chromium found; tried " + ", ".join(tried)


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def missing_browser_is_failure(env: Mapping[str, str]) -> bool:
    """In CI a missing browser fails the browser tests; elsewhere they are skipped."""
    return env.get("CI", "").lower() in ("1", "true", "yes")


HOW_TO_GET_ONE = (f"install one (apt-get install chromium, or python -m playwright install "
                  f"chromium) or set ${CHROMIUM_ENV} to a Chromium binary")


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
