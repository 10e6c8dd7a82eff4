"""Make the web view's screenshots in this folder (flow page, finished run page).

    python docs/screenshots/make.py

Serves ``tests/web/pkg`` with ``oocana-local serve`` on a free port, runs the showcase
flow from its page and photographs both pages at 1280×800 with Debian's Chromium
(``apt-get install chromium``), driven by Playwright as the web tests do.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests" / "web"))

from browser import CHROMIUM, CHROMIUM_ARGS, WebServer  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402


def main() -> None:
    expect.set_options(timeout=90_000)
    with tempfile.TemporaryDirectory() as home:
        server = WebServer(Path(home)).start()
        try:
            shoot(server)
        finally:
            server.stop()


def shoot(server: WebServer) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(60_000)
        page.goto(f"{server.url}/?token={server.token}")
        page.goto(f"{server.url}/flows/showcase")
        page.get_by_role("button", name="expand").click()
        page.mouse.move(0, 0)
        page.screenshot(path=str(HERE / "flow-page.png"))
        page.get_by_role("button", name="Run", exact=True).click()
        page.wait_for_url("**/runs/*")
        expect(page.locator("#run-status")).to_contain_text("completed")
        chart = page.frame_locator("iframe.plotly")
        expect(chart.locator("svg.main-svg").first).to_be_attached()
        page.evaluate("document.querySelector('details').open = true")
        page.screenshot(path=str(HERE / "run-page.png"))
        page.locator("iframe.plotly").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -260)")
        # Frames off screen are painted once scrolled into view: wait for the chart.
        expect(chart.locator(".bars path").first).to_be_visible()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(HERE / "run-previews.png"))
        browser.close()
    for name in ("flow-page.png", "run-page.png", "run-previews.png"):
        print(HERE / name)


if __name__ == "__main__":
    main()
