"""Big JSON values between Python and Node.js blocks, which cross the engine as the pickle
their worker made (``wire/packed.py``): what arrives is what JSON makes of the value, as
for any value, whichever language reads it and however often the engine reads it too.
"""

from __future__ import annotations

import math
from pathlib import Path

import yaml
from helpers import FLOWS, events

N = 20_000  # a list of N floats pickles to ~180 KB: past the size that travels packed

MAKE = """
def main(params):
    floats = [i * 1.5 for i in range(N)]
    odd = [float("nan"), float("inf"), -float("inf"), -0.0, 2**63, 2**70, 1e21, True, None]
    table = {"": 0, "__proto__": {"x": 1}, "\u00e9\U0001f600": [1, 2], "1": "one",
             "constructor": None, **{f"k{i}": [i, str(i), i / 3] for i in range(5000)}}
    rows = [{"a": i, "s": "s" * (i % 7), "l": [i, None, True, {"d": -i}]} for i in range(3000)]
    return {"floats": floats, "odd": floats + odd, "table": table, "rows": rows,
            "tuple_list": [(i, i + 0.5) for i in range(8000)]}
""".replace("range(N)", f"range({N})")

ECHO_TS = """
const kind = (v: unknown) => Array.isArray(v) ? "array" : v === null ? "null" : typeof v;
export default (p: Record<string, any>) => ({
  floats: p.floats, odd: p.odd, table: p.table, rows: p.rows, tuple_list: p.tuple_list,
  seen: {
    floats: [p.floats.length, p.floats[3], kind(p.floats[0])],
    odd: p.odd.slice(-9).map(kind),
    neg0: Object.is(p.odd[p.odd.length - 6], -0),
    keys: Object.keys(p.table).slice(0, 5),
    proto: Object.getPrototypeOf(p.table) === Object.prototype,
    rows: [p.rows.length, p.rows[5].l[3].d, p.rows[6].s],
    tuples: kind(p.tuple_list[1]),
  },
});
"""

CHECK = """
def main(params):
    return {"same": {k: params[k] for k in ("floats", "odd", "table", "rows", "tuple_list")},
            "total": sum(params["floats"])}
"""


def block(folder: Path, executor: str, entry: str, code: str, inputs: list[str],
          outputs: list[str]) -> None:
    folder.mkdir(parents=True)
    (folder / entry).write_text(code)
    (folder / "task.oo.yaml").write_text(yaml.safe_dump({
        "executor": {"name": executor, "options": {"entry": entry}},
        "inputs_def": [{"handle": h} for h in inputs],
        "outputs_def": [{"handle": h} for h in outputs]}))


def edges(node: str, handles: list[str]) -> list[dict]:
    return [{"handle": h, "from_node": [{"node_id": node, "output_handle": h}]}
            for h in handles]


VALUES = ["floats", "odd", "table", "rows", "tuple_list"]


def expected() -> dict:
    """What JSON makes of MAKE's values, read back in Python."""
    floats = [i * 1.5 for i in range(N)]
    table = {"": 0, "__proto__": {"x": 1}, "\u00e9\U0001f600": [1, 2], "1": "one",
             "constructor": None, **{f"k{i}": [i, str(i), i / 3] for i in range(5000)}}
    rows = [{"a": i, "s": "s" * (i % 7), "l": [i, None, True, {"d": -i}]} for i in range(3000)]
    return {"floats": floats, "table": table, "rows": rows,
            "tuple_list": [[i, i + 0.5] for i in range(8000)],
            "odd": floats + [None, None, None, -0.0, 2**63, 2**70, 1e21, True, None]}


def through_node(value: list) -> list:
    """After a Node.js block: integral numbers are integers, past 2**53 JSON's digits."""
    return [int(x) if type(x) is float and x.is_integer() and abs(x) < 1e21 else x
            for x in value]


class TestBigValuesBetweenPythonAndNode:
    def test_big_values_keep_json_meaning_both_ways_and_to_two_languages(
            self, engine, tmp_path):
        block(tmp_path / "make", "python", "main.py", MAKE, [], VALUES)
        block(tmp_path / "echo", "nodejs", "main.ts", ECHO_TS, VALUES, [*VALUES, "seen"])
        block(tmp_path / "check", "python", "main.py", CHECK, VALUES, ["same", "total"])
        flow = {"outputs_def": [{"handle": h} for h in
                                ("floats", "seen", "from_node", "from_python", "total")],
                "nodes": [
                    {"node_id": "make", "task": "./make", "inputs_from": []},
                    {"node_id": "echo", "task": "./echo", "inputs_from": edges("make", VALUES)},
                    # The same values from the engine's hands to a Python block too ...
                    {"node_id": "direct", "task": "./check",
                     "inputs_from": edges("make", VALUES)},
                    # ... and what the Node.js block returned on to Python.
                    {"node_id": "back", "task": "./check", "inputs_from": edges("echo", VALUES)}],
                "outputs_from": [
                    # read by the engine as well as passed on
                    {"handle": "floats", "from_node": [{"node_id": "make",
                                                        "output_handle": "floats"}]},
                    {"handle": "seen", "from_node": [{"node_id": "echo",
                                                      "output_handle": "seen"}]},
                    {"handle": "from_node", "from_node": [{"node_id": "back",
                                                           "output_handle": "same"}]},
                    {"handle": "from_python", "from_node": [{"node_id": "direct",
                                                             "output_handle": "same"}]},
                    {"handle": "total", "from_node": [{"node_id": "back",
                                                       "output_handle": "total"}]}]}
        (tmp_path / "flow.oo.yaml").write_text(yaml.safe_dump(flow, sort_keys=False))

        result = engine.run(tmp_path)

        assert result.status == "completed", result.error
        out, want = result.outputs, expected()
        assert out["floats"] == want["floats"]
        assert out["from_python"] == want
        assert out["seen"] == {
            "floats": [N, 4.5, "number"],
            "odd": ["null", "null", "null", "number", "number", "number", "number",
                    "boolean", "null"],
            "neg0": True, "keys": ["1", "", "__proto__", "\u00e9\U0001f600", "constructor"],
            "proto": True, "rows": [3000, -5, "ssssss"], "tuples": "array"}
        back = out["from_node"]
        assert back["floats"] == through_node(want["floats"])
        assert back["odd"][:N] == through_node(want["floats"])
        assert back["odd"][N:] == [None, None, None, 0, 9223372036854776000, 2.0**70, 1e21,
                                   True, None]
        assert type(back["odd"][N + 3]) is int and type(back["odd"][N + 6]) is float
        assert back["table"] == want["table"] and back["rows"] == want["rows"]
        assert back["tuple_list"] == want["tuple_list"]
        assert math.isclose(out["total"], sum(want["floats"]))
        # The records hold the values too, as the blocks made them.
        [made] = events(result, "BlockFinished", "make")
        assert made["result"]["table"] == want["table"]
        [started] = events(result, "BlockStarted", "back")
        assert started["inputs"]["rows"] == want["rows"]

    def test_a_placeholder_inside_a_big_value_is_resolved_in_either_language(
            self, engine, tmp_path):
        make = ("def main(params):\n"
                "    return {'items': [i * 0.5 for i in range(20000)]"
                " + ['${{OO_SECRET:Custom,db,password}}']}\n")
        block(tmp_path / "make", "python", "main.py", make, [], ["items"])
        block(tmp_path / "py_last", "python", "main.py",
              "def main(params):\n    return {'last': params['items'][-1]}\n",
              ["items"], ["last"])
        block(tmp_path / "ts_last", "nodejs", "main.ts",
              "export default (p: { items: unknown[] }) => ({ last: p.items.at(-1) });\n",
              ["items"], ["last"])
        flow = {"outputs_def": [{"handle": "py"}, {"handle": "ts"}], "nodes": [
            {"node_id": "make", "task": "./make", "inputs_from": []},
            {"node_id": "py", "task": "./py_last", "inputs_from": edges("make", ["items"])},
            {"node_id": "ts", "task": "./ts_last", "inputs_from": edges("make", ["items"])}],
            "outputs_from": [
                {"handle": "py", "from_node": [{"node_id": "py", "output_handle": "last"}]},
                {"handle": "ts", "from_node": [{"node_id": "ts", "output_handle": "last"}]}]}
        (tmp_path / "flow.oo.yaml").write_text(yaml.safe_dump(flow, sort_keys=False))

        result = engine.run(tmp_path, secrets_file=FLOWS / "secrets" / "secrets.json")

        assert result.status == "completed", result.error
        # Both blocks had the secret; the records show it masked.
        assert result.outputs == {"py": "hunter2", "ts": "hunter2"}
        for node in ("py", "ts"):
            [end] = events(result, "BlockFinished", node)
            assert end["result"] == {"last": "******"}
        [ts_start] = events(result, "BlockStarted", "ts")
        assert ts_start["inputs"]["items"][-1] == "${{OO_SECRET:Custom,db,password}}"

    def test_big_inputs_given_to_a_node_block_keep_their_shape(self, engine, tmp_path):
        block(tmp_path / "shape", "nodejs", "main.ts",
              "export default (p: { rows: unknown[] }) => ({ rows: p.rows,"
              " n: p.rows.length });\n", ["rows"], ["rows", "n"])
        # Floats in tuples, sets and lists next to each other: each run of numbers goes
        # where its own container closes.
        rows = [(i + 0.5, i + 0.25, i * 2.0, -i - 0.5) if i % 3 else [i + 0.5, [0.5, 1.5]]
                for i in range(6000)]
        rows.append({0.5, 1.5})

        result = engine.run(tmp_path / "shape", inputs={"rows": rows})

        assert result.status == "completed", result.error
        assert result.outputs["n"] == len(rows)
        assert result.outputs["rows"][:-1] == [
            [int(x) if x.is_integer() else x for x in row] if isinstance(row, tuple)
            else [row[0], [0.5, 1.5]] for row in rows[:-1]]
        assert sorted(result.outputs["rows"][-1]) == [0.5, 1.5]
