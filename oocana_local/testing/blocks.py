"""Import a block's ``main`` in this process and call it (``locate.py`` finds the block)."""

from __future__ import annotations

import importlib.util
import io
import sys
import zlib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from .._shim import ensure_oocana_importable
from ..context.call import MainCaller
from ..errors import UsageError
from .context import RecordingContext, make_context
from .locate import caller_dir, is_ref, package_root, resolve_block, resolve_path

__all__ = ["load_block_main", "call_block",
           # where they were first: kept importable from here
           "resolve_block", "resolve_path", "package_root", "caller_dir"]

def _entry(block: Any) -> Path:
    if block.source is not None:
        raise UsageError(f"{block.path or block.dir}: an inline-source block has no file to "
                         "import; run it with run_block instead")
    if block.executor != "python":
        raise UsageError(f"{block.path}: only python blocks can be called in-process "
                         f"(executor {block.executor!r})")
    entry = Path(block.entry or "index.py")
    return entry if entry.is_absolute() else Path(block.dir) / entry


def load_block_main(target: Any, *, function: str | None = None, base: Path | None = None) -> Any:
    """Import a block's module fresh from its file and return its ``main`` (or the
    ``executor.options.function`` of the manifest). ``target``: a block folder, a
    ``block.oo.yaml``, ``self::name`` / ``pkg::name``, or the ``.py`` file itself."""
    __tracebackhide__ = True  # a failing import shows the block's frames, not the kit's
    ensure_oocana_importable()
    base = base or caller_dir()
    if not is_ref(target) and str(target).endswith(".py"):
        path, name = resolve_path(target, base), function or "main"
    else:
        block = resolve_block(target, base=base)
        path, name = _entry(block), function or block.function or "main"
    module = _import(path)
    fn = getattr(module, name, None)
    if not callable(fn):
        raise UsageError(f"{path} has no function {name}()")
    return fn


def _import(path: Path) -> Any:
    __tracebackhide__ = True
    path = path.resolve()
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in path.stem)
    module_name = f"oomol_block_test_{stem}_{zlib.crc32(str(path).encode()):08x}"
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # as the workers do: sibling modules import
    root = package_root(path)
    if root is not None and str(root) not in sys.path:
        sys.path.append(str(root))
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


class _LogWriter(io.TextIOBase):
    """``print`` under ``call_block``: each line becomes one of the context's logs."""

    def __init__(self, context: RecordingContext, stdio: str):
        self._context, self._stdio, self._partial = context, stdio, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._context.report_log(line, self._stdio)
        return len(text)

    def flush(self) -> None:
        pass

    def close_line(self) -> None:
        if self._partial:
            self._context.report_log(self._partial, self._stdio)
            self._partial = ""


def call_block(target: Any, inputs: dict[str, Any] | None = None, *,
               timeout: float = 30.0, base: Path | None = None,
               **context_options: Any) -> RecordingContext:
    """Call a block's ``main`` in this process as a worker would, and return the
    recording context: ``ctx.result`` (what main returned), ``ctx.outputs``, ``ctx.logs``
    (``print`` included), ``ctx.progress``, ``ctx.previews``, ...

    ``target`` is a block folder, ``block.oo.yaml`` or ``self::name`` (inputs not given
    take their default ``value``), or a ``main`` function itself. ``main`` is called and
    its end settled by the worker's own code (``context/call.py``): a non-dict return or
    ``exit(1)`` / ``exit("message")`` become ``ctx.finish_error``, as in a run. An
    exception raised by ``main`` propagates unchanged (pytest shows it). A ``main``
    returning ``context.keepAlive`` must call ``context.finish`` within ``timeout``
    seconds.
    """
    __tracebackhide__ = True
    base = base or caller_dir()
    if callable(target):
        fn = target
        context = make_context(inputs, **context_options)
    else:
        block = resolve_block(target, base=base)
        fn = load_block_main(block.path or block.dir, base=base, function=block.function)
        context = make_context(inputs, block=block, **context_options)
        missing = [h for h in block.inputs_def if h not in context.inputs]
        if missing:
            raise UsageError(f"block {block.path} needs input(s) {', '.join(missing)}: they "
                             "have no default value and are not nullable")
    out, err = _LogWriter(context, "stdout"), _LogWriter(context, "stderr")
    caller = MainCaller(reraise=True, keep_alive_timeout=timeout)
    try:
        with redirect_stdout(out), redirect_stderr(err):  # type: ignore[type-var]
            caller.call(fn, context)  # the worker's own rule
    finally:
        caller.close()
        out.close_line()
        err.close_line()
    return context
