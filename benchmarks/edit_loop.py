"""The edit loop: how long from saving a block to seeing its result, and what the cache saves.

    python benchmarks/edit_loop.py [--nodes 20] [--edits 7] [--work-ms 20]

A chain of ``--nodes`` nodes, each its own block (``x + i``, after ``--work-ms`` of
simulated work: a sleep standing in for real computation), is generated in a temporary
folder.

* watch mode: a ``DevSession`` (what ``oocana-local dev`` runs) watches the flow; the last
  node's ``main.py`` is rewritten ``--edits`` times and each time the clock runs from the
  write to the run's result (file-system notification, debounce, reload, the re-run of
  the changed node, replay of the 19 others). Median and min-max.
* ``--use-cache``: on one warm engine, full runs and runs with a warm disk cache
  (``Engine.run(cache=NodeCache(dir))``), alternated; medians and their ratio.

Prints a markdown table.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workloads import NUMBER_BLOCK  # noqa: E402

import oocana_local  # noqa: E402
from oocana_local.devmode import DevSession  # noqa: E402
from oocana_local.runtime.cache import NodeCache  # noqa: E402

BLOCK = NUMBER_BLOCK


def block_code(add: int, work_ms: float) -> str:
    return (f"import time\n\n\ndef main(inputs):\n    time.sleep({work_ms / 1000!r})\n"
            f"    return {{'x': inputs['x'] + {add}}}\n")


def write_chain(root: Path, nodes: int, work_ms: float) -> Path:
    lines = ["outputs_def: [{handle: x, json_schema: {type: number}}]", "nodes:"]
    for i in range(nodes):
        folder = root / "blocks" / f"b{i}"
        folder.mkdir(parents=True)
        (folder / "block.oo.yaml").write_text(BLOCK)
        (folder / "main.py").write_text(block_code(i, work_ms))
        source = ("{handle: x, value: 0}" if i == 0 else
                  f"{{handle: x, from_node: [{{node_id: n{i - 1}, output_handle: x}}]}}")
        lines += [f"  - node_id: n{i}", f"    task: ../../blocks/b{i}",
                  f"    inputs_from: [{source}]"]
    lines += [f"outputs_from: [{{handle: x, from_node: [{{node_id: n{nodes - 1}, "
              f"output_handle: x}}]}}]"]
    flow = root / "flows" / "chain"
    flow.mkdir(parents=True)
    (flow / "flow.oo.yaml").write_text("\n".join(lines) + "\n")
    return flow


def watch_mode(flow: Path, nodes: int, edits: int, work_ms: float) -> list[float]:
    runs: queue.Queue = queue.Queue()
    session = DevSession(flow, on_run=lambda run: runs.put((time.perf_counter(), run)))
    stop = threading.Event()
    thread = threading.Thread(target=session.watch, args=(stop,), daemon=True)
    thread.start()
    try:
        runs.get(timeout=120)
        session.watching.wait(120)
        last = flow.parent.parent / "blocks" / f"b{nodes - 1}" / "main.py"
        times = []
        for edit in range(edits):
            time.sleep(0.3)
            started = time.perf_counter()
            last.write_text(block_code(1000 + edit, work_ms))
            finished, run = runs.get(timeout=120)
            assert run.status == "completed" and run.reran == [f"n{nodes - 1}"], run.summary()
            times.append(finished - started)
        return times
    finally:
        stop.set()
        thread.join(30)
        session.close()


def use_cache(flow: Path, repeat: int, cache_dir: Path) -> tuple[list[float], list[float]]:
    full, cached = [], []
    cache = NodeCache(cache_dir)
    with oocana_local.Engine() as engine:
        assert engine.run(flow).ok  # warm the workers
        assert engine.run(flow, cache=cache).ok  # fill the cache
        for _ in range(repeat):
            started = time.perf_counter()
            assert engine.run(flow).ok
            full.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = engine.run(flow, cache=cache)
            cached.append(time.perf_counter() - started)
            assert result.ok and len(result.cached) == len(result.nodes)
    return full, cached


def ms(values: list[float]) -> str:
    return (f"{statistics.median(values) * 1000:.1f} ms "
            f"({min(values) * 1000:.1f}-{max(values) * 1000:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=20)
    parser.add_argument("--edits", type=int, default=7)
    parser.add_argument("--work-ms", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        flow = write_chain(Path(tmp), args.nodes, args.work_ms)
        edit_times = watch_mode(flow, args.nodes, args.edits, args.work_ms)
        full, cached = use_cache(flow, args.edits, Path(tmp) / "cache")
    ratio = statistics.median(full) / statistics.median(cached)
    print(f"{args.nodes}-node chain, {args.work_ms:g} ms of work per node, "
          f"median (min-max) of {args.edits}\n")
    print("| measure | time |")
    print("|---|---|")
    print(f"| watch mode: save the last block → its result | {ms(edit_times)} |")
    print(f"| full run, warm workers | {ms(full)} |")
    print(f"| `--use-cache` re-run, nothing changed | {ms(cached)} |")
    print(f"| full / cached | {ratio:.0f}× |")


if __name__ == "__main__":
    main()
