"""The ``Context`` a block's ``main`` receives: oocana's surface, over a sink.

Differences from oocana, on purpose: exactly one ``BlockFinished`` per job (a second
``finish`` only warns), progress throttled per Context and never sent after the finish,
``report_log`` sends a ``stdio`` field, ``context.logger`` reaches the block's logs, and
``preview`` sends a ``BlockPreview`` message.

(Over 400 lines because oocana's ``Context`` is one class with this many members; the
parts with logic of their own live beside it: previews, values, the throttle, run_block.)
"""

from __future__ import annotations

import os
from _thread import allocate_lock
from types import MappingProxyType

from ..wire import names
from ..wire.values import is_var_ref
from .internal import NodeWeights, query_auth_unavailable
from .values import ValueStore, encode_output, is_bin_handle, is_var_handle, to_json, write_bin

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Mapping
    from typing import Any

    from .block_job import BlockJob
    from .sink import Sink
    from .throttle import ProgressThrottle

__all__ = ["Context", "KEEP_ALIVE"]


class _KeepAlive:
    """Returned by ``main`` to keep the job running until ``context.finish`` is called."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Context.keepAlive"


KEEP_ALIVE = _KeepAlive()

_UNDECLARED = "Output handle key: [{}] is not defined in Block outputs schema."
_FINISH_AGAIN = "finish() was called again; ignored"


def _request_id() -> str:
    return os.urandom(8).hex()


class Context:
    keepAlive = KEEP_ALIVE

    def __init__(self, *, inputs: dict[str, Any] | None = None, session_id: str, job_id: str,
                 stacks: list[dict[str, str]] | None = None, block_path: str | None = None,
                 inputs_def: dict[str, Any] | None = None,
                 outputs_def: dict[str, Any] | None = None, session_dir: str, tmp_dir: str,
                 tmp_pkg_dir: str | None = None, pkg_dir: str | None = None, sink: Sink,
                 store: ValueStore | None = None):
        self._inputs = {} if inputs is None else inputs
        self._session_id = session_id
        self._job_id = job_id
        self._stacks = list(stacks or ())
        self._block_path = block_path
        self._inputs_def = inputs_def or {}
        self._outputs_def = outputs_def or {}
        self._session_dir = session_dir
        self._tmp_dir = tmp_dir
        self._tmp_pkg_dir = tmp_pkg_dir or tmp_dir
        self._pkg_dir = pkg_dir
        self._sink = sink
        self._store = store if store is not None else ValueStore()
        self._finished = False
        self._sent: set[str] = set()  # output handles sent so far
        self._lock = allocate_lock()
        self._throttle: ProgressThrottle | None = None
        self._llm_warned = False
        # Internal hooks of the runner: run right before / right after BlockFinished is sent.
        self._before_finish: list[Callable[[], None]] = []
        self._after_finish: list[Callable[[], None]] = []

    @classmethod
    def from_job(cls, job: Mapping[str, Any], *, inputs: dict[str, Any], sink: Sink,
                 store: ValueStore | None = None) -> Context:
        """A Context for a job dict as sent to a worker (``wire/job.py``)."""
        return cls(inputs=inputs, session_id=job["session_id"], job_id=job["job_id"],
                   stacks=job.get("stacks"), block_path=job.get("block_path"),
                   inputs_def=job.get("inputs_def"), outputs_def=job.get("outputs_def"),
                   session_dir=job["session_dir"], tmp_dir=job["tmp_dir"],
                   tmp_pkg_dir=job.get("tmp_pkg_dir"), pkg_dir=job.get("pkg_dir"),
                   sink=sink, store=store)

    # -- what the block knows ---------------------------------------------------------

    @property
    def inputs(self) -> dict[str, Any]:
        return self._inputs

    @property
    def inputs_def(self) -> Mapping[str, Any]:
        return MappingProxyType(self._inputs_def)

    @property
    def outputs_def(self) -> Mapping[str, Any]:
        return MappingProxyType(self._outputs_def)

    @property
    def session_id(self) -> str:
        return self._session_id

    @property
    def job_id(self) -> str:
        return self._job_id

    @property
    def job_info(self) -> dict[str, str]:
        return {"session_id": self._session_id, "job_id": self._job_id}

    @property
    def block_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"session_id": self._session_id, "job_id": self._job_id,
                                "stacks": self._stacks}
        if self._block_path is not None:
            info["block_path"] = self._block_path
        return info

    @property
    def node_id(self) -> str:
        if not self._stacks:
            return "none"
        return self._stacks[-1].get("node_id", "unknown")

    @property
    def session_dir(self) -> str:
        return self._session_dir

    @property
    def tmp_dir(self) -> str:
        return self._tmp_dir

    @property
    def tmp_pkg_dir(self) -> str:
        return self._tmp_pkg_dir

    @property
    def pkg_data_dir(self) -> str | None:
        return self._pkg_dir if self._pkg_dir is not None else os.environ.get("OOCANA_PKG_DIR")

    @property
    def pkg_dir(self) -> str | None:
        """Deprecated alias of ``pkg_data_dir``."""
        return self.pkg_data_dir

    @property
    def finished(self) -> bool:
        """True once ``BlockFinished`` was sent (not in oocana)."""
        return self._finished

    @property
    def logger(self) -> logging.Logger:
        """A logger whose records become this block's ``BlockLog`` lines."""
        import logging

        logger = logging.getLogger(f"block.{self.node_id}")
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
        return logger

    @property
    def oomol_llm_env(self) -> dict[str, Any]:
        env = {
            "base_url": os.environ.get("OOMOL_LLM_BASE_URL", ""),
            "base_url_v1": os.environ.get("OOMOL_LLM_BASE_URL_V1", ""),
            "api_key": os.environ.get("OOMOL_LLM_API_KEY", ""),
            "models": os.environ.get("OOMOL_LLM_MODELS", "").split(","),
        }
        if not self._llm_warned:  # oocana warns on every read; once per job is enough
            self._llm_warned = True
            for key, value in env.items():
                if value == "" or value == []:
                    self.send_warning(f"OOMOL_LLM_ENV variable {key} is ({value}), this may "
                                      "cause some features not working properly.")
        return env

    @property
    def host_info(self) -> dict[str, str]:
        return {"gpu_vendor": os.environ.get("OOMOL_HOST_GPU_VENDOR") or "unknown",
                "gpu_renderer": os.environ.get("OOMOL_HOST_GPU_RENDERER") or "unknown"}

    @property
    def host_endpoint(self) -> str | None:
        return os.environ.get("OO_HOST_ENDPOINT")

    @property
    def oomol_fusion_api_url(self) -> str:
        return os.environ.get("OOMOL_FUSION_API_URL", "")

    async def oomol_token(self) -> str:
        return os.environ.get("OOMOL_TOKEN", "")

    # -- outputs and the end of the job -----------------------------------------------

    def _send(self, type_: str, **fields: Any) -> None:
        message = {"type": type_, "job_id": self._job_id}
        message.update(fields)
        self._sink.send(message)

    def _encode(self, handle: str, value: Any) -> Any:
        definition = self._outputs_def.get(handle)
        if definition is not None and is_bin_handle(definition):
            if isinstance(value, (bytes, bytearray, memoryview)):
                return write_bin(value, session_dir=self._session_dir,
                                 session_id=self._session_id, job_id=self._job_id,
                                 handle=handle)
            self.send_warning(f"output {handle!r} is an oomol/bin handle but the value is a "
                              f"{type(value).__name__}, not bytes; sent as it is")
        var = is_var_handle(definition)
        encoded = encode_output(value, handle=handle, var=var, store=self._store,
                                job_id=self._job_id, session_id=self._session_id)
        if var and definition.get("_serialize_for_cache") and is_var_ref(encoded):  # type: ignore[union-attr]
            self._serialize_for_cache(handle, value, encoded)
        return encoded

    def _serialize_for_cache(self, handle: str, value: Any, wrapper: dict[str, Any]) -> None:
        """oocana's DataFrame cache: a root-flow DataFrame on an edge marked
        ``serialize_for_cache`` is pickled to
        ``<pkg_data_dir>/.cache/<sha256(flow-node_id)>/<handle><suffix>`` on a thread, and
        the wrapper names the file. The job finishes only once the file is written."""
        if len(self._stacks) >= 2 or type(value).__name__ != "DataFrame" or \
                not hasattr(value, "to_pickle") or not self.pkg_data_dir:
            return
        import hashlib
        import threading

        from .cache import compression_options

        stack = self._stacks[-1] if self._stacks else {}
        digest = hashlib.sha256(
            f"{stack.get('flow', '')}-{self.node_id}".encode()).hexdigest()
        method, suffix = compression_options(self.pkg_data_dir)
        folder = os.path.join(self.pkg_data_dir, ".cache", digest)
        path = os.path.join(folder, handle + suffix)
        wrapper["serialize_path"] = path
        frame = value.copy()

        def write() -> None:
            try:
                os.makedirs(folder, exist_ok=True)
                partial = f"{path}.{os.getpid()}.partial"
                frame.to_pickle(partial, compression=method)
                os.replace(partial, path)
            except Exception as exc:
                self.send_warning(f"cannot cache output {handle!r} to {path}: {exc}")

        thread = threading.Thread(target=write, name=f"oocana-cache-{handle}", daemon=True)
        thread.start()
        self._before_finish.append(thread.join)

    def _encode_all(self, values: Mapping[str, Any]) -> dict[str, Any]:
        encoded = {}
        self._sent.update(h for h in values if h in self._outputs_def)
        for handle, value in values.items():
            if handle in self._outputs_def:
                encoded[handle] = self._encode(handle, value)
            else:
                self.send_warning(self._undeclared(handle))
        return encoded

    def _undeclared(self, handle: Any) -> str:
        """oocana's warning, plus the likely intended handle and what was never sent."""
        import difflib

        text = _UNDECLARED.format(handle)
        declared = list(self._outputs_def)
        close = difflib.get_close_matches(str(handle), declared, n=1, cutoff=0.6)
        if close:
            text += f" Did you mean {close[0]!r}?"
        unsent = [h for h in declared if h not in self._sent]
        if unsent:
            text += f" Declared outputs never sent: {', '.join(map(repr, unsent))}."
        elif not declared:
            text += " The block declares no outputs (outputs_def)."
        return text

    def output(self, key: str, value: Any, *, to_node: list[dict[str, str]] | None = None,
               to_flow: list[dict[str, str]] | None = None) -> None:
        """Send one output now; an undeclared handle is dropped with a warning."""
        if self._finished:
            self.send_warning(f"output {key!r} after finish() was ignored")
            return
        if key not in self._outputs_def:
            self.send_warning(self._undeclared(key))
            return
        self._sent.add(key)
        fields: dict[str, Any] = {"handle": key, "output": self._encode(key, value)}
        if to_node is not None or to_flow is not None:
            fields["options"] = {"target": {"to_node": to_node, "to_flow": to_flow}}
        self._send(names.BLOCK_OUTPUT, **fields)

    def outputs(self, outputs: dict[str, Any]) -> None:
        """Send several outputs in one message; undeclared handles are dropped."""
        if self._finished:
            self.send_warning("outputs after finish() were ignored")
            return
        self._send(names.BLOCK_OUTPUTS, outputs=self._encode_all(outputs))

    def finish(self, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        """End the job: ``error`` fails it, ``result`` holds final outputs. Only the first
        call counts; later ones send a warning."""
        if error is None and result is not None and not isinstance(result, dict):
            raise ValueError(f"result should be a dict, but got {type(result)}")
        if not self._end(result=result, error=error):
            self.send_warning(_FINISH_AGAIN)

    def _end(self, *, result: dict[str, Any] | None = None, error: Any = None) -> bool:
        """Send ``BlockFinished`` unless already sent; returns whether it did."""
        with self._lock:
            if self._finished:
                return False
            encoded = None
            if error is None and result is not None:
                encoded = self._encode_all(result)  # warnings go out before the finish
            self._finished = True
        throttle = self._throttle
        if throttle is not None:
            throttle.close()
        for hook in self._before_finish:
            hook()
        if error is not None:
            self._send(names.BLOCK_FINISHED, error=str(error))
        elif encoded is not None:
            self._send(names.BLOCK_FINISHED, result=encoded)
        else:
            self._send(names.BLOCK_FINISHED)
        for hook in self._after_finish:
            hook()
        return True

    # -- what the block says along the way --------------------------------------------

    def report_progress(self, progress: float | int) -> None:
        """Report progress (0-100): the first report at once, then at most one per 0.3 s."""
        if not isinstance(progress, (int, float)):
            progress = float(progress)
        with self._lock:  # so a report racing the finish cannot slip in after it
            if self._finished:
                return
            throttle = self._throttle
            if throttle is None:
                from .throttle import ProgressThrottle

                throttle = self._throttle = ProgressThrottle(
                    lambda p: self._send(names.BLOCK_PROGRESS, progress=p))
        throttle(progress)

    def report_log(self, line: str, stdio: str = "stdout") -> None:
        self._send(names.BLOCK_LOG, log=str(line), stdio=stdio)

    def log_json(self, payload: Any) -> None:
        self._send(names.BLOCK_LOG_JSON, json=to_json(payload))

    def send_message(self, payload: Any) -> None:
        self._send(names.BLOCK_MESSAGE, payload=to_json(payload))

    def send_warning(self, warning: str) -> None:
        self._send(names.BLOCK_WARNING, warning=str(warning))

    def error(self, error: str) -> None:
        """Report an error without ending the block."""
        self._send(names.BLOCK_ERROR, error=str(error))

    def send_error(self, error: str) -> None:
        """Deprecated alias of ``error``."""
        self.error(error)

    def preview(self, payload: Any, id: str | None = None) -> None:
        """Show a value in the preview pane (DataFrames, figures, images are converted)."""
        from .preview import to_preview_payload

        converted = to_preview_payload(payload, session_dir=self._session_dir)
        if id is not None and isinstance(converted, dict):
            converted = {**converted, "id": id}
        self._send(names.BLOCK_PREVIEW, payload=converted)

    # -- requests to the engine -------------------------------------------------------

    async def _ask(self, action: str, **fields: Any) -> Any:
        message = {"type": names.BLOCK_REQUEST, "job_id": self._job_id,
                   "session_id": self._session_id, "action": action,
                   "request_id": _request_id()}
        message.update(fields)
        response = await self._sink.arequest(message)
        if response.get("error") is not None:
            raise ValueError(response["error"])
        return response.get("result")

    async def query_block(self, block: str) -> dict[str, Any]:
        """The description of a block: ``type``, ``inputs_def``, ``outputs_def``, ..."""
        return await self._ask(names.QUERY_BLOCK, block=block)

    @property
    def internal(self) -> NodeWeights:
        """oocana's ``context.internal`` (``update_node_weight``); see ``internal.py``."""
        return NodeWeights()

    async def query_auth(self, credential: Any) -> dict[str, Any]:
        """oocana asks its cloud for the account behind ``credential``: not here."""
        raise query_auth_unavailable(credential)

    async def query_downstream(self, handles: list[str] | None = None) -> dict[str, Any]:
        """Where each output handle leads: ``{handle: {"to_node": [...], "to_flow": [...]}}``."""
        return await self._ask(names.QUERY_DOWNSTREAM, handles=handles)

    def run_block(self, block: str, *, inputs: dict[str, Any],
                  additional_inputs_def: list[dict[str, Any]] | None = None,
                  additional_outputs_def: list[dict[str, Any]] | None = None,
                  strict: bool = False) -> BlockJob:
        """Start another block; needs a running event loop (call it from ``async main``)."""
        import asyncio

        from .block_job import BlockJob

        loop = asyncio.get_running_loop()
        request_id = _request_id()
        job = BlockJob(block, f"{self._job_id}-{block}-{os.urandom(4).hex()}", loop,
                       self._decode_value)
        def forward(event: dict[str, Any], blobs: dict[str, bytes] | None) -> None:
            loop.call_soon_threadsafe(job._on_event, event, blobs)

        unwatch = self._sink.watch(request_id, forward)
        job.finish().add_done_callback(lambda _: unwatch())
        message = {"type": names.BLOCK_REQUEST, "job_id": self._job_id,
                   "session_id": self._session_id, "action": names.RUN_BLOCK, "block": block,
                   "block_job_id": job.job_id, "request_id": request_id,
                   "payload": {"inputs": {k: self._encode_input(k, v) for k, v in inputs.items()},
                               "additional_inputs_def": additional_inputs_def,
                               "additional_outputs_def": additional_outputs_def},
                   "stacks": self._stacks, "strict": strict}

        async def request() -> None:
            response = await self._sink.arequest(message)
            if response.get("error") is not None:
                job._fail(response["error"])

        job._request_task = loop.create_task(request())
        return job

    def _encode_input(self, name: str, value: Any) -> Any:
        return encode_output(value, handle=name, var=False, store=self._store,
                             job_id=self._job_id, session_id=self._session_id)

    def _decode_value(self, value: Any, blobs: dict[str, bytes] | None) -> Any:
        if is_var_ref(value):
            try:
                return self._store.resolve(value, blobs)
            except Exception:  # not here and not copied: the caller sees the reference
                return value
        return value
