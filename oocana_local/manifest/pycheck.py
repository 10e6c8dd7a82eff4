"""What ``check`` finds inside python blocks, without running them: the entry file (or the
inline ``source``) must compile, and must define the function the manifest names.

Only ``check`` does this (``run`` finds the same mistakes when the node runs, in the
worker); it reads and compiles each block file once per call.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterable, Iterator
from pathlib import Path

from .problems import Problem
from .resolved import Block, Flow, Location, SubflowNode, TaskBlock, TaskNode

__all__ = ["check_python_blocks", "python_blocks"]


def python_blocks(blocks: Iterable[Block | None], executor: str = "python"
                  ) -> Iterator[TaskBlock]:
    """Every task block of ``executor`` (python) in ``blocks`` and in the flows among them,
    once each."""
    seen: set[int] = set()
    flows: set[Path] = set()
    stack = [b for b in blocks if b is not None]
    while stack:
        block = stack.pop()
        if isinstance(block, Flow):
            if block.path in flows:
                continue
            flows.add(block.path)
            for node in block.nodes:
                if isinstance(node, TaskNode) and node.block is not None:
                    stack.append(node.block)
                elif isinstance(node, SubflowNode) and node.flow is not None:
                    stack.append(node.flow)
        elif block.executor == executor and id(block) not in seen:
            seen.add(id(block))
            yield block


def check_python_blocks(blocks: Iterable[TaskBlock]) -> list[Problem]:
    problems: list[Problem] = []
    done: set[tuple[Path, str]] = set()
    for block in blocks:
        if block.source is None and block.entry is not None:
            key = ((block.dir / block.entry).resolve(), block.function)
            if key in done:
                continue
            done.add(key)
        problems += _check(block)
    return problems


def _check(block: TaskBlock) -> list[Problem]:
    where = block.location or Location(block.path or block.dir, 0)
    if block.source is not None:
        shown = "the inline source"
        source: str | bytes = block.source
        file = where.file

        def at(line: int | None) -> Location:
            return where  # lines of the inline source are not lines of the manifest
    else:
        if block.entry is None:
            return []
        path = block.dir / block.entry
        if not path.is_file():
            return []  # validate_task reports it
        try:
            source = path.read_bytes()
        except OSError as exc:
            return [Problem("error", f"cannot read python entry {str(path)!r}: "
                            f"{exc.strerror}", where)]
        shown, file = block.entry, path

        def at(line: int | None) -> Location:
            return Location(path, line or 0)
    try:
        tree = ast.parse(source, str(file))
        compile(tree, str(file), "exec", dont_inherit=True)  # errors the parser lets pass
    except SyntaxError as exc:
        line = f" (line {exc.lineno} of the inline source)" if block.source is not None \
            and exc.lineno else ""
        text = (exc.text or "").strip()
        return [Problem("error", f"{shown} does not compile: {exc.msg}{line}",
                        at(exc.lineno),
                        f"fix the python syntax near: {text}" if text else
                        "fix the python syntax")]
    except ValueError as exc:  # e.g. a null byte
        return [Problem("error", f"{shown} does not compile: {exc}", at(None))]
    return _function_problems(block, tree, shown, where)


def _function_problems(block: TaskBlock, tree: ast.Module, shown: str,
                       where: Location) -> list[Problem]:
    names, functions, dynamic = _top_level_names(tree.body)
    name = block.function
    if name in names:
        return []
    close = difflib.get_close_matches(name, functions or names, n=1)
    listed = ", ".join(functions[:10]) if functions else ""
    if close:
        hint = f"did you mean {close[0]!r}? (set executor.options.function, or rename it)"
    elif listed:
        hint = f"the functions defined there are: {listed}; set executor.options.function"
    else:
        hint = f"define `def {name}(params, context):` in {shown}"
    if dynamic:
        return [Problem("warning", f"could not find function {name!r} in {shown} (it may "
                        "come from a `*` import or be made at run time)", where, hint)]
    return [Problem("error", f"function {name!r} is not defined in {shown}", where, hint)]


def _top_level_names(body: list[ast.stmt]) -> tuple[set[str], list[str], bool]:
    """Names bound at module level (also inside top-level if/try/with), the function
    names among them, and whether a ``*`` import or ``globals()`` makes more."""
    names: set[str] = set()
    functions: list[str] = []
    dynamic = False
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(stmt.name)
            functions.append(stmt.name)
        elif isinstance(stmt, ast.ClassDef):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                if alias.name == "*":
                    dynamic = True
                else:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
            if "globals" in {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}:
                dynamic = True
        elif isinstance(stmt, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody"):
                stack.extend(reversed(getattr(stmt, field, [])))
            for handler in getattr(stmt, "handlers", []):
                stack.extend(reversed(handler.body))
        elif isinstance(stmt, ast.Expr) and any(
                isinstance(n, ast.Name) and n.id == "globals" for n in ast.walk(stmt)):
            dynamic = True
    return names, functions, dynamic
