"""``oocana-local run --report`` and ``oocana-local view``: one self-contained HTML file
that shows the run, previews included, with no server and no network."""

from __future__ import annotations

import subprocess
import sys

from browser import PACKAGE, REPO, RequestLog
from playwright.sync_api import expect


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oocana_local", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def open_offline(browser, path):
    log = RequestLog()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.on("request", log)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(path.resolve().as_uri())
    return context, page, log


def test_run_report_is_one_file_with_every_preview(browser, tmp_path):
    report = tmp_path / "out" / "report.html"
    done = cli("run", str(PACKAGE / "flows" / "showcase"), "--json", "--report", str(report))
    assert done.returncode == 0, done.stderr
    text = report.read_text()
    assert "<link" not in text.replace('<link rel="icon" href="data:,">', "")
    context, page, log = open_offline(browser, report)
    try:
        expect(page.locator("#run-status")).to_contain_text("completed")
        expect(page.locator('.node[data-node="show"] .word')).to_have_text("done")
        expect(page.locator(".preview-table th")).to_have_text(["city", "population"])
        expect(page.frame_locator("iframe.plotly").locator("svg.main-svg").first
               ).to_be_attached()
        expect(page.locator(".preview-markdown h1")).to_have_text("Report")
        expect(page.locator("#stop")).to_have_count(0)
    finally:
        context.close()
    assert [u for u in log.urls if not u.startswith(("file:", "data:", "about:"))] == []


def test_view_renders_an_events_file(browser, tmp_path):
    events = tmp_path / "failing.jsonl"
    cli("run", str(PACKAGE / "flows" / "failing"), "--json", "--events", str(events))
    page_file = tmp_path / "failing.html"
    shown = cli("view", str(events), "-o", str(page_file), "--no-open")
    assert shown.returncode == 0, shown.stderr
    assert str(page_file) in shown.stdout
    context, page, _ = open_offline(browser, page_file)
    try:
        expect(page.locator('.node[data-node="boom"] .word')).to_have_text("failed")
        expect(page.locator("#errors")).to_contain_text("refuses code 7")
        expect(page.locator("#run-status")).to_contain_text("failed")
    finally:
        context.close()


def test_view_of_a_file_that_is_not_events_says_so(tmp_path):
    bad = tmp_path / "notes.jsonl"
    bad.write_text("hello\nworld\n")
    shown = cli("view", str(bad), "--no-open")
    assert shown.returncode == 2
    assert "not a JSON line" in shown.stderr
