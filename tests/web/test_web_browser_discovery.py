"""Which Chromium the browser tests drive, and what happens when there is none."""

from __future__ import annotations

import stat
from pathlib import Path

from browser import CHROMIUM_ENV, find_chromium, missing_browser_is_failure


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
    (tmp_path / "not-executable").write_text("")
    found, why = find_chromium({CHROMIUM_ENV: str(tmp_path / "not-executable")},
                               str(tmp_path / "nope"), fallback=str(tmp_path / "none"))
    assert found is None
    assert why.startswith("no Chromium found; tried")
    assert "not an executable file" in why and "not installed" in why


def test_ci_makes_a_missing_browser_a_failure():
    assert missing_browser_is_failure({"CI": "true"})
    assert not missing_browser_is_failure({})
    assert not missing_browser_is_failure({"CI": ""})
