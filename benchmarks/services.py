"""What a service call costs, side by side with a task block, in one warm Engine.

    python benchmarks/services.py [--repeat 15] [--node]

Rows (each an ``Engine.run`` of one block, interleaved so machine noise hits every row
alike; the engine's worker pool is warm):

* ``task block``: a plain Python block on the pool's warm worker;
* ``service, app_end``: a call of a service that lives with the engine (warm, the usual
  cost of a call);
* ``service, session_end``: a call of a service stopped at the end of each run, so every
  run starts its process and runs ``function(service)`` (the cold cost);
* ``3 calls, session_end``: a flow calling one session service three times in a chain.

With ``--node``, the same for Node.js: ``node task block`` (a TypeScript block on the
package's warm Node worker), ``node service, app_end`` and ``node service, session_end``
(a TypeScript service, so its cold cost includes a Node start and its compile).

Prints the median and min-max wall-clock ms of each row and its ratio to the task block.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import oocana_local  # noqa: E402

FLOWS = REPO / "tests" / "flows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--node", action="store_true", help="add the Node.js rows")
    args = parser.parse_args()
    with oocana_local.Engine(search_paths=[str(FLOWS)]) as engine:
        base = FLOWS / "services"
        rows = {
            "task block": (engine.loader.resolve_task("self::inc", FLOWS / "slots"),
                           {"x": 1}),
            "service, app_end": (engine.loader.resolve_task("svcs::forever::add", base),
                                 {"n": 1}),
            "service, session_end": (engine.loader.resolve_task("svcs::counter::add", base),
                                     {"n": 1}),
            "3 calls, session_end": (engine.load(base / "flows" / "three_calls"), None),
        }
        if args.node:
            rows.update({
                "node task block": (engine.loader.resolve_task(
                    "self::add", FLOWS / "nodejs" / "flows"), {"a": 1, "b": 2}),
                "node service, app_end": (engine.loader.resolve_task(
                    "svcs::jsapp::add", base), {"n": 1}),
                "node service, session_end": (engine.loader.resolve_task(
                    "svcs::app::one", base), {}),
            })
        times: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(2):  # warm-up: workers, imports
            for target, inputs in rows.values():
                engine.run(target, inputs=inputs)
        for _ in range(args.repeat):
            for name, (target, inputs) in rows.items():
                start = time.perf_counter()
                result = engine.run(target, inputs=inputs)
                times[name].append((time.perf_counter() - start) * 1000)
                assert result.ok, result.error
    floor = statistics.median(times["task block"])
    print(f"{'row':<27}{'median ms':>11}{'min-max ms':>16}{'x task':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        spread = f"{min(values):.1f}-{max(values):.1f}"
        print(f"{name:<27}{median:>11.1f}{spread:>16}{median / floor:>9.2f}")


if __name__ == "__main__":
    main()
