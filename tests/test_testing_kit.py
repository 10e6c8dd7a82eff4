"""oocana_local.testing: make_context, call_block, load_block_main, and the pytest plugin's
run_block / run_flow fixtures (run here for real, and through pytester in a temp package)."""

from __future__ import annotations

import sys
import textwrap
import threading
from pathlib import Path

import pytest

from oocana_local.testing import (
    BlockFailed,
    RecordingContext,
    TestResult,
    call_block,
    load_block_main,
    make_context,
)

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent


def write_block(folder: Path, main: str, *, inputs: str = "", outputs: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "block.oo.yaml").write_text(
        "executor:\n  name: python\n  options:\n    entry: main.py\n"
        f"inputs_def:{inputs or ' []'}\noutputs_def:{outputs or ' []'}\n")
    (folder / "main.py").write_text(textwrap.dedent(main))
    return folder


CHATTY = """\
    from oocana import Context

    def main(params: dict, context: Context):
        print("hello from print")
        context.logger.info("via logger %s", params["n"])
        context.report_log("via report_log")
        context.report_progress(10)
        context.preview({"type": "text", "data": "look"})
        context.send_warning("careful")
        context.error("not fatal")
        context.output("first", 1)
        context.output("first", 2)
        return {"second": params["n"] * 2}
"""
CHATTY_INPUTS = "\n  - handle: n\n    json_schema: {type: integer}\n    value: 5"
CHATTY_OUTPUTS = "\n  - handle: first\n  - handle: second"


# -- make_context ---------------------------------------------------------------------

def test_make_context_records_everything_a_block_sends():
    ctx = make_context({"x": 1}, outputs_def=["a", "b"], node_id="n1")
    assert isinstance(ctx, RecordingContext)
    assert ctx.inputs == {"x": 1} and ctx.node_id == "n1"
    ctx.output("a", 1)
    ctx.outputs({"a": 2, "b": [3]})  # still callable as in a block
    ctx.output("nope", 0)
    for p in (0, 1, 2, 3):
        ctx.report_progress(p)  # every call recorded, no throttle
    ctx.preview({"type": "text", "data": "hi"})
    ctx.report_log("line one\n")
    ctx.logger.info("logged %d", 7)
    ctx.logger.warning("careful")
    ctx.send_warning("w")
    ctx.error("e")
    ctx.send_message({"m": 1})
    assert not ctx.finished
    ctx.finish(result={"b": 4})
    ctx.finish(result={"b": 5})  # ignored, with a warning

    assert ctx.finished and ctx.result == {"b": 4} and ctx.finish_error is None
    assert ctx.output_calls == [("a", 1), ("a", 2), ("b", [3]), ("b", 4)]
    assert ctx.outputs == {"a": 2, "b": 4}
    assert ctx.progress == [0, 1, 2, 3]
    assert ctx.previews == [{"type": "text", "data": "hi"}]
    assert ctx.logs == ["line one", "INFO block.n1: logged 7", "WARNING block.n1: careful"]
    assert ctx.warnings == ["Output handle key: [nope] is not defined in Block outputs schema.",
                            "w", "finish() was called again; ignored"]
    assert ctx.errors == ["e"]
    assert ctx.block_messages == [{"m": 1}]
    assert [m["type"] for m in ctx.sent][:2] == ["BlockOutput", "BlockOutputs"]


def test_make_context_keeps_objects_and_accepts_any_handle_by_default():
    value = object()
    ctx = make_context()
    ctx.output("anything", value)
    assert ctx.outputs["anything"] is value and ctx.warnings == []
    ctx.finish(error="boom")
    assert ctx.finish_error == "boom" and ctx.errors == ["boom"] and ctx.result is None


def test_make_context_from_a_block_takes_defs_and_defaults():
    ctx = make_context({"start": 3}, block=REPO / "blocks" / "make_numbers")
    assert ctx.inputs == {"start": 3, "count": 5}
    assert set(ctx.inputs_def) == {"count", "start"} and set(ctx.outputs_def) == {"numbers"}
    assert ctx.node_id == "make_numbers"


def test_make_context_fixture_and_caplog(make_context, caplog, tmp_path):
    ctx = make_context({"a": 1})
    assert ctx.tmp_dir.startswith(str(tmp_path))
    ctx.logger.info("seen by caplog too")
    assert ctx.logs == ["INFO block.block: seen by caplog too"]
    assert "seen by caplog too" in caplog.text


# -- load_block_main / call_block -----------------------------------------------------

def test_load_block_main_by_folder_file_and_ref():
    square = load_block_main(REPO / "blocks" / "square")
    assert square({"numbers": [3]}, make_context()) == {"squares": [9]}
    by_file = load_block_main(REPO / "blocks" / "square" / "main.py")
    by_ref = load_block_main("self::square")  # the package around this test file
    assert by_file({"numbers": [2]}, None) == by_ref({"numbers": [2]}, None) == {"squares": [4]}
    assert "oocana" in sys.modules  # `from oocana import Context` worked in this process


def test_call_block_settles_like_a_worker(tmp_path):
    folder = write_block(tmp_path / "chatty", CHATTY, inputs=CHATTY_INPUTS,
                         outputs=CHATTY_OUTPUTS)
    ctx = call_block(folder)
    assert ctx.result == {"second": 10}
    assert ctx.outputs == {"first": 2, "second": 10}
    assert ctx.logs == ["hello from print", "INFO block.chatty: via logger 5", "via report_log"]
    assert ctx.progress == [10] and ctx.previews == [{"type": "text", "data": "look"}]
    assert ctx.warnings == ["careful"] and ctx.errors == ["not fatal"]


def test_call_block_exceptions_exit_and_keepalive(tmp_path):
    def fails(params):
        raise KeyError("mine")

    with pytest.raises(KeyError, match="mine"):
        call_block(fails, {})
    assert call_block(lambda: sys.exit(3)).finish_error == "block call exit with message: 3"
    assert call_block(lambda: sys.exit(0)).finish_error is None

    def later(params, context):
        threading.Timer(0.05, lambda: context.finish(result={"x": 1})).start()
        return context.keepAlive

    assert call_block(later, {}).result == {"x": 1}

    async def coro(params, context):
        return {"y": params["y"]}

    assert call_block(coro, {"y": 2}).outputs == {"y": 2}


def test_call_block_ends_a_job_as_a_worker_does(tmp_path):
    """The kit and the worker share one rule (``context/call.py``): a non-dict return is
    the job's error in both, an async keepAlive waits for finish, a never-finished
    keepAlive is a TimeoutError in the kit."""
    wrong = call_block(lambda: [1, 2])
    assert wrong.finish_error.startswith("return object needs to be a dictionary, but get "
                                         "type: <class 'list'>")

    folder = tmp_path / "listy"
    folder.mkdir()
    (folder / "main.py").write_text("def main():\n    return [1, 2]\n")
    (folder / "block.oo.yaml").write_text("executor:\n  name: python\n  options:\n"
                                          "    entry: main.py\n")
    from oocana_local import run

    in_a_run = run(folder)
    assert in_a_run.status == "failed"
    assert "return object needs to be a dictionary" in in_a_run.error
    assert str(folder / "main.py") in in_a_run.error

    async def later(params, context):
        threading.Timer(0.05, lambda: context.finish(result={"z": 3})).start()
        return context.keepAlive

    assert call_block(later, {}).result == {"z": 3}
    with pytest.raises(TimeoutError, match="keepAlive"):
        call_block(lambda params, context: context.keepAlive, {}, timeout=0.2)


def test_call_block_needs_required_inputs():
    from oocana_local.errors import UsageError

    with pytest.raises(UsageError, match="numbers"):
        call_block(REPO / "blocks" / "square")


# -- run_block / run_flow fixtures --------------------------------------------------

def test_run_block_result(run_block, tmp_path):
    folder = write_block(tmp_path / "chatty", CHATTY, inputs=CHATTY_INPUTS,
                         outputs=CHATTY_OUTPUTS)
    result = run_block(folder, inputs={"n": 4})
    assert isinstance(result, TestResult) and result.ok and result.status == "completed"
    assert result.outputs == {"first": 2, "second": 8}
    assert result.node_outputs == {"chatty": {"first": [1, 2], "second": [8]}}
    assert result.logs == ["hello from print", "INFO block.chatty: via logger 4",
                           "via report_log"]
    assert result.node_logs == {"chatty": result.logs}
    assert result.progress == [10]
    assert result.previews == [{"type": "text", "data": "look"}]
    assert result.warnings == ["careful"] and result.errors == ["not fatal"]
    assert result.nodes == {"chatty": "done"}
    assert any(e["type"] == "SessionFinished" for e in result.events)


def test_run_block_by_ref_and_relative_path(run_block):
    assert run_block("self::square", inputs={"numbers": [5]}).outputs == {"squares": [25]}
    assert run_block("blocks/scale", inputs={"numbers": [1]}).outputs == {"scaled": [2]}


def test_run_block_failure_raises_with_the_block_traceback(run_block, tmp_path):
    folder = write_block(tmp_path / "bad", """\
        def main(params):
            print("about to fail")
            raise ValueError("bad input " + str(params["n"]))
        """, inputs="\n  - handle: n\n    json_schema: {type: integer}")
    with pytest.raises(BlockFailed) as info:
        run_block(folder, inputs={"n": 1})
    message = str(info.value)
    assert 'raise ValueError("bad input " + str(params["n"]))' in message
    assert "ValueError: bad input 1" in message and "about to fail" in message
    assert "oocana_local" not in message
    assert isinstance(info.value, AssertionError) and not info.value.result.ok

    result = run_block(folder, inputs={"n": 2}, check=False)
    assert result.status == "failed" and result.nodes == {"bad": "failed"}
    assert "ValueError: bad input 2" in result.errors[0]
    with pytest.raises(BlockFailed):
        result.raise_for_status()


def test_run_flow_result(run_flow):
    result = run_flow("flows/quickstart", inputs={"count": 2},
                      nodes_inputs={"counter": {"delay": 0}})
    assert result.outputs["stats"]["sum"] == {"x": 3, "squared": 5, "scaled": 30}
    assert result.node_outputs["numbers"] == {"numbers": [[1, 2]]}
    assert result.node_outputs["counter"]["count"] == [10]
    assert result.node_logs["summary"][0] == "summarizing 2 rows x 3 columns"
    assert result.node_progress["counter"][0] == 0
    assert result.node_previews["summary"][0]["type"] == "table"
    assert set(result.nodes.values()) == {"done"}


def test_run_flow_subset_and_wrong_kind(run_flow, run_block):
    from oocana_local.errors import UsageError

    result = run_flow(REPO / "flows" / "quickstart", nodes=["square"])
    assert result.nodes["square"] == "done" and result.nodes["counter"] == "skipped"
    with pytest.raises(UsageError, match="use run_block"):
        run_flow("blocks/square")
    with pytest.raises(UsageError, match="use run_flow"):
        run_block("flows/quickstart")


def test_oocana_engine_is_shared(oocana_engine, oocana_engines):
    assert oocana_engines.get() is oocana_engine


# -- the plugin, as a user's pytest run sees it ---------------------------------------

USER_TESTS = """\
    from pathlib import Path

    from oocana_local.testing import load_block_main

    from blocks.double import main as imported  # noqa: F401  (a block module imports here)

    main = load_block_main("self::double")

    def test_unit(make_context):
        ctx = make_context({"x": 2}, outputs_def=["y"])
        assert main(ctx.inputs, ctx) == {"y": 4}

    def test_call(call_block):
        assert call_block("self::double", {"x": 5}).outputs == {"y": 10}

    def test_worker(run_block):
        assert run_block("self::double", inputs={"x": 3}).outputs == {"y": 6}

    def test_worker_by_path(run_block):
        assert run_block(Path(__file__).parent.parent / "blocks" / "double",
                         inputs={"x": 1}).outputs == {"y": 2}

    def test_flow(run_flow):
        assert run_flow("flows/twice", inputs={"x": 2}).outputs == {"y": 8}

    def test_failing_block(run_block):
        run_block("self::double", inputs={"x": -1})
"""


@pytest.fixture
def user_package(pytester):
    root = pytester.path
    (root / "package.oo.yaml").write_text("name: user-pkg\nversion: 0.1.0\n")
    write_block(root / "blocks" / "double", """\
        from oocana import Context


        def main(params: dict, context: Context):
            if params["x"] < 0:
                raise ValueError(f"x must not be negative, got {params['x']}")
            return {"y": params["x"] * 2}
        """, inputs="\n  - handle: x\n    json_schema: {type: number}",
        outputs="\n  - handle: y\n    json_schema: {type: number}")
    (root / "blocks" / "__init__.py").write_text("")
    (root / "blocks" / "double" / "__init__.py").write_text("")
    flow = root / "flows" / "twice"
    flow.mkdir(parents=True)
    (flow / "flow.oo.yaml").write_text(textwrap.dedent("""\
        inputs_def: [{handle: x, json_schema: {type: number}}]
        outputs_def: [{handle: y, json_schema: {type: number}}]
        nodes:
          - node_id: a
            task: self::double
            inputs_from: [{handle: x, from_flow: [{input_handle: x}]}]
          - node_id: b
            task: self::double
            inputs_from: [{handle: x, from_node: [{node_id: a, output_handle: y}]}]
        outputs_from: [{handle: y, from_node: [{node_id: b, output_handle: y}]}]
        """))
    tests = root / "tests"
    tests.mkdir()
    (tests / "test_user.py").write_text(textwrap.dedent(USER_TESTS))
    return root


def test_plugin_in_a_user_package(pytester, user_package):
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--rootdir", str(user_package),
                                           str(user_package / "tests"))
    result.assert_outcomes(passed=5, failed=1)
    output = result.stdout.str()
    # the failure shows the block's own raise, not the engine's frames
    assert 'raise ValueError(f"x must not be negative, got {params[\'x\']}")' in output
    assert "ValueError: x must not be negative, got -1" in output
    assert "BlockFailed" in output
    failure = output[output.index("test_failing_block"):]
    for internal in ("oocana_local/runtime", "oocana_local/testing", "engine.py",
                     "run_until_complete"):
        assert internal not in failure, internal
