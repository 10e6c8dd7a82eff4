from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from browser import (  # noqa: E402
    CHROMIUM_ARGS,
    HOW_TO_GET_ONE,
    RequestLog,
    WebServer,
    find_chromium,
    missing_browser_is_failure,
)
from playwright import sync_api  # noqa: E402  (the dev extra installs it)

# A generous bound on every wait for the page (runs start worker processes on a busy
# machine); waits end as soon as the page shows what they wait for.
sync_api.expect.set_options(timeout=90_000)


def _chromium(playwright: sync_api.Playwright) -> str:
    try:
        own: str | None = playwright.chromium.executable_path
    except Exception:  # noqa: BLE001 (this Playwright knows no browser of its own)
        own = None
    found, where = find_chromium(os.environ, own)
    if found is None:
        message = f"browser tests: {where}; {HOW_TO_GET_ONE}"
        if missing_browser_is_failure(os.environ):
            pytest.fail(f"{message} (CI=true: a browser is required)")
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def web(tmp_path_factory):
    """One server for the browser tests."""
    home = tmp_path_factory.mktemp("web-home")
    events = home / "recorded"
    events.mkdir()
    subprocess.run([sys.executable, "-m", "oocana_local", "run",
                    str(Path(__file__).parent / "pkg" / "flows" / "failing"), "--json",
                    "--events", str(events / "failing-run.jsonl")],
                   capture_output=True, check=False, timeout=300)
    server = WebServer(home, extra=("--events", str(events))).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API keeps an event loop running in this thread while
    # it is open, and tests elsewhere run their own loops.
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=_chromium(playwright),
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, web):
    """A fresh browser profile; afterwards, no request may have left the server's host."""
    log = RequestLog()
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.on("request", log)
    ctx.request_log = log
    yield ctx
    ctx.close()
    assert log.foreign(f"127.0.0.1:{web.port}") == []


@pytest.fixture
def page(context, web):
    """A page logged in the way a user does: the URL that serve prints."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{web.url}/?token={web.token}")
    return page


@pytest.fixture
def gate(tmp_path):
    path = tmp_path / "gate"
    yield path
    path.touch()

