"""Which Chromium the browser tests drive, and what happens when there is none."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from browser import CHROMIUM_ENV, find_chromium, missing_browser_is_failure

HERE = Path(__file__).resolve().parent


def _binary(path: Path) -> str:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_the_named_browser_comes_first(tmp_path):
    named = _binary(tmp_path / "my-chromium")
    own = _binary(tmp_path / "playwright-chromium")
    assert find_chromium({CHROMIUM_ENV: named}, own, fallback=own) == (named, f"${CHROMIUM_ENV}")


def test_playwrights_own_then_the_system_one(tmp_path):
    own = _binary(tmp_path / "playwright-chromium")
    system = _binary(tmp_path / "system-chromium")
    assert find_chromium({}, own, fallback=system) == (own, "Playwright's own")
    assert find_chromium({}, str(tmp_path / "not-downloaded"), fallback=system) == (system, system)


def test_none_found_says_what_was_tried(tmp_path):
    found, why = find_chromium({}, str(tmp_path / "nope"), fallback=str(tmp_path / "none"))
    assert found is None
    assert why == (f"no Chromium found; tried Playwright's own at {tmp_path / 'nope'} (not "
                   f"installed), {tmp_path / 'none'}")


def test_a_wrong_named_browser_is_said_not_passed_over(tmp_path):
    (tmp_path / "not-executable").write_text("")
    system = _binary(tmp_path / "system-chromium")
    found, why = find_chromium({CHROMIUM_ENV: str(tmp_path / "not-executable")}, None,
                               fallback=system)
    assert found is None
    assert why == f"${CHROMIUM_ENV}={tmp_path / 'not-executable'} is not an executable file"


def test_ci_makes_a_missing_browser_a_failure():
    assert missing_browser_is_failure({"CI": "true"})
    assert not missing_browser_is_failure({})
    assert not missing_browser_is_failure({"CI": ""})


def _a_browser_test_without_a_browser(tmp_path: Path, ci: str | None):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env[CHROMIUM_ENV] = str(tmp_path / "no-browser-here")
    if ci is not None:
        env["CI"] = ci
    test = "test_web_pages.py::test_without_the_token_a_page_shows_the_login_form_and_no_data"
    return subprocess.run([sys.executable, "-m", "pytest", test, "-q", "-rs",
                           "-p", "no:cacheprovider"], cwd=HERE, env=env,
                          capture_output=True, text=True, timeout=300)


def test_without_a_browser_the_browser_tests_skip_with_the_reason(tmp_path):
    proc = _a_browser_test_without_a_browser(tmp_path, ci=None)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 skipped" in proc.stdout
    assert f"${CHROMIUM_ENV}={tmp_path / 'no-browser-here'} is not an executable file" \
        in proc.stdout
    assert "apt-get install chromium" in proc.stdout  # how to get one


def test_in_ci_a_missing_browser_fails(tmp_path):
    proc = _a_browser_test_without_a_browser(tmp_path, ci="true")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "CI=true: a browser is required" in proc.stdout
