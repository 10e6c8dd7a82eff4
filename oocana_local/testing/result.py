"""``TestResult``: a ``RunResult`` seen from a test, with what each node said."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..wire import names

if TYPE_CHECKING:
    from ..runtime.run import RunResult
    from ..states import NodeState

__all__ = ["TestResult", "BlockFailed", "node_path"]

_LOG_TAIL = 20


def node_path(event: dict[str, Any]) -> str:
    """``"outer/inner/x"`` for an event of node x inside subflow nodes; ``"x"`` at the root."""
    return "/".join(level.get("node_id", "") for level in event.get("stacks") or ())


class BlockFailed(AssertionError):
    """A run did not complete. The message holds the failing block's own traceback and
    its last log lines; ``.result`` is the ``TestResult``."""

    def __init__(self, message: str, result: TestResult):
        super().__init__(message)
        self.result = result


class TestResult:
    """What a ``run_block`` / ``run_flow`` produced, computed from its events.

    Whole run: ``status``, ``ok``, ``outputs`` (last value per flow or block output),
    ``error``, ``failed_node``, ``nodes`` (state per root node), ``not_run``,
    ``unconsumed``, ``events``.
    Across all nodes, in order: ``logs`` (lines), ``previews`` (payloads), ``progress``,
    ``warnings``, ``errors``. Per node, keyed by node id (``"outer/inner"`` inside
    subflows): ``node_outputs[node][handle]`` (every value, in order), ``node_logs``,
    ``node_previews``, ``node_progress``, ``node_warnings``, ``node_errors``.
    """

    __test__ = False  # not a test class, even when imported into a test module

    def __init__(self, run: RunResult, *, target: str, kind: str):
        self.run = run
        self.target = target
        self.kind = kind

    # -- the run ---------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self.run.status

    @property
    def ok(self) -> bool:
        return self.run.status == "completed"

    @property
    def outputs(self) -> dict[str, Any]:
        """The last value of each output; a missing one raises ``MissingOutput`` naming
        what the blocks warned about (an undeclared key, "did you mean ...")."""
        return Outputs(self.run.outputs, self)

    @property
    def error(self) -> str | None:
        return self.run.error

    @property
    def failed_node(self) -> str | None:
        return self.run.failed_node

    @property
    def nodes(self) -> dict[str, NodeState]:
        return self.run.nodes

    @property
    def not_run(self) -> dict[str, list[str]]:
        return self.run.not_run

    @property
    def unconsumed(self) -> dict[str, dict[str, int]]:
        """Values left queued at root nodes that ran (their other inputs ran dry)."""
        return self.run.unconsumed

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.run.events

    @property
    def session_id(self) -> str:
        return self.run.session_id

    @property
    def duration(self) -> float:
        return self.run.duration

    # -- what blocks said --------------------------------------------------------------

    def _by_node(self, types: tuple[str, ...], value: Any) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for event in self.run.events:
            if event["type"] in types and event.get("stacks"):
                item = value(event)
                if item is not _SKIP:
                    out.setdefault(node_path(event), []).append(item)
        return out

    def _all(self, types: tuple[str, ...], value: Any) -> list[Any]:
        return [item for event in self.run.events
                if event["type"] in types and event.get("stacks")
                for item in [value(event)] if item is not _SKIP]

    @property
    def node_outputs(self) -> dict[str, dict[str, list[Any]]]:
        """``{node: {handle: [value, ...]}}``: every value each node sent (``output``,
        ``outputs``, returned dict), in order. Non-JSON values on ``oomol/var`` handles
        stay in the worker: here they are the var reference dict."""
        out: dict[str, dict[str, list[Any]]] = {}
        for event in self.run.events:
            kind = event["type"]
            if kind == names.BLOCK_OUTPUT:
                pairs = [(event["handle"], event["output"])]
            elif kind == names.BLOCK_OUTPUTS:
                pairs = list((event.get("outputs") or {}).items())
            elif kind == names.BLOCK_FINISHED and event.get("result"):
                pairs = list(event["result"].items())
            else:
                continue
            handles = out.setdefault(node_path(event), {})
            for handle, value in pairs:
                handles.setdefault(handle, []).append(value)
        return out

    @property
    def logs(self) -> list[str]:
        """Every log line (print, logging, report_log) of every node, without newline."""
        return self._all((names.BLOCK_LOG,), _log)

    @property
    def node_logs(self) -> dict[str, list[str]]:
        return self._by_node((names.BLOCK_LOG,), _log)

    @property
    def previews(self) -> list[Any]:
        return self._all((names.BLOCK_PREVIEW,), lambda e: e.get("payload"))

    @property
    def node_previews(self) -> dict[str, list[Any]]:
        return self._by_node((names.BLOCK_PREVIEW,), lambda e: e.get("payload"))

    @property
    def progress(self) -> list[float]:
        """Progress values as reported (throttled to one per 0.3 s per block, as in runs)."""
        return self._all((names.BLOCK_PROGRESS,), lambda e: e["progress"])

    @property
    def node_progress(self) -> dict[str, list[float]]:
        return self._by_node((names.BLOCK_PROGRESS,), lambda e: e["progress"])

    @property
    def warnings(self) -> list[str]:
        return self._all((names.BLOCK_WARNING,), lambda e: e["warning"])

    @property
    def node_warnings(self) -> dict[str, list[str]]:
        return self._by_node((names.BLOCK_WARNING,), lambda e: e["warning"])

    @property
    def errors(self) -> list[str]:
        """``context.error(...)`` texts and the error of every block that failed."""
        return self._all((names.BLOCK_ERROR, names.BLOCK_FINISHED), _error)

    @property
    def node_errors(self) -> dict[str, list[str]]:
        return self._by_node((names.BLOCK_ERROR, names.BLOCK_FINISHED), _error)

    # -- failing a test ----------------------------------------------------------------

    def raise_for_status(self) -> TestResult:
        """Raise ``BlockFailed`` with the block's own traceback unless the run completed."""
        __tracebackhide__ = True
        if self.ok:
            return self
        raise BlockFailed(self.failure_message(), self)

    def raise_for_not_run(self, expected: set[str]) -> TestResult:
        """Raise ``BlockFailed`` if a node did not run that ``expected`` does not name."""
        __tracebackhide__ = True
        surprise = {n: h for n, h in self.not_run.items() if n not in expected}
        if not surprise:
            return self
        lines = [f"flow {self.target} completed, but {len(surprise)} node(s) did not run "
                 "because an input had no value:"]
        lines += [f"  {node}: missing input {', '.join(handles) or '(upstream did not run)'}"
                  for node, handles in surprise.items()]
        lines += ["fix: give the handle a value on the node (inputs_from: - {handle: NAME, "
                  "value: ...}) or pass it with nodes_inputs={node: {handle: value}}; inside "
                  "a flow a node does not take the block's default value (as in oocana).",
                  f"If the test expects it: run_flow(..., expect_not_run={sorted(surprise)!r})"]
        lines += self._output_hints()
        raise BlockFailed("\n".join(lines), self)

    def failure_message(self) -> str:
        if self.status == "cancelled":
            return f"{self.kind} {self.target} was cancelled"
        node = self.failed_node
        lines = [f"{self.kind} {self.target} failed"
                 + (f" in node {node!r}" if node and self.kind == "flow" else "") + ":", ""]
        error = self.run.error or "(no error text)"
        prefix = f"[node id: {node}] failed\n"
        lines.append(error[len(prefix):] if node and error.startswith(prefix) else error)
        logs = self.node_logs.get(node or "", []) if node else self.logs
        if logs:
            tail = logs[-_LOG_TAIL:]
            more = f" (last {_LOG_TAIL} of {len(logs)})" if len(logs) > _LOG_TAIL else ""
            lines += ["", f"logs of {node or self.target}{more}:", *(f"  {x}" for x in tail)]
        if self.not_run:
            lines += ["", "never ran (missing inputs): " + ", ".join(
                f"{n} ({', '.join(h)})" for n, h in self.not_run.items())]
        lines += self._output_hints()
        return "\n".join(lines)

    def _output_hints(self) -> list[str]:
        """Warnings about output keys a block does not declare (with "did you mean")."""
        return [f"  warning from {node}: {w}" for node, said in self.node_warnings.items()
                for w in said if "is not defined in Block outputs schema" in w]

    def __repr__(self) -> str:
        return (f"<TestResult {self.kind} {self.target}: {self.status}, "
                f"outputs={self.outputs!r}>")


_SKIP = object()


class MissingOutput(KeyError):
    """An output the test asked for was never sent."""

    def __str__(self) -> str:
        return str(self.args[0])


class Outputs(dict):  # type: ignore[type-arg]
    """A run's outputs; looking up one that was never sent says why it may be missing."""

    def __init__(self, values: dict[str, Any], result: TestResult):
        super().__init__(values)
        self._result = result

    def __missing__(self, key: Any) -> Any:
        result = self._result
        lines = [f"{result.kind} {result.target} sent no output {key!r}; it sent: "
                 f"{', '.join(map(repr, self)) or 'nothing'}"]
        lines += result._output_hints()
        if result.not_run:
            lines.append("  never ran (missing inputs): " + ", ".join(result.not_run))
        if result.unconsumed:
            lines.append("  values never used (another input ran dry): " + ", ".join(
                f"{node} ({', '.join(f'{n} on {h}' for h, n in by_handle.items())})"
                for node, by_handle in result.unconsumed.items()))
        raise MissingOutput("\n".join(lines))


def _log(event: dict[str, Any]) -> str:
    return str(event.get("log", "")).rstrip("\n")


def _error(event: dict[str, Any]) -> Any:
    if event["type"] == names.BLOCK_ERROR:
        return event["error"]
    return event["error"] if event.get("error") else _SKIP
