"""``make_context``: a real ``Context`` that records what a block sends, in this process.

No engine, no worker: ``main(params, ctx)`` is called by the test itself (or by
``call_block``), and the context keeps every message instead of sending it.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..context import Context
from ..context.log_lines import line_handler
from ..context.sink import RecordingSink
from ..wire import names

__all__ = ["RecordingContext", "make_context", "normalize_defs"]



class _AnyHandle(dict):
    """outputs_def when none was given: every handle is declared."""

    def __contains__(self, key: object) -> bool:
        return True

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(key, default)


def normalize_defs(defs: Any) -> dict[str, dict[str, Any]]:
    """``{handle: def}`` from a dict, a list of handle names, or a list of handle-def
    dicts as written in ``block.oo.yaml``."""
    if defs is None:
        return {}
    if isinstance(defs, Mapping):
        return {str(h): dict(d) if isinstance(d, Mapping) else {"handle": str(h)}
                for h, d in defs.items()}
    out: dict[str, dict[str, Any]] = {}
    for item in defs:
        if isinstance(item, str):
            out[item] = {"handle": item}
        elif isinstance(item, Mapping) and "handle" in item:
            out[str(item["handle"])] = dict(item)
        else:
            raise TypeError(f"a handle definition is a name or a dict with 'handle', got {item!r}")
    return out


class _Outputs(dict):
    """``ctx.outputs``: the last value sent on each handle, and still callable as
    ``context.outputs({...})`` the way a block uses it."""

    def __init__(self, context: RecordingContext, values: dict[str, Any]):
        super().__init__(values)
        self._context = context

    def __call__(self, outputs: dict[str, Any]) -> None:
        Context.outputs(self._context, outputs)


class RecordingContext(Context):
    """A ``Context`` whose messages are kept in ``self.sent``; read them through
    ``outputs``, ``output_calls``, ``result``, ``finish_error``, ``previews``,
    ``progress``, ``logs``, ``warnings``, ``errors`` and ``block_messages``.

    Differences from the worker's context, for tests: output values are kept as the very
    objects the block sent (no JSON or var conversion), every ``report_progress`` call is
    recorded (no throttle), and ``outputs_def=None`` declares every handle.
    """

    __test__ = False  # not a test class, even when imported into a test module

    def __init__(self, *, inputs: dict[str, Any] | None = None, inputs_def: Any = None,
                 outputs_def: Any = None, node_id: str = "block",
                 session_id: str | None = None, job_id: str | None = None,
                 session_dir: str | os.PathLike[str] | None = None,
                 tmp_dir: str | os.PathLike[str] | None = None,
                 pkg_dir: str | os.PathLike[str] | None = None,
                 block_path: str | os.PathLike[str] | None = None,
                 answer: Callable[[dict[str, Any]], Any] | None = None):
        self.sink = RecordingSink(answer)
        session_id = session_id or str(uuid.uuid4())
        if tmp_dir is None or session_dir is None:
            base = tempfile.mkdtemp(prefix="oocana-test-")
            session_dir = session_dir or os.path.join(base, "session")
            tmp_dir = tmp_dir or os.path.join(base, "tmp")
        outputs = _AnyHandle() if outputs_def is None else normalize_defs(outputs_def)
        super().__init__(
            inputs=dict(inputs or {}), session_id=session_id,
            job_id=job_id or f"{session_id[:8]}-test",
            stacks=[{"flow_job_id": "test", "flow": "test", "node_id": node_id}],
            block_path=str(block_path) if block_path is not None else None,
            inputs_def=normalize_defs(inputs_def), outputs_def=outputs,
            session_dir=str(session_dir), tmp_dir=str(tmp_dir),
            pkg_dir=str(pkg_dir) if pkg_dir is not None else None, sink=self.sink)
        self._outputs_def = outputs  # an empty "every handle" map is falsy: set it again
        self._test_logger: logging.Logger | None = None

    # -- the block's side: what differs from the worker's Context ----------------------

    def _encode(self, handle: str, value: Any) -> Any:
        return value  # tests compare the objects the block made

    def report_progress(self, progress: float | int) -> None:
        """Recorded at every call (the worker throttles to one per 0.3 s)."""
        if not isinstance(progress, (int, float)):
            progress = float(progress)
        if not self._finished:
            self._send(names.BLOCK_PROGRESS, progress=progress)

    @property
    def logger(self) -> logging.Logger:
        """A logger whose records become this context's ``logs`` (and still reach the
        root logger, so pytest's ``caplog`` sees them)."""
        if self._test_logger is None:
            logger = logging.Logger(f"block.{self.node_id}", logging.INFO)
            logger.parent = logging.getLogger()
            logger.addHandler(line_handler(self.report_log))
            self._test_logger = logger
        return self._test_logger

    # -- the test's side ---------------------------------------------------------------

    @property
    def sent(self) -> list[dict[str, Any]]:
        """Every message the block sent, in order (``{"type": "BlockOutput", ...}``)."""
        return self.sink.messages

    def _of(self, *types: str) -> Iterable[dict[str, Any]]:
        return (m for m in self.sink.messages if m.get("type") in types)

    @property
    def output_calls(self) -> list[tuple[str, Any]]:
        """``(handle, value)`` for every value sent by ``output``, ``outputs`` and
        ``finish(result=...)``, in order."""
        calls: list[tuple[str, Any]] = []
        for m in self._of(names.BLOCK_OUTPUT, names.BLOCK_OUTPUTS, names.BLOCK_FINISHED):
            if m["type"] == names.BLOCK_OUTPUT:
                calls.append((m["handle"], m["output"]))
            elif m["type"] == names.BLOCK_OUTPUTS:
                calls.extend(m["outputs"].items())
            elif m.get("result"):
                calls.extend(m["result"].items())
        return calls

    @property
    def outputs(self) -> _Outputs:  # type: ignore[override]
        """The last value sent on each handle. Calling it sends outputs, as in a block."""
        return _Outputs(self, dict(self.output_calls))

    @property
    def result(self) -> dict[str, Any] | None:
        """What ``finish(result=...)`` received (``call_block``: what ``main`` returned)."""
        for m in self._of(names.BLOCK_FINISHED):
            return m.get("result")
        return None

    @property
    def finish_error(self) -> str | None:
        """The ``error`` the block finished with, or None."""
        for m in self._of(names.BLOCK_FINISHED):
            return m.get("error")
        return None

    @property
    def previews(self) -> list[Any]:
        return [m["payload"] for m in self._of(names.BLOCK_PREVIEW)]

    @property
    def progress(self) -> list[float]:
        return [m["progress"] for m in self._of(names.BLOCK_PROGRESS)]

    @property
    def logs(self) -> list[str]:
        """Lines of ``report_log`` and ``context.logger`` (and of ``print`` under
        ``call_block``), without their newline."""
        return [m["log"].rstrip("\n") for m in self._of(names.BLOCK_LOG)]

    @property
    def warnings(self) -> list[str]:
        return [m["warning"] for m in self._of(names.BLOCK_WARNING)]

    @property
    def errors(self) -> list[str]:
        """``context.error(...)`` texts, then the finish error if the block failed."""
        errors = [m["error"] for m in self._of(names.BLOCK_ERROR)]
        if self.finish_error is not None:
            errors.append(self.finish_error)
        return errors

    @property
    def block_messages(self) -> list[Any]:
        """Payloads of ``context.send_message``."""
        return [m["payload"] for m in self._of(names.BLOCK_MESSAGE)]


def make_context(inputs: dict[str, Any] | None = None, *, outputs_def: Any = None,
                 inputs_def: Any = None, node_id: str | None = None,
                 block: Any = None, **options: Any) -> RecordingContext:
    """A recording ``Context`` for calling a block's ``main`` in this process.

    ``outputs_def`` / ``inputs_def``: ``{handle: def}``, a list of handle names, or a list
    of handle-def dicts; ``outputs_def=None`` accepts every handle. ``block`` (a block
    folder, ``block.oo.yaml`` or resolved block) takes both from the manifest and fills the
    inputs not given with their default ``value`` (or None when nullable).
    ``options``: ``session_dir``, ``tmp_dir``, ``pkg_dir``, ``session_id``, ``job_id``,
    ``answer`` (a function answering ``query_block`` / ``query_downstream`` requests).
    """
    if block is not None:
        from ..runtime.run import block_as_flow, root_inputs
        from .locate import resolve_block

        task = resolve_block(block) if not hasattr(block, "inputs_def") else block
        inputs = root_inputs(block_as_flow(task), inputs)
        if inputs_def is None:
            inputs_def = [_wire(d) for d in task.inputs_def.values()]
        if outputs_def is None:
            outputs_def = [_wire(d) for d in task.outputs_def.values()]
        if node_id is None:
            node_id = Path(task.dir).name
        options.setdefault("block_path", task.path)
    return RecordingContext(inputs=inputs, inputs_def=inputs_def, outputs_def=outputs_def,
                            node_id=node_id or "block", **options)


def _wire(definition: Any) -> dict[str, Any]:
    raw = dict(definition.raw) if definition.raw else {"handle": definition.handle}
    if definition.json_schema is not None:
        raw.setdefault("json_schema", definition.json_schema)
    return raw
