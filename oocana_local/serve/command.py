"""``oocana-local serve`` and ``oocana-local runs``."""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from ..cli_options import choose_executor, executor_args, max_workers_arg, search_paths_arg

__all__ = ["add_serve_parser", "add_runs_parser", "serve_command", "runs_command",
           "MISSING_EXTRA"]

MISSING_EXTRA = ('oocana-local: serving needs the "serve" extra: '
                 'pip install "oocana-local[serve]" (or pip install fastapi uvicorn)')
TOKEN_ENV = "OOCANA_LOCAL_TOKEN"


def add_serve_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve", help="serve flows and blocks to the Connect, Sim, AppBuilder and NGraphX SDKs",
        description="Serve the flows and blocks under PATH over HTTP, so programs written "
                    "against the OOMOL Connect, Sim, AppBuilder or NGraphX client SDKs run "
                    "them locally: point their base URL at the printed address.")
    serve.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                       help="folders with packages, flows or blocks (default: .)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind (default 127.0.0.1; another needs a token)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    serve.add_argument("--token", default=None,
                       help=f"the API token (default ${TOKEN_ENV}, else a random one)")
    serve.add_argument("--max-concurrent", type=int, default=None, metavar="N",
                       help="runs at once; more wait in a queue (default: the cores)")
    serve.add_argument("--db", type=Path, default=None, metavar="PATH",
                       help="the run store (default ~/.oocana-local/serve.db)")
    serve.add_argument("--max-task-events", type=int, default=None, metavar="N",
                       help="events the run store keeps per task; beyond them only the "
                            "ends of blocks and flows, and a note of how many were not "
                            "stored (default 100000)")
    search_paths_arg(serve)
    serve.add_argument("--secrets", default=None, metavar="FILE",
                       help="secrets file for secret inputs (also $OOCANA_SECRETS_FILE)")
    max_workers_arg(serve)
    serve.add_argument("--events", type=Path, action="append", default=[], metavar="FILE",
                       help="an events file of `run --events` (or a folder of them) for "
                            "the web view to list; repeatable")
    executor_args(serve)
    serve.add_argument("--include-tests", action="store_true",
                       help="also serve flows and blocks under tests/ folders (skipped by "
                            "default, like node_modules/ and hidden folders)")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port must be a number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be 0 to 65535, got {value}")
    return value


def add_runs_parser(commands: Any) -> None:
    runs = commands.add_parser("runs", help="list the runs of oocana-local serve",
                               description="List the tasks the server ran, newest first.")
    runs.add_argument("--db", type=Path, default=None, metavar="PATH",
                      help="the run store (default ~/.oocana-local/serve.db)")
    runs.add_argument("--limit", type=int, default=20, metavar="N",
                      help="how many (default 20)")
    runs.add_argument("--json", action="store_true", help="one JSON object per line")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_command(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from .app import ServeConfig, create_app
    except ImportError:
        print(MISSING_EXTRA, file=sys.stderr)
        return 2
    token = args.token or os.environ.get(TOKEN_ENV) or None
    generated = token is None
    if generated and not is_loopback(args.host):
        print(f"oocana-local: refusing to serve on {args.host} without a token: pass "
              f"--token or set ${TOKEN_ENV}", file=sys.stderr)
        return 2
    if args.max_task_events is not None and args.max_task_events < 0:
        print("oocana-local: --max-task-events must be 0 or more", file=sys.stderr)
        return 2
    for path in args.paths:
        if not Path(path).exists():
            print(f"oocana-local: {path} does not exist", file=sys.stderr)
            return 2
    if choose_executor(args) is None:
        return 2
    import secrets

    from ..errors import UsageError
    token = token or secrets.token_urlsafe(24)
    try:
        # Bound before anything is printed: a port in use is one line, not a banner
        # followed by uvicorn's error.
        listener = listen(args.host, args.port)
    except UsageError as exc:
        print(f"oocana-local: {exc}", file=sys.stderr)
        return 2
    config = ServeConfig(
        paths=args.paths, token=token, db=args.db, max_workers=args.max_workers,
        secrets_file=args.secrets, recorded=args.events,
        executor=args.executor, ray_address=args.ray_address,
        search_paths=args.search_paths,
        include_tests=args.include_tests,
        **({"max_concurrent": args.max_concurrent} if args.max_concurrent else {}),
        **({"max_task_events": args.max_task_events}
           if args.max_task_events is not None else {}))
    try:
        app = create_app(config)
    except UsageError as exc:
        listener.close()
        print(f"oocana-local: {exc}", file=sys.stderr)
        return 2
    catalog = app.state.runs.catalog
    host = f"[{args.host}]" if ":" in args.host else args.host
    port = listener.getsockname()[1]  # the one chosen when --port 0
    url = f"http://{host}:{port}"
    print(f"oocana-local serve: {len(catalog.flows())} flow(s), {len(catalog.blocks())} "
          f"block(s) from {', '.join(map(str, args.paths))}")
    print(f"  OOMOL Connect  base_url={url}/api")
    print(f"  Sim            base_url={url}")
    print(f"  AppBuilder     GATEWAY_URL_V2={url}")
    print(f"  NGraphX        {url}/share/api/v1/graphx/flow/run")
    print(f"  MCP            {url}/mcp")
    print(f"  API docs       {url}/docs")
    shown = token if generated else f"${TOKEN_ENV}" if not args.token else "<your --token>"
    print(f"  web view       {url}/?token={shown}")
    print(f"  run store      {app.state.runs.store.path}")
    for name, manifest, served in catalog.duplicates:
        print(f"  warning: {manifest} is not served: {name!r} is {served}", file=sys.stderr)
    if generated:  # like Jupyter: only a token the user did not choose is shown
        print(f"  token          {token}")
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=port,
                                           log_level="warning"))
    server.run(sockets=[listener])
    return 0


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; ``UsageError`` when it cannot be had."""
    from ..errors import UsageError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise UsageError(f"cannot serve on {host}: {exc.strerror}; pass --host an address "
                         "of this machine (default 127.0.0.1)") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is already in use; stop what listens "
                             f"there or pass another --port") from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; pass "
                         "another --host or --port") from None
    return sock  # not inheritable: worker processes must not keep the port open


def runs_command(args: argparse.Namespace) -> int:
    from .store import RunStore, default_db_path

    path = args.db or default_db_path()
    if not Path(path).exists():
        print(f"oocana-local: no run store at {path} (nothing was served yet)",
              file=sys.stderr)
        return 2
    store = RunStore(path)
    try:
        records = store.recent(limit=max(1, args.limit))
    finally:
        store.close()
    if args.json:
        for r in records:
            print(json.dumps({"id": r.id, "protocol": r.protocol, "target": r.target,
                              "status": r.status, "created_at": r.created_at,
                              "finished_at": r.finished_at, "outputs": r.outputs,
                              "error": r.error}))
        return 0
    if not records:
        print("no runs yet")
        return 0
    from datetime import datetime

    print(f"{'id':32}  {'created':19}  {'status':9}  {'protocol':10}  target")
    for r in records:
        created = datetime.fromtimestamp(r.created_at / 1000).strftime("%Y-%m-%d %H:%M:%S")
        error = f"  ({r.error.splitlines()[-1][:60]})" if r.error else ""
        print(f"{r.id:32}  {created}  {r.status:9}  {r.protocol:10}  {r.target}{error}")
    return 0
