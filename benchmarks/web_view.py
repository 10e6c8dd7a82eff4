"""How long the web view takes to lay out and draw big flows.

    python benchmarks/web_view.py [--repeat 5] [--browser]

Rows, each the median of ``--repeat`` runs, for generated flows of 50, 200 and 1000
nodes (each fed by one or two earlier nodes): the layout (``flow_graph``), the HTML of
the graph, its size, and with ``--browser`` the time Debian's Chromium takes to load a
page holding that graph until its ``load`` event (a file, no server).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "web"))

from big_flow import write_big_flow  # noqa: E402

from oocana_local import Engine  # noqa: E402
from oocana_local.serve.web.graph import flow_graph  # noqa: E402
from oocana_local.serve.web.pages import Assets, graph_html, shell  # noqa: E402


def median_ms(action, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--browser", action="store_true")
    args = parser.parse_args()
    print(f"{'nodes':>6} {'layout ms':>10} {'html ms':>8} {'html kB':>8}"
          + (f" {'chromium load ms':>17}" if args.browser else ""))
    for size in (50, 200, 1000):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            flow_dir = write_big_flow(root, size)
            with Engine(search_paths=[str(root)]) as engine:
                flow = engine.load(flow_dir)
            layout = median_ms(lambda f=flow: flow_graph(f), args.repeat)
            graph = flow_graph(flow)
            draw = median_ms(lambda g=graph: graph_html(g, with_state=True), args.repeat)
            page = shell("big", graph_html(graph, with_state=True), assets=Assets(inline=True))
            row = f"{size:>6} {layout:>10.1f} {draw:>8.1f} {len(page) / 1024:>8.0f}"
            if args.browser:
                out = root / "page.html"
                out.write_text(page)
                row += f" {browser_load(out, args.repeat):>17.0f}"
            print(row)


def browser_load(path: Path, repeat: int) -> float:
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        result = median_ms(lambda: page.goto(path.as_uri(), wait_until="load"), repeat)
        browser.close()
    return result


if __name__ == "__main__":
    main()
