"""Previews end to end: ``context.preview``, ``plt.show()``, plotly's ``fig.show()``, PIL,
forwarded subflow previews, and the files and lines of ``oocana-local run``.

Blocks are written to a temporary package and run through ``Engine.run``; the tests look
at the payloads of the ``BlockPreview`` events they produce.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, cli, cli_env, events

from oocana_local.context.preview import MAX_TABLE_ROWS
from oocana_local.mainframe.previews import PreviewSaver, describe

PNG = b"\x89PNG\r\n\x1a\n"

BLOCK_YAML = """\
executor:
  name: python
  options: {entry: main.py}
outputs_def:
  - {handle: ok, json_schema: {type: boolean}}
"""

BLOCKS = {
    "tables": """
        import datetime, decimal
        import pandas as pd

        def main(params, context):
            context.preview(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}), id="small")
            context.preview(pd.DataFrame({"n": range(250), "sq": [i * i for i in range(250)]}),
                            id="large")
            context.preview(pd.DataFrame({"v": [1.5, 2.5]}, index=["r1", "r2"]), id="indexed")
            multi = pd.DataFrame({"v": [1, 2]},
                                 index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)]))
            context.preview(multi, id="multi")
            context.preview(pd.DataFrame({
                "f": [1.0, float("nan"), None],
                "s": ["x", None, pd.NA],
                "t": pd.to_datetime(["2024-01-02 03:04:05", None, "2024-03-01 00:00:00"]),
                "d": [datetime.date(2024, 1, 2), None, datetime.date(2024, 5, 6)],
                "dec": [decimal.Decimal("1.10"), decimal.Decimal("2"), None],
                "td": pd.to_timedelta(["1h", None, "2min"]),
            }), id="missing")
            context.preview(pd.Series([10, 20], name="score"), id="series")
            frame = pd.DataFrame({"k": [1]})
            payload = {"type": "table", "data": frame, "title": "t"}
            context.preview(payload, id="wrapped")
            assert payload["data"] is frame and "id" not in payload  # the caller's dict
            return {"ok": True}
    """,
    "figures": """
        import matplotlib
        import matplotlib.pyplot as plt

        def main(params, context):
            fig, ax = plt.subplots()
            ax.plot([1, 3, 2])
            context.preview(fig, id="explicit")
            plt.figure()
            plt.plot([3, 1])
            plt.show()          # two open figures: one preview with two images
            plt.show()          # closed by the first show: nothing new
            lone = plt.figure()
            lone.gca().bar([1, 2], [3, 4])
            lone.show()         # Figure.show: one image
            plt.show()          # closed by lone.show(): nothing
            context.preview({"type": "text", "data": matplotlib.get_backend()}, id="backend")
            return {"ok": len(plt.get_fignums()) == 0}
    """,
    "plotly_block": """
        import plotly.graph_objects as go

        def main(params, context):
            fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[2, 1, 3]))
            fig.show()
            context.preview(fig, id="explicit")
            return {"ok": True}
    """,
    "images": """
        import io
        from PIL import Image

        class Svg:
            def _repr_svg_(self):
                return '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'

        class Html:
            def _repr_html_(self):
                return "<b>rich</b>"

        class Png:
            def __init__(self, data):
                self.data = data
            def _repr_png_(self):
                return self.data

        def main(params, context):
            image = Image.new("RGB", (7, 5), "red")
            context.preview(image, id="pil")
            Image.new("L", (3, 2)).show()
            context.preview(Svg(), id="svg")
            context.preview(Html(), id="html")
            buffer = io.BytesIO()
            Image.new("RGB", (2, 9)).save(buffer, format="PNG")
            context.preview(Png(buffer.getvalue()), id="png_repr")
            context.preview({"type": "image", "data": [image, "https://x.test/a.png"]},
                            id="list")
            context.preview(object(), id="object")
            context.preview("just text", id="str")
            return {"ok": True}
    """,
    "passthrough": """
        PAYLOADS = [
            {"type": "text", "data": "hello"},
            {"type": "json", "data": {"a": [1, 2, None]}},
            {"type": "image", "data": "/tmp/picture.png"},
            {"type": "image", "data": "https://example.com/a.png"},
            {"type": "image", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="},
            {"type": "image", "data": ["data:image/png;base64,AAAA", "/tmp/b.png"]},
            {"type": "video", "data": "/tmp/movie.mp4"},
            {"type": "audio", "data": "https://example.com/a.mp3"},
            {"type": "markdown", "data": "# Title"},
            {"type": "iframe", "data": "https://example.com"},
            {"type": "html", "data": "<p>hi</p>"},
            {"type": "text/csv", "data": "a,b\\n1,2"},
            {"type": "vega-lite", "data": {"mark": "bar"}, "extra": 1},
            {"type": "table", "data": "/tmp/frame.csv"},
            {"type": "table", "data": {"columns": ["a"], "rows": [[1]], "row_count": 1}},
        ]

        def main(params, context):
            for payload in PAYLOADS:
                context.preview(payload)
            mine = {"type": "text", "data": "with id"}
            context.preview(mine, id="given")
            assert mine == {"type": "text", "data": "with id"}  # not mutated
            return {"ok": True}
    """,
}


def write_block(folder: Path, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "block.oo.yaml").write_text(BLOCK_YAML)
    (folder / "main.py").write_text(textwrap.dedent(source))
    return folder


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("previews")
    for name, source in BLOCKS.items():
        write_block(root / "blocks" / name, source)
    nodes = "\n".join(f"  - node_id: {name}\n    task: ../blocks/{name}" for name in BLOCKS)
    (root / "flow").mkdir()
    (root / "flow" / "flow.oo.yaml").write_text(f"nodes:\n{nodes}\n")
    return root


@pytest.fixture(scope="module")
def result(engine, package):
    result = engine.run(package / "flow")
    assert result.status == "completed", result.error
    assert set(result.nodes.values()) == {"done"}
    return result


def payloads(result, node: str) -> list[dict[str, Any]]:
    return [e["payload"] for e in events(result, "BlockPreview", node)]


def by_id(result, node: str) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in payloads(result, node) if "id" in p}


def png_of(url: str) -> bytes:
    assert url.startswith("data:image/png;base64,"), url[:40]
    data = base64.b64decode(url.split(",", 1)[1])
    assert data.startswith(PNG)
    return data


def png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# -- tables --------------------------------------------------------------------------------

class TestTables:
    def test_a_small_frame_is_every_row(self, result):
        small = by_id(result, "tables")["small"]
        assert small == {"type": "table", "id": "small", "data": {
            "columns": ["a", "b"], "rows": [[1, "x"], [2, "y"], [3, "z"]], "row_count": 3}}

    def test_a_large_frame_is_its_head_and_tail_around_an_ellipsis_row(self, result):
        data = by_id(result, "tables")["large"]["data"]
        half = MAX_TABLE_ROWS // 2
        assert data["row_count"] == 250
        assert data["columns"] == ["n", "sq"]
        assert len(data["rows"]) == MAX_TABLE_ROWS + 1
        assert data["rows"][0] == [0, 0]
        assert data["rows"][half - 1] == [half - 1, (half - 1) ** 2]
        assert data["rows"][half] == ["...", "..."]
        assert data["rows"][half + 1] == [250 - half, (250 - half) ** 2]
        assert data["rows"][-1] == [249, 249 * 249]

    def test_a_non_default_index_is_the_first_column(self, result):
        tables = by_id(result, "tables")
        assert tables["indexed"]["data"] == {
            "columns": ["", "v"], "rows": [["r1", 1.5], ["r2", 2.5]], "row_count": 2}
        assert tables["multi"]["data"]["columns"] == ["", "", "v"]
        assert tables["multi"]["data"]["rows"] == [["a", 1, 1], ["b", 2, 2]]

    def test_missing_values_are_null_and_other_cells_readable_text(self, result):
        data = by_id(result, "tables")["missing"]["data"]
        assert data["columns"] == ["f", "s", "t", "d", "dec", "td"]
        assert data["rows"] == [
            [1.0, "x", "2024-01-02T03:04:05", "2024-01-02", "1.10", "0 days 01:00:00"],
            [None, None, None, None, "2", None],
            [None, None, "2024-03-01T00:00:00", "2024-05-06", None, "0 days 00:02:00"],
        ]

    def test_a_series_is_a_one_column_table(self, result):
        assert by_id(result, "tables")["series"]["data"] == {
            "columns": ["score"], "rows": [[10], [20]], "row_count": 2}

    def test_a_wrapped_frame_keeps_the_payloads_other_fields(self, result):
        wrapped = by_id(result, "tables")["wrapped"]
        assert wrapped == {"type": "table", "title": "t", "id": "wrapped",
                           "data": {"columns": ["k"], "rows": [[1]], "row_count": 1}}


# -- matplotlib ----------------------------------------------------------------------------

class TestMatplotlib:
    def test_preview_of_a_figure_is_one_png_data_url(self, result):
        explicit = by_id(result, "figures")["explicit"]
        assert explicit["type"] == "image" and isinstance(explicit["data"], str)
        png_of(explicit["data"])

    def test_plt_show_sends_every_open_figure_once_then_closes_them(self, result):
        shown = [p for p in payloads(result, "figures") if "id" not in p]
        # plt.show() with two figures, then lone.show(); the two later shows send nothing
        assert len(shown) == 2
        assert shown[0]["type"] == "image" and len(shown[0]["data"]) == 2
        for url in shown[0]["data"]:
            png_of(url)
        assert isinstance(shown[1]["data"], str)
        png_of(shown[1]["data"])
        assert results_ok(result, "figures")

    def test_the_worker_backend_needs_no_display(self, result):
        backend = by_id(result, "figures")["backend"]["data"]
        assert backend == "module://oocana_local.worker.mpl_backend"


def results_ok(result, node: str) -> bool:
    [finished] = events(result, "BlockFinished", node)
    return finished["result"]["ok"] is True


# -- plotly --------------------------------------------------------------------------------

class TestPlotly:
    def test_fig_show_and_preview_send_html_that_loads_plotly_js_locally(self, result):
        pages = payloads(result, "plotly_block")
        assert [p["type"] for p in pages] == ["html", "html"]
        assert pages[1]["id"] == "explicit"
        for page in pages:
            html = page["data"]
            assert "cdn." not in html
            sources = re.findall(r'<script[^>]*\bsrc="([^"]*)"', html)
            assert sources, "plotly.js is neither referenced nor inlined"
            assert all(not s.startswith(("http://", "https://", "//")) for s in sources)
            [source] = sources
            import plotly

            assert source.startswith("file://") and re.search(
                rf"/oocana-local-of-[^/]+/shared/plotly-{re.escape(plotly.__version__)}"
                r"\.min\.js$", source)  # one shared copy, in a folder of the user's own
            path = Path(source[len("file://"):])
            assert path.is_file() and path.stat().st_size > 1_000_000
            assert "Plotly.newPlot" in html

    def test_without_a_session_folder_plotly_js_is_inlined(self):
        import plotly.graph_objects as go

        from oocana_local.context.preview_plotly import figure_html

        html = figure_html(go.Figure(go.Bar(y=[1])), None)
        assert len(html) > 1_000_000  # plotly.js itself
        assert not re.findall(r'<script[^>]*\bsrc=', html)


# -- images and rich objects ---------------------------------------------------------------

class TestImages:
    def test_a_pil_image_is_a_png_data_url(self, result):
        pil = by_id(result, "images")["pil"]
        assert pil["type"] == "image"
        assert png_size(png_of(pil["data"])) == (7, 5)

    def test_image_show_sends_a_preview_instead_of_opening_a_viewer(self, result):
        [shown] = [p for p in payloads(result, "images") if "id" not in p]
        assert png_size(png_of(shown["data"])) == (3, 2)

    def test_repr_svg_html_and_png_objects(self, result):
        images = by_id(result, "images")
        assert images["svg"]["type"] == "image"
        assert images["svg"]["data"].startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(images["svg"]["data"].split(",", 1)[1])
        assert svg.startswith(b"<svg")
        assert images["html"] == {"type": "html", "data": "<b>rich</b>", "id": "html"}
        assert png_size(png_of(images["png_repr"]["data"])) == (2, 9)

    def test_an_image_list_converts_images_and_keeps_urls(self, result):
        data = by_id(result, "images")["list"]["data"]
        png_of(data[0])
        assert data[1] == "https://x.test/a.png"

    def test_values_json_cannot_hold_are_text_and_strings_are_text(self, result):
        images = by_id(result, "images")
        assert images["object"]["type"] == "text"
        assert images["object"]["data"].startswith("<object object at")
        assert images["str"] == {"type": "text", "data": "just text", "id": "str"}


# -- pass-through, id ----------------------------------------------------------------------

class TestPassThrough:
    def test_every_payload_type_is_carried_as_given(self, result):
        from textwrap import dedent

        namespace: dict[str, Any] = {}
        exec(dedent(BLOCKS["passthrough"]).split("def main")[0], namespace)
        sent = payloads(result, "passthrough")
        assert sent[:-1] == namespace["PAYLOADS"]
        assert results_ok(result, "passthrough")

    def test_id_is_set_on_a_copy_of_the_payload(self, result):
        assert payloads(result, "passthrough")[-1] == {
            "type": "text", "data": "with id", "id": "given"}


# -- forwarded previews --------------------------------------------------------------------

def test_a_subflow_forwards_the_previews_of_the_nodes_it_names(engine, tmp_path):
    write_block(tmp_path / "blocks" / "shout", """
        def main(params, context):
            context.preview({"type": "text", "data": "from inside"})
    """)
    write_block(tmp_path / "blocks" / "quiet", """
        def main(params, context):
            context.preview({"type": "text", "data": "kept inside"})
    """)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "subflow.oo.yaml").write_text(textwrap.dedent("""\
        forward_previews: [inner]
        nodes:
          - node_id: inner
            task: ../blocks/shout
          - node_id: other
            task: ../blocks/quiet
    """))
    (tmp_path / "flow").mkdir()
    (tmp_path / "flow" / "flow.oo.yaml").write_text(textwrap.dedent("""\
        nodes:
          - node_id: sub
            subflow: ../sub
    """))
    result = engine.run(tmp_path / "flow")
    assert result.status == "completed", result.error

    assert [p["data"] for p in payloads(result, "sub/inner")] == ["from inside"]
    assert [p["data"] for p in payloads(result, "sub/other")] == ["kept inside"]
    forwarded = [e for e in events(result, "BlockPreview") if "node_id" in e]
    assert len(forwarded) == 1
    [event] = forwarded
    assert event["node_id"] == "inner"
    assert event["payload"] == {"type": "text", "data": "from inside"}
    assert [level["node_id"] for level in event["stacks"]] == ["sub"]


# -- saving previews -----------------------------------------------------------------------

def preview_message(payload: Any, node: str = "n", **extra: Any) -> dict[str, Any]:
    return {"type": "BlockPreview", "session_id": "s", "job_id": "j",
            "stacks": [{"flow_job_id": "f", "flow": "x", "node_id": node}],
            "payload": payload, **extra}


class TestPreviewSaver:
    def test_each_kind_goes_to_a_file_of_its_own(self, tmp_path):
        pixel = base64.b64encode(PNG + b"rest").decode()
        svg = base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode()
        saver = PreviewSaver(tmp_path / "out")
        for payload in [
            {"type": "table", "data": {"columns": ["", "a"], "rows": [["r", 1], ["...", "..."],
                                                                       ["s", None]],
                                       "row_count": 300}},
            {"type": "image", "data": [f"data:image/png;base64,{pixel}",
                                       f"data:image/svg+xml;base64,{svg}"]},
            {"type": "image", "data": pixel},
            {"type": "image", "data": "https://example.com/a.png"},
            {"type": "image", "data": "/somewhere/picture.png"},
            {"type": "iframe", "data": "https://example.com/?a=1&b=2"},
            {"type": "html", "data": "<p>x</p>"},
            {"type": "markdown", "data": "# T"},
            {"type": "text", "data": "plain"},
            {"type": "text/csv", "data": "a\n1"},
            {"type": "json", "data": {"a": 1}},
            {"type": "vega-lite", "data": {"mark": "bar"}},
        ]:
            saver(preview_message(payload))
        saver(preview_message({"type": "text", "data": "forwarded"}, node="sub",
                              node_id="inner"))  # a copy of inner's own: not saved again
        saver({"type": "BlockLog", "log": "x"})

        out = tmp_path / "out"
        names = sorted(p.name for p in out.iterdir())
        assert names == sorted(["n-1.csv", "n-2.png", "n-3.svg", "n-4.png", "n-5.html",
                                "n-6.html", "n-7.html", "n-8.md", "n-9.txt", "n-10.csv",
                                "n-11.json", "n-12.json"])
        assert (out / "n-1.csv").read_text() == ",a\nr,1\n...,...\ns,\n"
        assert (out / "n-2.png").read_bytes() == PNG + b"rest"
        assert (out / "n-3.svg").read_bytes().startswith(b"<svg")
        assert (out / "n-4.png").read_bytes() == PNG + b"rest"
        assert '<img src="https://example.com/a.png"' in (out / "n-5.html").read_text()
        assert '<iframe src="https://example.com/?a=1&amp;b=2"' in (out / "n-6.html").read_text()
        assert json.loads((out / "n-12.json").read_text()) == {"type": "vega-lite",
                                                               "data": {"mark": "bar"}}
        lines = [s.line() for s in saver.saved]
        assert lines[0] == f"preview table 300×2 → {out / 'n-1.csv'}"
        assert lines[1] == f"preview image ×2 → {out / 'n-2.png'}, {out / 'n-3.svg'}"
        assert lines[4] == "preview image → /somewhere/picture.png"
        assert len(saver.saved) == 12

    def test_nested_nodes_are_named_by_their_path(self, tmp_path):
        saver = PreviewSaver(tmp_path)
        message = preview_message({"type": "text", "data": "x"})
        message["stacks"] = [{"node_id": "sub"}, {"node_id": "in ner"}]
        saver(message)
        saver(message)
        assert [Path(s.paths[0]).name for s in saver.saved] == ["sub.in_ner-1.txt",
                                                               "sub.in_ner-2.txt"]
        assert saver.saved[0].label == "sub/in ner"

    def test_a_preview_that_cannot_be_saved_is_reported_not_raised(self, tmp_path):
        (tmp_path / "file").write_text("not a folder")
        saver = PreviewSaver(tmp_path / "file" / "previews")
        saver(preview_message({"type": "text", "data": "x"}))
        assert "not saved" in saver.saved[0].line()

    def test_describe(self):
        assert describe({"type": "table", "data": {"columns": [1, 2, 3], "rows": [],
                                                   "row_count": 5}}) == "table 5×3"
        assert describe({"type": "image", "data": ["a", "b"]}) == "image ×2"
        assert describe({"type": "html", "data": "x"}) == "html"


def test_oocana_local_run_saves_previews_and_says_where(tmp_path):
    folder = tmp_path / "previews"
    proc = subprocess.run(cli("run", "flows/previews", "--inputs", '{"points": 5}',
                              "--previews", str(folder)),
                          cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if " | preview " in line]
    assert lines[0] == f"show | preview table 5×3 → {folder / 'show-1.csv'}"
    assert [line.split(" | preview ")[1].split(" →")[0] for line in lines] == [
        "table 5×3", "text", "json", "markdown", "html", "image", "html", "image"]
    assert (folder / "show-1.csv").read_text().splitlines()[0] == "x,sin,cos"
    assert (folder / "show-4.md").read_text().startswith("# Waves")
    assert (folder / "show-6.png").read_bytes().startswith(PNG)
    assert (folder / "show-8.png").read_bytes().startswith(PNG)
    page = (folder / "show-7.html").read_text()
    assert "cdn." not in page and re.search(r"/oocana-local-of-[^/]+/shared/plotly-", page)


def test_figures_a_job_leaves_open_do_not_reach_the_next_job(tmp_path):
    import oocana_local

    write_block(tmp_path / "blocks" / "leave_open", """
        import matplotlib.pyplot as plt

        def main(params, context):
            plt.plot([1, 2])  # never shown
            return {"ok": True}
    """)
    write_block(tmp_path / "blocks" / "show_all", """
        import matplotlib.pyplot as plt

        def main(params, context):
            left = len(plt.get_fignums())
            plt.show()
            return {"ok": left == 0}
    """)
    (tmp_path / "flow").mkdir()
    (tmp_path / "flow" / "flow.oo.yaml").write_text(textwrap.dedent("""\
        nodes:
          - node_id: first
            task: ../blocks/leave_open
          - node_id: second
            task: ../blocks/show_all
            inputs_from:
              - handle: after
                from_node: [{node_id: first, output_handle: ok}]
    """))
    (tmp_path / "blocks" / "show_all" / "block.oo.yaml").write_text(
        BLOCK_YAML + "inputs_def:\n  - {handle: after, json_schema: {type: boolean}}\n")
    with oocana_local.Engine(max_workers=1) as engine:  # one worker runs both jobs
        result = engine.run(tmp_path / "flow")
    assert result.status == "completed", result.error
    assert results_ok(result, "second")
    assert events(result, "BlockPreview") == []
