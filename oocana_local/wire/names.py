"""Message names: oocana's for everything a block or flow says, ours for the wire.

Plain ``str`` constants, not an ``Enum``: they are compared and published on the hot
path of every job, and subscribers write them as they are. Messages are dicts with a
``type``; the block-level ones use oocana's executor message names and fields so that
the engine publishes them nearly as they are. The job dict is ``wire/job.py``'s
``WireJob``.

Engine -> worker

* ``{"type": "run", "job": {...}}`` start a job; the job dict holds ``job_id``,
  ``session_id``, ``stacks``, ``node_id``, ``block_path`` (or None), ``dir``, ``entry``,
  ``function``, ``source`` (inline code or None), ``inputs``, ``inputs_def`` and
  ``outputs_def`` (handle -> raw handle-def dict), ``session_dir``, ``tmp_dir``,
  ``tmp_pkg_dir``, ``pkg_dir`` (or None), ``package_name``, ``package_dir`` (or None),
  ``env`` (extra environment for the job) and ``blobs`` ({var key: pickled bytes} for
  values this worker does not hold yet).
* ``{"type": "response", "request_id": R, "result": X}`` or ``{..., "error": "text"}``:
  the answer to a ``BlockRequest``.
* ``{"type": "run_block_event", "request_id": R, "event": {...}}``: an event of a job
  started by this worker's ``context.run_block`` (``BlockOutput``, ``BlockProgress``, ...).
* ``{"type": "export", "request_id": R, "keys": [K, ...]}``: pickle these stored values;
  answered with ``{"type": "exported", "request_id": R, "blobs": {K: bytes}}`` even while
  a job runs.
* ``{"type": "free", "keys": [K, ...]}``: forget stored values.
* ``{"type": "shutdown"}``: exit now.

Worker -> engine

* ``{"type": "ready", "pid": N}`` once, when the worker can take jobs.
* ``BlockOutput`` ``{job_id, handle, output, options?}``, ``BlockOutputs`` ``{job_id,
  outputs}``, ``BlockProgress`` ``{job_id, progress}``, ``BlockLog`` ``{job_id, log,
  stdio}``, ``BlockLogJSON`` ``{job_id, json}``, ``BlockWarning`` ``{job_id, warning}``,
  ``BlockError`` ``{job_id, error}``, ``BlockMessage`` ``{job_id, payload}``,
  ``BlockPreview`` ``{job_id, payload}``.
* ``BlockRequest`` ``{job_id, request_id, action, ...}`` for ``RunBlock``, ``QueryBlock``,
  ``QueryDownstream``; the worker waits for the matching ``response``.
* ``BlockFinished`` ``{job_id, result?, error?}``: the job is over and the worker is free.
  Exactly one per job.
* ``exported`` (above).
"""

from __future__ import annotations

# -- bus messages (oocana's reporter names) ------------------------------------------------
SESSION_STARTED = "SessionStarted"
SESSION_FINISHED = "SessionFinished"
FLOW_STARTED = "FlowStarted"
FLOW_NODES_WILL_RUN = "FlowNodesWillRun"
FLOW_OUTPUT = "FlowOutput"
FLOW_FINISHED = "FlowFinished"
SUBFLOW_STARTED = "SubflowBlockStarted"
SUBFLOW_OUTPUT = "SubflowBlockOutput"
SUBFLOW_FINISHED = "SubflowBlockFinished"
SLOTFLOW_STARTED = "SlotflowStarted"
SLOTFLOW_OUTPUT = "SlotflowOutput"
SLOTFLOW_OUTPUTS = "SlotflowOutputs"  # oocana's reporter lists it; a slotflow here
# sends each output as one ``SlotflowOutput``, as subflows do
SLOTFLOW_FINISHED = "SlotflowFinished"
BLOCK_STARTED = "BlockStarted"
BLOCK_OUTPUT = "BlockOutput"
BLOCK_OUTPUTS = "BlockOutputs"
BLOCK_PROGRESS = "BlockProgress"
BLOCK_LOG = "BlockLog"
BLOCK_LOG_JSON = "BlockLogJSON"
BLOCK_WARNING = "BlockWarning"
BLOCK_ERROR = "BlockError"
BLOCK_MESSAGE = "BlockMessage"
BLOCK_PREVIEW = "BlockPreview"
BLOCK_FINISHED = "BlockFinished"

BUS_MESSAGES = frozenset({
    SESSION_STARTED, SESSION_FINISHED, FLOW_STARTED, FLOW_NODES_WILL_RUN, FLOW_OUTPUT,
    FLOW_FINISHED, SUBFLOW_STARTED, SUBFLOW_OUTPUT, SUBFLOW_FINISHED, SLOTFLOW_STARTED,
    SLOTFLOW_OUTPUT, SLOTFLOW_FINISHED, BLOCK_STARTED,
    BLOCK_OUTPUT, BLOCK_OUTPUTS, BLOCK_PROGRESS, BLOCK_LOG, BLOCK_LOG_JSON, BLOCK_WARNING,
    BLOCK_ERROR, BLOCK_MESSAGE, BLOCK_PREVIEW, BLOCK_FINISHED,
})

# Job messages a worker sends that the engine publishes with the job's identity added:
# type -> the fields carried over.
PASSTHROUGH: dict[str, tuple[str, ...]] = {
    BLOCK_LOG: ("log", "stdio"),
    BLOCK_LOG_JSON: ("json",),
    BLOCK_WARNING: ("warning",),
    BLOCK_ERROR: ("error",),
    BLOCK_MESSAGE: ("payload",),
}

# -- worker -> engine only -----------------------------------------------------------------
READY = "ready"
BLOCK_SECRETS = "BlockSecrets"
"""``{job_id, values}``: secret values the job received; the engine masks them in every
record of the run (the values still reach downstream blocks)."""
BLOCK_REQUEST = "BlockRequest"
EXPORTED = "exported"
REVOKED = "revoked"
"""``{job_id, revoked}``: the answer to ``revoke``; ``revoked`` is false once the job began."""

# BlockRequest actions (oocana's names)
RUN_BLOCK = "RunBlock"
QUERY_BLOCK = "QueryBlock"
QUERY_DOWNSTREAM = "QueryDownstream"

# -- engine -> worker only -----------------------------------------------------------------
RUN = "run"
RESPONSE = "response"
RUN_BLOCK_EVENT = "run_block_event"
EXPORT = "export"
FREE = "free"
SHUTDOWN = "shutdown"
REVOKE = "revoke"
"""``{job_id}``: give back a job sent while another ran, unless it began (``pool.py``)."""
