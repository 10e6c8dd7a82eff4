"""A real ``oocana-local serve`` in a subprocess on a free loopback port, for the tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "pkg"
REPO = HERE.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``python -m oocana_local serve`` serving ``package`` (``tests/serve/pkg``) with a
    known token."""

    package = PACKAGE

    def __init__(self, home: Path, *, token: str = "test-token-1234",
                 db: Path | None = None, extra: tuple[str, ...] = ()):
        self.home = home
        self.token = token
        self.db = db or home / "serve.db"
        self.extra = extra
        self.port = 0
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        self.port = free_port()
        env = {**os.environ, "OOCANA_LOCAL_HOME": str(self.home)}
        env.pop("OOCANA_LOCAL_TOKEN", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oocana_local", "serve", str(self.package), "--port",
             str(self.port), "--token", self.token, "--db", str(self.db), *self.extra],
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

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(predicate, what: str, timeout: float = 60.0, every: float = 0.05):
    """Poll ``predicate`` until it returns something truthy (a bound, not a timing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what}")
