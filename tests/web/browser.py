"""A web view test kit: a real ``oocana-local serve`` of ``tests/web/pkg`` in a
subprocess, and Debian's Chromium driven by Playwright (no browser is downloaded)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "pkg"
REPO = HERE.parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebServer:
    def __init__(self, home: Path, *, token: str = "web-token-5678",
                 extra: tuple[str, ...] = ()):
        self.home = home
        self.token = token
        self.extra = extra
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        self.port = free_port()
        env = {**os.environ, "OOCANA_LOCAL_HOME": str(self.home)}
        env.pop("OOCANA_LOCAL_TOKEN", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oocana_local", "serve", str(PACKAGE), "--port",
             str(self.port), "--token", self.token, "--db", str(self.home / "serve.db"),
             *self.extra],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.proc.stdout.read()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not start within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


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
