"""The job specification: everything a worker needs to run one block.

``JobSpec`` is what does not change between runs of one node (where the block is, its
handle definitions, its limits); it is built once per node of a compiled flow and serves
every session. ``SessionFields`` is what a job takes from its session (its id, folders,
environment), one per flow and package of a session. ``Job`` is one run: a spec, the
session's fields, a job id, the stacks and the input values. ``Job.wire()`` is the dict a
worker receives (``WireJob``), plus ``blobs`` which the executor adds for var values the
worker does not hold yet.

The worker never inspects schemas to find secrets: ``secret_handles`` names the inputs
whose schema (or a flow's ``schema_overrides``) asks for secret or credential resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from .packed import swap
from .values import CREDENTIAL_TYPE, SECRET_TYPE

__all__ = ["JobSpec", "Job", "SessionFields", "WireJob", "InjectTarget", "ServiceSpec",
           "secret_handles", "names_secret"]

Stacks = list[dict[str, str]]


class WireJob(TypedDict, total=False):
    """A job as a worker receives it (one pickled dict)."""

    job_id: str
    session_id: str
    stacks: Stacks
    node_id: str
    executor: str
    dir: str
    entry: str | None
    function: str
    source: str | None
    block_path: str | None
    inputs: dict[str, Any]
    inputs_def: dict[str, dict[str, Any]]
    outputs_def: dict[str, dict[str, Any]]
    inputs_def_patch: dict[str, list[dict[str, Any]]] | None
    secret_handles: list[str]
    secrets_file: str | None
    session_dir: str
    tmp_dir: str
    tmp_pkg_dir: str
    pkg_dir: str | None
    package_name: str
    package_dir: str | None
    env: dict[str, str]
    masks: list[str] | None
    blobs: dict[str, bytes]
    service: dict[str, Any] | None


def _mentions(schema: Any, media_types: tuple[str, ...]) -> bool:
    if isinstance(schema, dict):
        if schema.get("contentMediaType") in media_types:
            return True
        return any(_mentions(v, media_types) for v in schema.values())
    if isinstance(schema, list):
        return any(_mentions(v, media_types) for v in schema)
    return False


def names_secret(schema: Any) -> bool:
    """Whether a schema (or a list of schema overrides) names a secret or a credential
    anywhere inside."""
    return _mentions(schema, (SECRET_TYPE, CREDENTIAL_TYPE))


def secret_handles(inputs_def: dict[str, dict[str, Any]],
                   patch: dict[str, list[dict[str, Any]]] | None,
                   named: list[str] | None = None) -> list[str]:
    """Inputs whose schema (anywhere inside) or schema override names a secret or a
    credential: the worker resolves those, and looks for placeholders in the rest.
    ``named``: those of the schemas, found already."""
    found = [h for h, d in inputs_def.items() if names_secret(d.get("json_schema"))] \
        if named is None else list(named)
    found += [h for h, items in (patch or {}).items() if h not in found and names_secret(items)]
    return found


@dataclass(slots=True, frozen=True)
class InjectTarget:
    """``inject: {node_id: X}``: the job runs in the process of the ``spawn: true`` node X."""

    node_id: str
    """X, as written."""
    spawn_key: str
    """X's ``JobSpec.spawn_key``: the process to run on. Executors never start one for
    an injected job: no process means X has not run, or its process is gone."""


@dataclass(slots=True, frozen=True)
class ServiceSpec:
    """The service a service block's job runs in (``manifest/services.py`` reads it from
    ``service.oo.yaml``, with every default given there once)."""

    key: str
    """The service instance's identity (a hash of its folder)."""
    name: str
    dir: str
    entry: str
    function: str
    block: str | None
    """The block this job calls; None for the job that only starts the service
    (``start_at``)."""
    stop_at: str = "session_end"
    keep_alive: float = 0.0
    start_at: str = "block_start"

    def wire(self) -> dict[str, Any]:
        """What a worker receives as ``job["service"]``."""
        return {"key": self.key, "name": self.name, "dir": self.dir, "entry": self.entry,
                "function": self.function, "block": self.block, "stop_at": self.stop_at,
                "keep_alive": self.keep_alive, "start_at": self.start_at}


@dataclass(slots=True)
class JobSpec:
    """One block as one node (or one ``run_block`` call) of one session runs it."""

    node_id: str
    executor: str
    """The block's executor: ``python``, ``nodejs``, ``shell``."""
    dir: str
    entry: str | None
    function: str
    source: str | None
    block_path: str | None
    inputs_def: dict[str, dict[str, Any]]
    outputs_def: dict[str, dict[str, Any]]
    package_name: str
    package_dir: str | None = None
    inputs_def_patch: dict[str, list[dict[str, Any]]] | None = None
    """Flow ``schema_overrides`` per input handle (``[{path, schema}]``)."""
    spawn_key: str | None = None
    """Jobs with a spawn key run on a worker of their own, kept for that key (and alive
    while a session that ran such a job lives: nodes may inject into it)."""
    inject: InjectTarget | None = None
    """Run in the process of another node's spawn key (``inject: {node_id}``)."""
    keeps_state: bool = False
    """Other nodes run in this job's process (they inject into it), so what it leaves
    there matters: the node cache never replays it."""
    timeout: float | None = None
    """Seconds; the executor ends a job that runs longer with a ``timeout`` outcome."""
    cache_identity: dict[str, Any] | None = None
    """What the node cache keys an inline block on (its executor fields)."""
    service: ServiceSpec | None = None
    """A service block's job: the service (folder, entry, function, lifetime) and the
    block's name (``manifest/services.py``); the router sends it to the service's worker."""
    resources: dict[str, Any] | None = None
    """``executor.options.resources`` (CPUs, GPUs, memory): what the Ray executor asks
    Ray for; the local pool ignores it."""
    secret_schemas: list[str] | None = None
    """The inputs whose ``inputs_def`` schema names a secret, when the one who built the
    spec knows them (``runtime/task_job.py``, from definitions that remember it)."""
    _wire: dict[str, Any] | None = None

    def job(self, job_id: str, stacks: Stacks, inputs: dict[str, Any], *,
            session: SessionFields, nested: bool = False,
            masks: list[str] | None = None) -> Job:
        return Job(self, session, job_id, stacks, inputs, nested, masks)

    def static_wire(self) -> dict[str, Any]:
        """The part of every job's wire dict that this spec fixes (built once)."""
        if self._wire is None:
            self._wire = {
                "node_id": self.node_id,
                "executor": self.executor, "dir": self.dir, "entry": self.entry,
                "function": self.function, "source": self.source,
                "block_path": self.block_path, "inputs_def": self.inputs_def,
                "outputs_def": self.outputs_def, "inputs_def_patch": self.inputs_def_patch,
                "secret_handles": secret_handles(self.inputs_def, self.inputs_def_patch,
                                                 self.secret_schemas),
                "package_name": self.package_name, "package_dir": self.package_dir,
            }
            if self.service is not None:
                self._wire["service"] = self.service.wire()
        return self._wire


class SessionFields:
    """What a job takes from its session: the same for every node of one flow and package
    in one session (``runtime/task_job.py`` makes them once)."""

    __slots__ = ("session_id", "session_dir", "tmp_dir", "tmp_pkg_dir", "pkg_dir", "env",
                 "secrets_file", "wire")

    def __init__(self, *, session_id: str, session_dir: str, tmp_dir: str, tmp_pkg_dir: str,
                 pkg_dir: str | None = None, env: dict[str, str] | None = None,
                 secrets_file: str | None = None):
        self.session_id = session_id
        self.session_dir = session_dir
        self.tmp_dir = tmp_dir
        self.tmp_pkg_dir = tmp_pkg_dir
        self.pkg_dir = pkg_dir
        self.env: dict[str, str] = env or {}
        self.secrets_file = secrets_file
        """Resolves secrets in block inputs, inside the worker."""
        self.wire: dict[str, Any] = {
            "session_id": session_id, "session_dir": session_dir, "tmp_dir": tmp_dir,
            "tmp_pkg_dir": tmp_pkg_dir, "pkg_dir": pkg_dir, "env": self.env,
            "secrets_file": secrets_file}
        """Their part of a job's wire dict."""


@dataclass(slots=True)
class Job:
    """One run of a ``JobSpec`` in a session."""

    spec: JobSpec
    session: SessionFields
    job_id: str
    stacks: Stacks
    inputs: dict[str, Any]
    nested: bool = False
    """Started by another job's ``context.run_block`` (which holds its worker meanwhile)."""
    masks: list[str] | None = None
    """Secret values blocks of the run received: the worker masks them in what this job
    says (its inputs may carry one, inline or inside a value held by a worker)."""

    @property
    def node_id(self) -> str:
        return self.spec.node_id

    @property
    def session_id(self) -> str:
        return self.session.session_id

    @property
    def timeout(self) -> float | None:
        return self.spec.timeout

    def wire(self) -> dict[str, Any]:
        """The job as sent to a worker (without ``blobs``, which the executor adds)."""
        wire = {**self.spec.static_wire(), **self.session.wire}
        wire["job_id"] = self.job_id
        wire["stacks"] = self.stacks
        wire["inputs"] = swap(self.inputs)  # big values as the pickles they came in
        wire["masks"] = self.masks
        return wire
