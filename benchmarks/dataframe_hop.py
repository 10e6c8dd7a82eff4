"""A DataFrame passed along a 3-node chain, on one worker and across workers.

    python benchmarks/dataframe_hop.py [--rows 1000000] [--runs 7]

``first`` makes a ``rows`` x 5 float64 DataFrame on an ``oomol/var`` handle; ``second``
and ``third`` each take it and pass it on. A hop is the time from the moment a block
returns the frame to the moment the next block's ``main`` starts with it in hand
(engine routing, placement, the copy if any, unpickling): each block reports
``time.time()`` as it returns, the next one subtracts it as it starts. Printed as a
markdown table of the median hop over ``runs`` runs:

* same worker: every node on the worker that holds the frame (what placement does on
  its own): the identical object, no copy;
* across workers: every node has ``spawn: true``, so each runs on a worker of its own and
  the frame is copied each hop: pickle protocol 5, buffers through shared memory;
* in-process ``pickle.dumps`` + ``pickle.loads`` of the same frame, for scale.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import oocana_local  # noqa: E402

FIRST = '''
import time
import numpy as np
import pandas as pd

def main(params):
    frame = pd.DataFrame(np.random.rand(params["rows"], 5), columns=list("abcde"))
    return {"df": frame, "t": time.time()}
'''

PASS_ON = '''
import time

def main(params):
    hop = time.time() - params["t"]
    frame = params["df"]
    assert frame.shape[1] == 5
    return {"df": frame, "t": time.time(), "hop": hop}
'''


def write_flow(root: Path, spawn: bool) -> Path:
    folder = root / ("spawn" if spawn else "shared")
    folder.mkdir(parents=True)
    (folder / "first.py").write_text(FIRST)
    (folder / "pass_on.py").write_text(PASS_ON)
    var = {"contentMediaType": "oomol/var"}
    options = {"spawn": True} if spawn else {}

    def task(entry: str, inputs: list[dict], outputs: list[dict]) -> dict:
        return {"inputs_def": inputs, "outputs_def": outputs,
                "executor": {"name": "python", "options": {"entry": entry, **options}}}

    out = [{"handle": "df", "json_schema": var}, {"handle": "t", "json_schema": {}}]
    nodes = [{"node_id": "first",
              "task": task("first.py", [{"handle": "rows", "json_schema": {}}], out),
              "inputs_from": [{"handle": "rows", "from_flow": [{"input_handle": "rows"}]}]}]
    previous = "first"
    for name in ("second", "third"):
        nodes.append({
            "node_id": name,
            "task": task("pass_on.py", [{"handle": "df", "json_schema": var},
                                        {"handle": "t", "json_schema": {}}],
                         [*out, {"handle": "hop", "json_schema": {}}]),
            "inputs_from": [{"handle": h, "from_node": [{"node_id": previous,
                                                           "output_handle": h}]}
                            for h in ("df", "t")]})
        previous = name
    flow = {"inputs_def": [{"handle": "rows", "json_schema": {}}],
            "outputs_def": [{"handle": "hop2"}, {"handle": "hop3"}], "nodes": nodes,
            "outputs_from": [{"handle": "hop2", "from_node": [{"node_id": "second",
                                                                "output_handle": "hop"}]},
                             {"handle": "hop3", "from_node": [{"node_id": "third",
                                                                "output_handle": "hop"}]}]}
    (folder / "flow.oo.yaml").write_text(yaml.safe_dump(flow, sort_keys=False))
    return folder


def hops(engine: oocana_local.Engine, flow: Path, rows: int, runs: int) -> list[float]:
    engine.run(flow, inputs={"rows": rows})  # warm: workers started, pandas imported
    times = []
    for _ in range(runs):
        result = engine.run(flow, inputs={"rows": rows})
        if not result.ok:
            raise SystemExit(result.error)
        times += [result.outputs["hop2"], result.outputs["hop3"]]
    return times


def pickle_round_trip(rows: int, runs: int) -> list[float]:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame(np.random.rand(rows, 5), columns=list("abcde"))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        pickle.loads(pickle.dumps(frame, protocol=5))
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, oocana_local.Engine() as engine:
        root = Path(tmp)
        same = hops(engine, write_flow(root, spawn=False), args.rows, args.runs)
        across = hops(engine, write_flow(root, spawn=True), args.rows, args.runs)
    in_process = pickle_round_trip(args.rows, args.runs)
    mb = args.rows * 5 * 8 / 1e6
    print(f"{args.rows:,} x 5 float64 DataFrame ({mb:.0f} MB), median of {args.runs} runs\n")
    print("| path | ms per hop |")
    print("|---|---|")
    for label, times in (("same worker (identical object)", same),
                         ("across workers (pickle 5 + shared memory)", across),
                         ("in-process pickle.dumps + loads", in_process)):
        print(f"| {label} | {statistics.median(times) * 1000:.1f} |")


if __name__ == "__main__":
    main()
