"""The web view's routes: login, the home page, flow and block pages with their run form,
run pages with their live events, and the actions (stop, re-run, open a block's file).

Pages and actions answer 401 with the login form to a browser that is not logged in (the
``page_login`` dependency raises ``LoginRequired``, which the app turns into the form); the
event stream answers a bare 401. Nothing here reads or writes runs except through the
run manager and its store, like every other protocol of the server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from ...mainframe.jsonable import dumps
from ...manifest.resolved import Flow, TaskBlock
from ..http import sse_response
from ..runs import BadRequest, NotFound
from ..state import ServerState
from .auth import cookie_args, signed_in
from .events import EventsFileError, for_page, read_events_file
from .graph import block_graph, flow_graph
from .home import home_page, target_page
from .pages import login_page
from .recorded import block_files, graph_for, load_target, summarize
from .run_page import RunInfo, run_page

__all__ = ["web_router", "LoginRequired", "login_required_handler"]

_STATIC = Path(__file__).parent / "static"
_KEEPALIVE = 15.0


class LoginRequired(Exception):
    """A page or an action asked for by a browser that is not logged in."""


async def login_required_handler(request: Request, exc: Exception) -> Response:
    """The app's answer to ``LoginRequired``: the login form, 401."""
    return HTMLResponse(login_page(), status_code=401)


def web_router(state: ServerState, recorded: list[Path] | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    runs = state.runs
    recorded_files = list(recorded or [])

    async def page_login(request: Request) -> None:
        if not signed_in(request, state.token):
            raise LoginRequired

    signed = [Depends(page_login)]

    def html(text: str, status: int = 200) -> HTMLResponse:
        return HTMLResponse(text, status_code=status,
                            headers={"Cache-Control": "no-store"})

    @router.get("/")
    async def home(request: Request, q: str = "", token: str | None = None) -> Response:
        if token is not None:
            if not state.token.matches(token):
                return HTMLResponse(login_page("That token is not this server's."), 401)
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(**cookie_args(token))  # type: ignore[arg-type]
            return response
        await page_login(request)  # not a dependency: ?token= logs in first
        return html(home_page(runs, q, recorded_runs()))

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = (form.get("token") or [""])[-1]
        if not state.token.matches(token):
            return HTMLResponse(login_page("That token is not this server's."), 401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(**cookie_args(token))  # type: ignore[arg-type]
        return response

    def recorded_runs() -> list[tuple[int, Path]]:
        found: list[Path] = []
        for path in recorded_files:
            if path.is_dir():
                found += sorted(path.glob("*.jsonl"))
            elif path.is_file():
                found.append(path)
        return list(enumerate(found))

    # -- flows and blocks ----------------------------------------------------------------

    async def show_target(name: str, kind: str, values: dict[str, Any] | None = None,
                          error: str = "", status: int = 200) -> Response:
        try:
            entry, target = runs.resolve(name)
        except NotFound:
            return html(_not_found(f"No {kind} called {name} is served here."), 404)
        except BadRequest as exc:
            return html(_not_found(str(exc)), 400)
        if entry.kind != kind:
            return html(_not_found(f"{name} is a {entry.kind}, not a {kind}."), 404)
        return html(target_page(entry, target, values, error), status)

    @router.get("/flows/{name}", dependencies=signed)
    async def flow_page(request: Request, name: str) -> Response:
        return await show_target(name, "flow")

    @router.get("/blocks/{name}", dependencies=signed)
    async def block_page(request: Request, name: str) -> Response:
        return await show_target(name, "block")

    async def start(request: Request, name: str, kind: str) -> Response:
        from ..bodies import save_upload
        from .schema_form import FormError, parse_form, read_submission

        form: dict[str, list[str]] = {}
        try:
            form, files = read_submission(await request.body(),
                                          request.headers.get("content-type", ""))
            entry, target = runs.resolve(name)
            inputs = parse_form(target.inputs_def, form)
            task_id = runs.new_task_id()
            for field, (filename, data) in files.items():
                handle = field.removeprefix("file.")
                if field.startswith("file.") and handle in target.inputs_def:
                    folder = runs.task_dir(task_id) / "uploads"
                    inputs[handle] = str(save_upload(folder, filename, data))
            run = runs.submit(entry, target, protocol="web", inputs=inputs, task_id=task_id)
        except NotFound:
            return html(_not_found(f"No {kind} called {name} is served here."), 404)
        except (BadRequest, FormError) as exc:
            return await show_target(name, kind, _raw_values(form), str(exc), 400)
        return RedirectResponse(f"/runs/{run.record.id}", status_code=303)

    @router.post("/flows/{name}/run", dependencies=signed)
    async def run_flow(request: Request, name: str) -> Response:
        return await start(request, name, "flow")

    @router.post("/blocks/{name}/run", dependencies=signed)
    async def run_block(request: Request, name: str) -> Response:
        return await start(request, name, "block")

    # -- runs ------------------------------------------------------------------------------

    def graph_of(name: str) -> tuple[Any, Any]:
        try:
            entry, target = runs.resolve(name)
        except (NotFound, BadRequest):
            return None, None
        if isinstance(target, Flow):
            return entry, flow_graph(target)
        if isinstance(target, TaskBlock):
            return entry, block_graph(target, name)
        return entry, None

    @router.get("/runs/{task_id}", dependencies=signed)
    async def run_view(request: Request, task_id: str) -> Response:
        record = runs.get(task_id)
        if record is None:
            return html(_not_found("No run with that id."), 404)
        entry, graph = graph_of(record.target)
        if graph is None:
            graph = graph_for(None, [e.event for e in runs.store.events(task_id)])
        info = RunInfo(id=record.id, target=record.target, status=record.status,
                       inputs=record.inputs, created_at=record.created_at,
                       started_at=record.started_at, finished_at=record.finished_at,
                       error=record.error, block_files=block_files(graph))
        href = f"/{entry.kind}s/{entry.name}" if entry is not None else None
        return html(run_page(info, graph, events=None, live=True, target_href=href))

    @router.get("/runs/{task_id}/events")
    async def run_events(request: Request, task_id: str) -> Response:
        if not signed_in(request, state.token):
            return Response("a valid token is required", status_code=401)
        if runs.get(task_id) is None:
            return Response("no such run", status_code=404)
        last = request.headers.get("last-event-id", "")
        after = int(last) if last.isdigit() else 0
        return sse_response(_stream(runs, task_id, after))

    @router.post("/runs/{task_id}/stop", dependencies=signed)
    async def stop(request: Request, task_id: str) -> Response:
        try:
            runs.stop(task_id)
        except NotFound:
            return html(_not_found("No run with that id."), 404)
        return RedirectResponse(f"/runs/{task_id}", status_code=303)

    @router.post("/runs/{task_id}/rerun", dependencies=signed)
    async def rerun(request: Request, task_id: str) -> Response:
        record = runs.get(task_id)
        if record is None:
            return html(_not_found("No run with that id."), 404)
        try:
            entry, target = runs.resolve(record.target)
            run = runs.submit(entry, target, protocol="web", inputs=record.inputs,
                              nodes_inputs=record.nodes_inputs)
        except (NotFound, BadRequest) as exc:
            return html(_not_found(f"Cannot re-run: {exc}"), 400)
        return RedirectResponse(f"/runs/{run.record.id}", status_code=303)

    @router.post("/runs/{task_id}/open", dependencies=signed)
    async def open_file(request: Request, task_id: str) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        node = (form.get("node") or [""])[-1]
        record = runs.get(task_id)
        _, graph = graph_of(record.target) if record is not None else (None, None)
        path = block_files(graph).get(node) if graph is not None else None
        if path is None:  # only files of the run's own blocks, never a path sent to us
            return html(_not_found("That node has no block file."), 404)
        opened = _open_in_editor(path)
        note = "Opened" if opened else "No program to open files with was found; the file is"
        return html(_message(f"{note} <code>{escape(path)}</code>.",
                             f"/runs/{escape(task_id)}"))

    @router.get("/recorded/{index}", dependencies=signed)
    async def recorded_page(request: Request, index: int) -> Response:
        files = dict(recorded_runs())
        if index not in files:
            return html(_not_found("No recorded run with that number."), 404)
        try:
            events = read_events_file(files[index])
        except (OSError, EventsFileError) as exc:
            return html(_not_found(str(exc)), 400)
        target = load_target(events, runs.engine.load)
        info = summarize(events, files[index].stem)
        graph = graph_for(target, events, info.target)
        info.block_files = block_files(graph)
        return html(run_page(info, graph, events=[for_page(m) for m in events], live=False))

    # -- static files ------------------------------------------------------------------

    @router.get("/web/static/{name}")
    async def static(name: str) -> Response:
        if name == "plotly.min.js":
            from ...context.preview_plotly import plotly_js_file

            return FileResponse(plotly_js_file(), media_type="text/javascript",
                                headers={"Cache-Control": "max-age=86400"})
        path = _STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file():
            return Response("not found", status_code=404)
        media = {".js": "text/javascript", ".css": "text/css"}.get(path.suffix, "text/plain")
        return FileResponse(path, media_type=media, headers={"Cache-Control": "no-cache"})

    return router


async def _stream(runs: Any, task_id: str, after: int):  # type: ignore[no-untyped-def]
    """Stored messages after ``after``, then live ones, each once, then ``end``.

    The listener is taken, and the stored count read, with no await in between: every
    message the bus gives the run later is in the queue, every earlier one in the store."""
    run = runs.live.get(task_id)
    queue = run.follow() if run is not None else None
    snapshot = run.seq if run is not None else None
    try:
        for event in runs.store.events(task_id, after=after):
            if snapshot is not None and event.seq > snapshot:
                break
            yield _frame(event.seq, event.event)
        if queue is not None and snapshot is not None:
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), _KEEPALIVE)
                except asyncio.TimeoutError:
                    yield b": keepalive\n\n"
                    continue
                if item is None:
                    break
                seq, stored, message = item
                # One the store dropped (its cap) carries the last stored number: it is
                # shown once, and a reconnection resumes after what the store has.
                if seq > after or not stored:
                    yield _frame(seq, message)
        yield b"event: end\ndata: {}\n\n"
    finally:
        if run is not None and queue is not None and queue in run.followers:
            run.followers.remove(queue)


def _frame(seq: int, message: dict[str, Any]) -> bytes:
    return f"id: {seq}\ndata: {dumps(for_page(message))}\n\n".encode()


def _raw_values(form: dict[str, list[str]]) -> dict[str, Any]:
    return {k.removeprefix("input."): v[-1] for k, v in form.items()
            if k.startswith("input.")}


def _open_in_editor(path: str) -> bool:
    """Open ``path`` with the desktop's program for it (on the server's machine, which
    is the user's: the server listens on loopback unless told otherwise)."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]
        return True
    opener = shutil.which("open" if sys.platform == "darwin" else "xdg-open")
    if opener is None:
        return False
    subprocess.Popen([opener, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    return True


def _not_found(message: str) -> str:
    from .pages import shell

    return shell("Not found", f'<h1>Not here</h1><p role="alert">{escape(message)}</p>'
                              '<p><a href="/">Home</a></p>')


def _message(message_html: str, back: str) -> str:
    from .pages import shell

    return shell("Open file", f'<p role="status">{message_html}</p>'
                              f'<p><a href="{back}">Back to the run</a></p>')
