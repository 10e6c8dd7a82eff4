"""The test session's own HOME: nothing a test does lands in the home folder of whoever
runs the suite (package data, the node cache, the run store, npm's and pip's caches).

``isolate()`` runs once, when ``tests/conftest.py`` is imported, before any test or
worker process starts: every process of the session inherits the environment it sets.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# What the session's HOME may hold at the end, and who writes it:
ALLOWED = {
    ".oocana-local": "package data folders, the node cache and serve.db of the tests",
    ".cache": "caches of tools the tests run (pip, matplotlib, esbuild when not shared)",
    ".npm": "npm's cache (bootstrap tests run npm install)",
    ".config": "settings folders that libraries create on first use (matplotlib)",
    ".ray": "Ray's own files (the ray executor tests start local Ray runtimes)",
}


@dataclass(frozen=True)
class Isolation:
    real_home: Path
    home: Path
    node_tools: Path
    """Where the session finds esbuild: the real tools cache when it already holds
    esbuild (read, never written), else a folder under the session's HOME."""


SESSION: Isolation | None = None
"""The test session's isolation, once ``isolate()`` ran."""


def _playwright_browsers(real_home: Path) -> Path:
    """Playwright's own browser folder for the real user (it looks under HOME)."""
    if sys.platform == "darwin":
        return real_home / "Library" / "Caches" / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME") or real_home / ".cache") / "ms-playwright"


# Tools installed under the real HOME that find themselves through it: they keep working
# (read from where they are), and their settings still apply.
_TOOL_HOMES = {"RUSTUP_HOME": ".rustup", "CARGO_HOME": ".cargo", "PYENV_ROOT": ".pyenv"}
_SETTINGS = {"NPM_CONFIG_USERCONFIG": [".npmrc"],
             "PIP_CONFIG_FILE": [".config/pip/pip.conf", ".pip/pip.conf"]}


def _keep_tools(real_home: Path) -> None:
    for name, folder in _TOOL_HOMES.items():
        if name not in os.environ and (real_home / folder).is_dir():
            os.environ[name] = str(real_home / folder)
    for name, files in _SETTINGS.items():
        found = [real_home / f for f in files if (real_home / f).is_file()]
        if name not in os.environ and found:
            os.environ[name] = str(found[0])


def _matplotlib_fonts(real_cache: Path, home: Path) -> Path:
    """matplotlib's folder in the session's HOME, with the font list it already made for
    the real user: without it the first import in a block scans the fonts (seconds) and
    says so in that block's log, which would depend on the order tests run in."""
    folder = home / ".config" / "matplotlib"
    folder.mkdir(parents=True)
    for fonts in real_cache.glob("fontlist-*.json"):
        shutil.copy2(fonts, folder / fonts.name)
    if not any(folder.iterdir()):  # a fresh machine: make it once, here
        import subprocess

        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"],
                       env={**os.environ, "MPLCONFIGDIR": str(folder)},
                       capture_output=True, check=False, timeout=300)
    return folder


def isolate() -> Isolation:
    from oocana_local.node_tools import find_esbuild, tools_dir

    real_home = Path.home()
    real_tools = tools_dir()
    shared_esbuild = find_esbuild() is not None and not os.environ.get("OOCANA_LOCAL_ESBUILD")
    browsers = _playwright_browsers(real_home)
    real_cache = Path(os.environ.get("MPLCONFIGDIR") or os.environ.get("XDG_CACHE_HOME")
                      or real_home / ".cache")
    if "MPLCONFIGDIR" not in os.environ:
        real_cache = real_cache / "matplotlib"
    home = Path(tempfile.mkdtemp(prefix="oocana-local-test-home-"))
    _keep_tools(real_home)
    os.environ["HOME"] = str(home)
    os.environ["XDG_CACHE_HOME"] = str(home / ".cache")
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    os.environ["OOCANA_LOCAL_HOME"] = str(home / ".oocana-local")
    os.environ.pop("OOCANA_CACHE_DIR", None)
    os.environ["MPLCONFIGDIR"] = str(_matplotlib_fonts(real_cache, home))
    os.environ.setdefault("PLAYWRIGHT_BROWSERS_PATH", str(browsers))
    if "OOCANA_LOCAL_NODE_TOOLS" not in os.environ:
        # Node tests need esbuild: use the one already installed, else install it here.
        tools = real_tools if shared_esbuild else home / ".cache" / "oocana-local" / "node-tools"
        os.environ["OOCANA_LOCAL_NODE_TOOLS"] = str(tools)
    global SESSION
    SESSION = Isolation(real_home=real_home, home=home,
                        node_tools=Path(os.environ["OOCANA_LOCAL_NODE_TOOLS"]))
    return SESSION


def unexpected(isolation: Isolation) -> list[str]:
    """What the session's HOME holds beyond ``ALLOWED``."""
    if not isolation.home.is_dir():
        return []
    return sorted(p.name for p in isolation.home.iterdir() if p.name not in ALLOWED)


def finish(isolation: Isolation) -> list[str]:
    """Check the session's HOME, then delete it; returns the unexpected entries."""
    found = unexpected(isolation)
    shutil.rmtree(isolation.home, ignore_errors=True)
    return found
