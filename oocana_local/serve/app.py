"""The ASGI application: one engine, one run manager, four protocols on one port."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException

from .catalog import Catalog
from .http import (
    BodyLimit,
    ProtocolError,
    TokenCheck,
    http_error_handler,
    protocol_error_handler,
)
from .runs import MAX_TASK_EVENTS, RunManager
from .state import ServerState
from .store import RunStore, default_db_path

__all__ = ["ServeConfig", "create_app"]

DEFAULT_MAX_BODY = 64 * 1024 * 1024


@dataclass
class ServeConfig:
    paths: Sequence[str | os.PathLike[str]]
    token: str
    search_paths: Sequence[str] = ()
    max_concurrent: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_task_events: int = MAX_TASK_EVENTS
    db: Path | None = None
    max_workers: int | None = None
    max_body: int = DEFAULT_MAX_BODY
    secrets_file: str | None = None
    recorded: Sequence[Path] = ()
    """Events files (or folders of them) the web view lists as recorded runs."""
    executor: str | None = None
    """``local`` or ``ray`` (default ``$OOCANA_LOCAL_EXECUTOR``)."""
    ray_address: str | None = None
    include_tests: bool = False
    """Also serve what is under ``tests/`` folders below the paths."""


def open_store(db: Path) -> RunStore:
    """The run store at ``db``; ``UsageError`` saying what to change when it cannot open."""
    import sqlite3

    from ..errors import UsageError

    try:
        return RunStore(db)
    except (OSError, sqlite3.Error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UsageError(f"cannot open the run store {db}: {reason}; pass --db a new or "
                         "existing serve.db in a folder you can write to") from None


def create_app(config: ServeConfig) -> FastAPI:
    """The server; its engine and store open when the app starts and close when it stops.
    ``UsageError`` when the store cannot open or a served package cannot be read."""
    from ..engine import Engine
    from ..errors import UsageError
    from ..paths import own_tmp_root, user_folder

    own_tmp_root()  # served runs keep tmp folders there: refuse now, not at the first run
    db = Path(config.db) if config.db is not None else default_db_path()
    if config.db is not None:  # uploads go beside it too
        user_folder(db.parent, "the folder of --db")
    catalog = Catalog([Path(p) for p in config.paths], include_tests=config.include_tests)
    if catalog.problems:
        first = catalog.problems[0]
        more = f" (and {len(catalog.problems) - 1} more)" if len(catalog.problems) > 1 else ""
        raise UsageError(f"{first.format().splitlines()[0]}{more}; fix the package manifest "
                         "or serve another folder (`oocana-local check` lists every problem)")
    store = open_store(db)
    engine = Engine(search_paths=[*config.search_paths, *map(str, config.paths)],
                    max_workers=config.max_workers, secrets_file=config.secrets_file,
                    executor=config.executor, ray_address=config.ray_address)
    runs = RunManager(engine, store, catalog,
                      max_concurrent=max(1, config.max_concurrent),
                      max_task_events=max(0, config.max_task_events),
                      files_root=db.parent / "serve-files")
    state = ServerState(runs=runs, token=TokenCheck(config.token))
    from .mcp_http import PATH as MCP_PATH
    from .mcp_http import mcp_endpoint

    mcp = mcp_endpoint(runs, state.token, config.secrets_file)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store.mark_interrupted()
        await runs.start()  # the worker pool binds to this loop
        try:
            async with mcp.running():
                yield
        finally:
            await runs.close()
            await engine.aclose()
            store.close()

    app = FastAPI(title="oocana-local serve", lifespan=lifespan,
                  description="Runs the local flows and blocks through the OOMOL Connect, "
                              "Sim, AppBuilder and NGraphX client protocols, and as MCP "
                              "tools at /mcp.")
    app.state.runs = runs
    app.state.token = state.token
    app.add_exception_handler(ProtocolError, protocol_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_middleware(BodyLimit, max_bytes=config.max_body)
    # Browser clients (NGraphX's chat component, the TypeScript Connect SDK) call from
    # another origin. Safe to allow any: every route wants the token in a header, and
    # no cookie or credential is ever accepted.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"],
                       allow_headers=["*"], allow_credentials=False,
                       expose_headers=["X-Run-Id", "X-Appbuilder-Request-Id",
                                       "Mcp-Session-Id"])
    from starlette.routing import Route

    # An ASGI app, not a FastAPI route: the MCP SDK answers the request itself.
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp, methods=["GET", "POST", "DELETE"]))

    from .appbuilder import appbuilder_router
    from .connect import connect_router
    from .ngraphx import ngraphx_router
    from .sim import sim_router

    app.include_router(connect_router(state))
    app.include_router(sim_router(state))
    app.include_router(appbuilder_router(state))
    app.include_router(ngraphx_router(state))
    from .web.routes import LoginRequired, login_required_handler, web_router

    app.add_exception_handler(LoginRequired, login_required_handler)
    app.include_router(web_router(state, [Path(p) for p in config.recorded]))
    return app
