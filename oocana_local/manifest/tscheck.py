"""What ``check`` finds in TypeScript blocks with the TypeScript compiler: type errors, with
file:line:column and the TS code (``main.ts:3:7: error TS2322: ...``).

One ``tsc`` program per package (per tsconfig.json, when a package has several) holds the
entry files of all its TypeScript blocks and what they import; it writes nothing (``noEmit``).
Blocks of other packages that a flow uses are not checked.

* With a ``tsconfig.json`` (the nearest one between a block and its package root), its
  options apply as written, over what the worker provides anyway: Node.js types (ours when
  the package has none), ``~/`` for the package root, ``.ts`` in import paths, and
  ``skipLibCheck``.
* Without one, our defaults too: ``strict`` (as OOMOL's block template), ES2022 with
  ``module: preserve`` (ES modules and CommonJS ``export =`` alike) resolved like a
  bundler (extensionless and ``.js`` -> ``.ts`` imports, as the worker).

``@oomol/types/oocana`` (``import type { Context } ...``) is typed by ``nodejs/oocana.d.ts``
when the package has no ``@oomol/types`` installed, and a tsconfig.json that extends
``@oomol/types/tsconfig.oomol.json`` falls back to our defaults. What other checks already
report, or what is not the block's fault, is left out: the imports of npm packages that
``node_blocks`` reported as not installed, installed npm packages that ship no types (they
are ``any``), errors inside ``node_modules``, and files with a syntax error already reported.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import WorkerError
from .node_blocks import is_npm_installed
from .problems import Problem
from .resolved import Location, TaskBlock

__all__ = ["check_typescript_blocks", "OOCANA_TYPES"]

OOCANA_TYPES = Path(__file__).resolve().parent.parent / "nodejs" / "oocana.d.ts"
_TS = (".ts", ".mts", ".cts", ".tsx")
_DIAGNOSTIC = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\): "
                         r"(?P<severity>error|warning) (?P<code>TS\d+): (?P<message>.*)$")
_GLOBAL = re.compile(r"^(?P<severity>error|warning) (?P<code>TS\d+): (?P<message>.*)$")
_NOT_FOUND = {"TS2307", "TS2792", "TS6053", "TS2688"}
"""Cannot find module, cannot find module (with a hint), file not found (``extends``),
cannot find type definition file."""
_NO_TYPES = "TS7016"  # an installed JavaScript package without declarations: it is `any`
_FORCED = {"noEmit": True, "composite": False, "incremental": False, "declaration": False,
           "declarationMap": False, "emitDeclarationOnly": False}
"""Over any tsconfig.json: the check writes nothing and needs no project references."""


def check_typescript_blocks(blocks: Iterable[TaskBlock], found: list[Problem], *,
                            within: Path | None = None) -> list[Problem]:
    """Type-check the entry files of the TypeScript ``blocks``; ``found`` holds the problems
    reported so far (a file with a syntax error is not checked again). With ``within`` (the
    checked path), only blocks of the package around it: blocks of other packages that a
    flow uses are not the user's to fix."""
    broken = {p.location.file for p in found
              if p.location is not None and p.message.startswith("syntax error")}
    npm_missing = {(p.location.file.resolve(), p.location.line) for p in found
                   if p.location is not None and p.message.startswith("npm package ")}
    scope = None
    if within is not None:
        folder = within.resolve() if within.is_dir() else within.resolve().parent
        scope = _package_root(folder / "x")
    groups: dict[tuple[Path, Path | None], set[Path]] = {}
    for block in blocks:
        if block.source is not None or block.entry is None or \
                not block.entry.endswith(_TS):
            continue
        entry = (block.dir / block.entry).resolve()
        if not entry.is_file() or entry in broken or Path(block.dir / block.entry) in broken:
            continue
        if scope is not None and not entry.is_relative_to(scope):
            continue
        root = _package_root(entry)
        groups.setdefault((root, _tsconfig(entry, root)), set()).add(entry)
    if not groups:
        return []
    try:
        from ..node_tools import ensure_typescript, node_binary

        node = node_binary()
        typescript = ensure_typescript()
    except WorkerError as exc:
        first = min(min(files) for files in groups.values())
        return [Problem("error", f"TypeScript blocks were not type-checked: {exc}",
                        Location(first), "`oocana-local check --no-types` skips the type check")]
    problems: list[Problem] = []
    for (root, tsconfig), entries in sorted(groups.items(), key=lambda g: str(g[0])):
        problems += _run_tsc(node, typescript, root, tsconfig, sorted(entries), npm_missing)
    return problems


def _package_root(entry: Path) -> Path:
    """The folder of the nearest package.oo.yaml, else tsconfig.json, else package.json (as
    the worker's module hooks find it)."""
    fallback = None
    for folder in entry.parents:
        if (folder / "package.oo.yaml").is_file():
            return folder
        if fallback is None and ((folder / "tsconfig.json").is_file() or
                                 (folder / "package.json").is_file()):
            fallback = folder
    return fallback or entry.parent


def _tsconfig(entry: Path, root: Path) -> Path | None:
    for folder in entry.parents:
        if (folder / "tsconfig.json").is_file():
            return folder / "tsconfig.json"
        if folder == root:
            return None
    return None


def _has_oomol_types(root: Path) -> bool:
    return is_npm_installed(root, "@oomol/types")


def _environment(root: Path, typescript: Path) -> dict[str, object]:
    """What the worker provides whatever the tsconfig says: Node.js types (ours when the
    package has none), ``~/`` for the package root, ``.ts`` in import paths."""
    type_roots = [str(folder / "node_modules" / "@types") for folder in (root, *root.parents)
                  if (folder / "node_modules" / "@types").is_dir()]
    type_roots.append(str(typescript.parent / "@types"))  # @types/node beside typescript
    return {"typeRoots": type_roots, "paths": {"~/*": [str(root / "*")]},
            "allowImportingTsExtensions": True, "skipLibCheck": True}


_DEFAULTS = {
    "target": "ES2022", "module": "Preserve", "moduleResolution": "Bundler", "lib": ["ES2023"],
    "types": ["node"], "strict": True, "esModuleInterop": True, "resolveJsonModule": True,
    "forceConsistentCasingInFileNames": True, "jsx": "react-jsx",
}
"""Without a tsconfig.json (or in place of an uninstalled ``tsconfig.oomol.json``)."""
_EXTENDS = re.compile(r'"extends"\s*:\s*(\[[^\]]*\]|"[^"]*")')


def _options(root: Path, typescript: Path, tsconfig: Path | None) -> dict[str, object]:
    """The options under the package's tsconfig.json (which overrides them)."""
    options = _environment(root, typescript)
    if tsconfig is None or _extends_missing_oomol(tsconfig):
        options.update(_DEFAULTS)
    return options


def _extends_missing_oomol(tsconfig: Path) -> bool:
    try:
        found = _EXTENDS.search(tsconfig.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return False
    return found is not None and "@oomol/types" in found.group(1) and \
        not _has_oomol_types(tsconfig.parent)


def _run_tsc(node: str, typescript: Path, root: Path, tsconfig: Path | None,
             entries: list[Path], npm_missing: set[tuple[Path, int]]) -> list[Problem]:
    files = [str(e) for e in entries]
    if not _has_oomol_types(root):
        files.append(str(OOCANA_TYPES))
    with tempfile.TemporaryDirectory(prefix="oocana-local-tsc-") as temp:
        base = Path(temp) / "defaults.json"
        base.write_text(json.dumps({"compilerOptions": _options(root, typescript, tsconfig)}))
        project = Path(temp) / "tsconfig.json"
        extends = [str(base)] + ([str(tsconfig)] if tsconfig else [])
        project.write_text(json.dumps({"extends": extends, "files": files, "include": [],
                                       "compilerOptions": _FORCED}))
        command = [node, str(typescript / "bin" / "tsc"), "-p", str(project), "--pretty", "false"]
        try:
            done = subprocess.run(command, cwd=root, capture_output=True, text=True,
                                  timeout=600, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return [Problem("error", f"the TypeScript compiler did not run ({exc})",
                            Location(entries[0]), "`oocana-local check --no-types` skips it")]
        problems = _problems(done.stdout, root, tsconfig, Path(temp), npm_missing)
    understood = any(_DIAGNOSTIC.match(text) or _GLOBAL.match(text)
                     for text in done.stdout.splitlines())
    if done.returncode and not understood:  # it crashed, or printed what we cannot read
        tail = (done.stderr or done.stdout or "").strip().splitlines()[-3:]
        problems.append(Problem("error", "the TypeScript compiler failed: "
                                + " ".join(tail)[:500], Location(entries[0])))
    return problems


def _problems(output: str, root: Path, tsconfig: Path | None, temp: Path,
              npm_missing: set[tuple[Path, int]]) -> list[Problem]:
    """tsc's ``--pretty false`` lines: ``file(line,col): error TSnnnn: message`` (or
    ``error TSnnnn: message`` for the project), then indented lines that explain it."""
    problems: list[Problem] = []
    chain: list[str] | None = None  # the lines of the diagnostic being read, when kept
    for line in output.splitlines():
        if line.startswith(" ") and line.strip():
            if chain is not None:
                chain.append(line.strip())
            continue
        if chain is not None:
            problems[-1] = _with_message(problems[-1], chain)
        chain = None
        found = _DIAGNOSTIC.match(line) or _GLOBAL.match(line)
        if found is None:
            continue
        fields = found.groupdict()
        file = (root / fields["file"]).resolve() if fields.get("file") else None
        line_number = int(fields.get("line") or 0)
        if not _wanted(fields["code"], fields["message"], file, line_number, root, npm_missing):
            continue
        if file is None or file.is_relative_to(temp):
            where = Location(tsconfig) if tsconfig else None
        else:
            where = Location(file, line_number, int(fields["col"]))
        chain = [fields["message"]]
        problems.append(Problem("error" if fields["severity"] == "error" else "warning",
                                fields["message"], where, None, fields["code"]))
    if chain is not None:
        problems[-1] = _with_message(problems[-1], chain)
    return problems


def _with_message(problem: Problem, chain: list[str]) -> Problem:
    return Problem(problem.severity, "\n    ".join(chain), problem.location, problem.hint,
                   problem.code)


def _wanted(code: str, message: str, file: Path | None, line: int, root: Path,
            npm_missing: set[tuple[Path, int]]) -> bool:
    """False for what is not the block's fault or is reported elsewhere."""
    if file is not None and "node_modules" in file.parts:
        return False
    if code == _NO_TYPES:
        return False
    if code in _NOT_FOUND and "@oomol/types" in message and not _has_oomol_types(root):
        return False  # types only: ours stand in (and our defaults for tsconfig.oomol.json)
    if code in ("TS2307", "TS2792") and file is not None and (file, line) in npm_missing:
        return False  # the npm-package check reported this import (with the bootstrap hint)
    return True
