"""``oocana-local bootstrap PATH``: install what a package's blocks need, as OOMOL does.

* ``scripts.bootstrap`` of ``package.oo.yaml`` when there is one (run with ``sh -c`` in
  the package folder): it is the package's own recipe and replaces the steps below;
* else ``npm install`` where there is a ``package.json``, and ``pip install`` of the
  Python dependencies the package declares (``requirements.txt``, or ``[project]
  dependencies`` of ``pyproject.toml``);
* and esbuild (it compiles TypeScript blocks) and typescript with ``@types/node`` (``check``
  type-checks with them) into the tools cache when the package has ``.ts`` files, or when
  ``--node-tools`` asks for it.

Each step prints its command and output as it goes; a summary ends the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Step", "bootstrap", "plan", "python_deps", "bootstrap_script"]

NODE_TOOLS_STEP = "esbuild and typescript (TypeScript blocks)"
_SKIP_DIRS = {"node_modules", ".git", ".venv", "venv", "__pycache__", ".scriptlets"}


@dataclass
class Step:
    name: str
    command: list[str] | None
    """None for a step done in-process (the Node.js tools install)."""
    ok: bool | None = None
    seconds: float = 0.0
    detail: str = ""


def _has_typescript(root: Path) -> bool:
    for _folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS]
        if any(f.endswith((".ts", ".mts", ".tsx")) for f in files):
            return True
    return False


def python_deps(root: Path) -> list[str] | None:
    """pip arguments for the declared Python dependencies, or None when there are none."""
    if (root / "requirements.txt").is_file():
        return ["-r", str(root / "requirements.txt")]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            import tomllib  # type: ignore[import-not-found, unused-ignore]
        except ImportError:  # Python 3.10: read requirements.txt only
            return None
        try:
            data = tomllib.loads(pyproject.read_text())
        except (OSError, ValueError):
            return None
        deps = (data.get("project") or {}).get("dependencies") or []
        return [str(d) for d in deps] or None
    return None


def bootstrap_script(root: Path) -> str | None:
    """``scripts.bootstrap`` of the package's ``package.oo.yaml``, if it has one."""
    import yaml

    manifest = root / "package.oo.yaml"
    if not manifest.is_file():
        return None
    try:
        data = yaml.safe_load(manifest.read_text()) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if isinstance(scripts, dict) and isinstance(scripts.get("bootstrap"), str):
        return str(scripts["bootstrap"])
    return None


def plan(root: Path, *, node_tools: bool = False) -> list[Step]:
    """The steps ``bootstrap`` runs for the package at ``root``, in order."""
    steps: list[Step] = []
    script = bootstrap_script(root)
    if script is not None:
        steps.append(Step("scripts.bootstrap", ["sh", "-c", script]))
    else:
        if (root / "package.json").is_file():
            steps.append(Step("npm install", ["npm", "install", "--no-audit", "--no-fund"]))
        deps = python_deps(root)
        if deps:
            steps.append(Step("pip install", [sys.executable, "-m", "pip", "install", *deps]))
    if node_tools or _has_typescript(root):
        steps.append(Step(NODE_TOOLS_STEP, None))
    return steps


def _run_command(step: Step, root: Path, out: Callable[[str], None]) -> None:
    assert step.command is not None
    command, env = step.command, None
    if command[0] == "npm":
        from .node_tools import npm_command

        try:
            npm, env = npm_command()
        except Exception as exc:
            step.ok, step.detail = False, str(exc)
            return
        command = [*npm, *command[1:]]
    try:
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    except OSError as exc:
        step.ok, step.detail = False, f"cannot start {step.command[0]}: {exc}"
        return
    assert proc.stdout is not None
    for line in proc.stdout:
        out("  " + line.rstrip("\n"))
    code = proc.wait()
    step.ok = code == 0
    if code != 0:
        step.detail = f"exit code {code}"


def bootstrap(path: str | os.PathLike[str], *, node_tools: bool = False,
              out: Callable[[str], None] = print) -> list[Step]:
    """Run every step of ``plan`` for the package at ``path``; returns them with results."""
    from .node_tools import install_node_tools, node_tools_specs, tools_dir

    root = Path(path).resolve()
    if root.is_file():
        root = root.parent
    steps = plan(root, node_tools=node_tools)
    for index, step in enumerate(steps, 1):
        specs = node_tools_specs() if step.command is None else []
        shown = " ".join(step.command) if step.command else \
            f"npm install {' '.join(specs)}" if specs else f"already in {tools_dir()}"
        out(f"[{index}/{len(steps)}] {step.name}: {shown}")
        started = time.perf_counter()
        if step.command is not None:
            _run_command(step, root, out)
        else:
            try:
                install_node_tools(specs)
                step.ok, step.detail = True, str(tools_dir())
            except Exception as exc:
                step.ok, step.detail = False, str(exc)
        step.seconds = time.perf_counter() - started
    return steps


def summary(steps: list[Step]) -> str:
    if not steps:
        return "nothing to install (no scripts.bootstrap, package.json or Python dependencies)"
    lines = []
    for step in steps:
        mark = "ok" if step.ok else "FAILED"
        lines.append(f"  {mark:6} {step.name} ({step.seconds:.1f} s)"
                     + (f": {step.detail}" if step.detail else ""))
    failed = sum(not s.ok for s in steps)
    lines.append(f"{len(steps) - failed} of {len(steps)} step(s) done" +
                 (f", {failed} failed" if failed else ""))
    return "\n".join(lines)
