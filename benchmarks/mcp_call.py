"""One trivial block called as an MCP tool, warm, beside the other ways to call it.

    python benchmarks/mcp_call.py [--repeat 30]

The block returns its input + 1. Per call, median (and 90th percentile) over ``--repeat``
calls after one warm-up round, the paths taken in turn so that machine noise hits them
alike:

* ``engine``: ``Engine.arun`` in this process (no protocol at all);
* ``MCP stdio``: ``tools/call`` through the MCP SDK's client to ``oocana-local mcp``;
* ``MCP HTTP``: ``tools/call`` to ``serve``'s ``/mcp`` (streamable HTTP, one session);
* ``Connect``: create a task on the same server, then poll it every 2 ms until done.

Everything runs on loopback with a temporary package and run store. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from serve_load import TOKEN, start_server, write_package  # noqa: E402

import oocana_local  # noqa: E402
from oocana_local.runtime.options import RunOptions  # noqa: E402

Call = Callable[[int], Awaitable[None]]


async def measure(pkg: Path, url: str, repeat: int) -> dict[str, list[float]]:
    engine = oocana_local.Engine()
    block = engine.load(pkg / "blocks" / "inc")
    stdio = StdioServerParameters(command=sys.executable,
                                  args=["-m", "oocana_local", "mcp", str(pkg)],
                                  env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with open(os.devnull, "w") as devnull:
        async with stdio_client(stdio, errlog=devnull) as (read, write), \
                ClientSession(read, write) as local, \
                httpx.AsyncClient(headers=headers, timeout=60) as http, \
                streamable_http_client(f"{url}/mcp", http_client=http) as streams, \
                ClientSession(streams[0], streams[1]) as remote, \
                httpx.AsyncClient(base_url=url, timeout=60,
                                  headers={"Authorization": TOKEN}) as client:
            await local.initialize()
            await remote.initialize()

            async def in_engine(i: int) -> None:
                result = await engine.arun(block, RunOptions(inputs={"x": i}))
                assert result.outputs == {"x": i + 1}, result.error

            async def mcp_stdio(i: int) -> None:
                result = await local.call_tool("bench__inc", {"x": i})
                assert result.structuredContent == {"x": i + 1}, result

            async def mcp_http(i: int) -> None:
                result = await remote.call_tool("bench__inc", {"x": i})
                assert result.structuredContent == {"x": i + 1}, result

            async def connect(i: int) -> None:
                task = (await client.post("/api/v1/tasks", json={
                    "blockId": "bench::inc", "inputValues": {"x": i}})).json()["task"]
                while task["status"] not in ("completed", "failed", "stopped"):
                    await asyncio.sleep(0.002)
                    task = (await client.get(f"/api/v1/tasks/{task['id']}")).json()["task"]
                assert task["result"] == {"x": i + 1}, task

            paths: dict[str, Call] = {"engine": in_engine, "MCP stdio": mcp_stdio,
                                      "MCP HTTP": mcp_http, "Connect": connect}
            times: dict[str, list[float]] = {name: [] for name in paths}
            for i in range(repeat + 1):
                for name, call in paths.items():
                    start = time.perf_counter()
                    await call(i)
                    if i:  # the first round warms workers, sessions and routes
                        times[name].append((time.perf_counter() - start) * 1000)
    await engine.aclose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pkg = write_package(root)
        proc, url = start_server(pkg, root, None)
        try:
            times = asyncio.run(measure(pkg, url, args.repeat))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    load = os.getloadavg()[0]
    print(f"one trivial block, warm, {args.repeat} calls each "
          f"(load average {load:.1f}, {os.cpu_count()} cores)\n")
    print("| path | median ms | p90 ms |")
    print("|---|---:|---:|")
    for name, values in times.items():
        p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]
        print(f"| {name} | {statistics.median(values):.1f} | {p90:.1f} |")


if __name__ == "__main__":
    main()
