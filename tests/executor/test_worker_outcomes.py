"""How a block's main() ends decides its BlockFinished: run on real workers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pool_harness import Recorder, eventually, make_job, run_block, run_job, with_pool


def test_result_and_streamed_outputs(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        def main(inputs, context):
            context.output("a", inputs["x"] * 2)
            context.output("a", 7, to_node=[{"node_id": "end", "input_handle": "k"}])
            context.outputs({"a": 1, "b": [1.5, float("nan")]})
            return {"b": {"deep": [1, (2, 3)]}}
    """, inputs={"x": 21}, outputs=["a", "b"])
    assert outcome.status == "done"
    assert outcome.result == {"b": {"deep": [1, [2, 3]]}}
    outputs = rec.of("BlockOutput")
    assert [(m["handle"], m["output"]) for m in outputs] == [("a", 42), ("a", 7)]
    assert "options" not in outputs[0]
    assert outputs[1]["options"] == {"target": {"to_node": [{"node_id": "end",
                                                             "input_handle": "k"}],
                                                "to_flow": None}}
    assert rec.of("BlockOutputs")[0]["outputs"] == {"a": 1, "b": [1.5, None]}
    assert all(m["job_id"] == outcome_job(rec) for m in rec.messages)


def outcome_job(rec: Recorder) -> str:
    return rec.messages[0]["job_id"]


def test_undeclared_output_is_dropped_with_warning(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        def main(inputs, context):
            context.output("nope", 1)
            return {"out": 1, "c": 2}
    """)
    assert outcome.status == "done"
    assert outcome.result == {"out": 1}
    assert rec.warnings == [
        "Output handle key: [nope] is not defined in Block outputs schema. "
        "Declared outputs never sent: 'out'.",
        "Output handle key: [c] is not defined in Block outputs schema.",
    ]
    assert rec.of("BlockOutput") == []


SIGNATURES = {
    "none": "def main():\n    return {'out': 'none'}\n",
    "context": ("from oocana import Context\n"
                "def main(context: Context):\n    return {'out': context.inputs['x']}\n"),
    "string_annotation": ("from __future__ import annotations\nfrom oocana import Context\n"
                          "def main(context: Context):\n"
                          "    return {'out': type(context).__name__}\n"),
    "inputs": "def main(inputs):\n    return {'out': inputs['x']}\n",
    "inputs_context": "def main(inputs, context):\n    return {'out': context.node_id}\n",
    "async": ("import asyncio\nasync def main(inputs, context):\n"
              "    await asyncio.sleep(0.01)\n    return {'out': 'async'}\n"),
    "async_one": "async def main(params):\n    return {'out': params['x']}\n",
}
EXPECTED = {"none": "none", "context": 5, "string_annotation": "Context", "inputs": 5,
            "inputs_context": "node#1", "async": "async", "async_one": 5}


def test_every_main_signature(tmp_path: Path) -> None:
    async def scenario(pool):
        results = {}
        for name, code in SIGNATURES.items():
            (tmp_path / f"{name}.py").write_text(code)
            job = make_job(tmp_path, entry=f"{name}.py", inputs={"x": 5})
            outcome = await pool.run(job, Recorder())
            assert outcome.status == "done", (name, outcome.error)
            results[name] = outcome.result["out"]
        return results

    assert with_pool(scenario) == EXPECTED


def test_keep_alive_finished_from_a_thread(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        import threading, time
        def main(inputs, context):
            def later():
                time.sleep(0.2)
                context.output("out", "streamed")
                context.finish(result={"out": "done"})
            threading.Thread(target=later).start()
            return context.keepAlive
    """)
    assert outcome.status == "done"
    assert outcome.result == {"out": "done"}
    assert [m["output"] for m in rec.of("BlockOutput")] == ["streamed"]


def test_keep_alive_finished_from_an_asyncio_task(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, """
        import asyncio
        async def main(inputs, context):
            async def later():
                await asyncio.sleep(0.05)
                context.finish(result={"out": "from task"})
            asyncio.get_running_loop().create_task(later())
            return context.keepAlive
    """)
    assert (outcome.status, outcome.result) == ("done", {"out": "from task"})


def test_async_main_waits_for_its_tasks_before_finishing(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        import asyncio
        async def main(inputs, context):
            async def side():
                await asyncio.sleep(0.05)
                context.output("out", "from task")
            asyncio.get_running_loop().create_task(side())
            return {"out": "returned"}
    """)
    assert outcome.result == {"out": "returned"}
    assert [m["output"] for m in rec.of("BlockOutput")] == ["from task"]


def test_second_finish_only_warns(tmp_path: Path) -> None:
    code = """
        def main(inputs, context):
            context.finish(result={"out": 1})
            context.finish(error="ignored")
            return {"out": 2}
    """
    rec = Recorder()

    async def scenario(pool):
        outcome = await pool.run(make_job(tmp_path, code), rec)
        await eventually(lambda: len(rec.warnings) == 2)  # they follow the finish
        return outcome

    outcome = with_pool(scenario)
    assert (outcome.status, outcome.result) == ("done", {"out": 1})
    assert rec.warnings == ["finish() was called again; ignored"] * 2


def test_finish_with_error_fails_the_job(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, """
        def main(inputs, context):
            context.finish(result={"out": 1}, error="it broke")
    """)
    assert (outcome.status, outcome.error) == ("failed", "it broke")


@pytest.mark.parametrize("call, error", [
    ("exit()", None), ("exit(0)", None), ("sys.exit()", None), ("sys.exit(0)", None),
    ("sys.exit(None)", None), ("quit()", None), ("raise SystemExit", None),
    ("exit(1)", "block call exit with message: 1"),
    ("sys.exit('bad input')", "block call exit with message: bad input"),
])
def test_exit_variants(tmp_path: Path, call: str, error: str | None) -> None:
    outcome, rec = run_block(tmp_path, f"""
        import sys
        def main(inputs, context):
            context.output("out", 1)
            {call}
            context.output("out", 2)
    """)
    assert outcome.error == error
    assert outcome.status == ("done" if error is None else "failed")
    assert [m["output"] for m in rec.of("BlockOutput")] == [1]


def test_worker_survives_exit_and_runs_the_next_job(tmp_path: Path) -> None:
    async def scenario(pool):
        first = await pool.run(make_job(tmp_path / "a", "def main():\n    exit(3)\n"),
                               Recorder())
        second = await pool.run(make_job(tmp_path / "b", "def main():\n    return {'out': 1}\n"),
                                Recorder())
        return first, second, len(pool.workers)

    first, second, workers = with_pool(scenario)
    assert first.status == "failed" and second.status == "done"
    assert workers == 1


def test_exception_traceback_starts_at_the_block(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, """
        def helper():
            raise ValueError("bad thing")

        def main(inputs):
            helper()
    """)
    assert outcome.status == "failed"
    error = outcome.error
    first_frame = error.splitlines()[1]
    assert error.startswith("Traceback (most recent call last):\n")
    assert first_frame == f'  File "{tmp_path / "main.py"}", line 6, in main'
    assert "oocana_local" not in error
    assert error.rstrip().endswith("ValueError: bad thing")


def test_return_of_a_non_dict_fails(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, "def main():\n    return 5\n")
    assert outcome.status == "failed"
    assert outcome.error.startswith(
        "return object needs to be a dictionary, but get type: <class 'int'> (main in ")
    assert outcome.error.endswith("main.py must return a dict of output handles, or None)")


def test_return_none_succeeds_without_result(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, "def main(inputs):\n    pass\n")
    assert (outcome.status, outcome.result, outcome.error) == ("done", None, None)


def test_missing_function_and_not_callable(tmp_path: Path) -> None:
    async def scenario(pool):
        (tmp_path / "m.py").write_text("main = 3\n")
        missing = await pool.run(make_job(tmp_path, entry="m.py", function="nope"), Recorder())
        not_callable = await pool.run(make_job(tmp_path, entry="m.py"), Recorder())
        no_file = await pool.run(make_job(tmp_path, entry="absent.py"), Recorder())
        return missing, not_callable, no_file

    missing, not_callable, no_file = with_pool(scenario)
    assert missing.error == f"function nope not found in {tmp_path / 'm.py'}"
    assert not_callable.error == f"main is not a function in {tmp_path / 'm.py'}"
    assert no_file.status == "failed"
    assert no_file.error == f"block file not found: {tmp_path / 'absent.py'}"


def test_syntax_and_import_errors(tmp_path: Path) -> None:
    async def scenario(pool):
        (tmp_path / "syntax.py").write_text("def main(:\n    pass\n")
        (tmp_path / "imports.py").write_text("import no_such_module_here\n")
        syntax = await pool.run(make_job(tmp_path, entry="syntax.py"), Recorder())
        imports = await pool.run(make_job(tmp_path, entry="imports.py"), Recorder())
        return syntax, imports

    syntax, imports = with_pool(scenario)
    assert syntax.status == "failed"
    assert "syntax.py" in syntax.error and "SyntaxError" in syntax.error
    assert imports.error.startswith("Traceback (most recent call last):\n")
    assert "imports.py\", line 1, in <module>" in imports.error
    assert "ModuleNotFoundError: No module named 'no_such_module_here'" in imports.error


def test_inline_source_is_written_to_scriptlets(tmp_path: Path) -> None:
    job = make_job(tmp_path, source="""
        def main(inputs):
            return {"out": __file__}
    """, node_id="add #1/x")
    outcome, _ = run_job(job)
    path = Path(outcome.result["out"])
    assert path.parent == tmp_path / ".scriptlets"
    assert path.name.startswith("add__1_x-") and path.suffix == ".py"
    assert "def main(inputs)" in path.read_text()


def test_edited_module_is_reimported_by_the_next_run(tmp_path: Path) -> None:
    code = ("COUNT = 0\ndef main():\n    global COUNT\n    COUNT += 1\n"
            "    return {'out': ('%s', COUNT)}\n")

    async def scenario(pool):
        def job(run: str, n: int) -> Any:  # job ids of one run share what comes before "-"
            return make_job(tmp_path, job_id=f"{run}-{n}")

        make_job(tmp_path, code % "v1")
        results = [(await pool.run(job("run1", n), Recorder())).result["out"]
                   for n in range(2)]
        # same size, same second: only the content differs
        make_job(tmp_path, code % "v2")
        results.append((await pool.run(job("run1", 2), Recorder())).result["out"])
        results.append((await pool.run(job("run2", 0), Recorder())).result["out"])
        source_job = make_job(tmp_path, source="def main():\n    return {'out': 'a'}\n")
        results.append((await pool.run(source_job, Recorder())).result["out"])
        source_job = make_job(tmp_path, source="def main():\n    return {'out': 'b'}\n")
        results.append((await pool.run(source_job, Recorder())).result["out"])
        return results

    # A run's jobs share one version of the block; the next run imports the edit.
    assert with_pool(scenario) == [["v1", 1], ["v1", 2], ["v1", 3], ["v2", 1], "a", "b"]


def test_module_state_persists_and_shared_module_keeps_class_identity(tmp_path: Path) -> None:
    (tmp_path / "both.py").write_text(
        "class Thing:\n    pass\n"
        "def make(inputs):\n    return {'thing': Thing()}\n"
        "def check(inputs):\n    return {'out': isinstance(inputs['thing'], Thing)}\n")

    async def scenario(pool):
        make = make_job(tmp_path, entry="both.py", function="make", outputs=(),
                        var_outputs=("thing",))
        made = await pool.run(make, Recorder())
        check = make_job(tmp_path, entry="both.py", function="check",
                         inputs={"thing": made.result["thing"]})
        return (await pool.run(check, Recorder())).result

    assert with_pool(scenario) == {"out": True}


def test_async_exception_traceback_starts_at_the_block(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, """
        import asyncio

        async def main(inputs, context):
            await asyncio.sleep(0)
            raise KeyError("missing")
    """)
    lines = outcome.error.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == f'  File "{tmp_path / "main.py"}", line 6, in main'
    assert lines[-1] == "KeyError: 'missing'"


def test_the_worker_stays_light(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, """
        import sys
        def main(inputs):
            heavy = ("pydantic", "yaml", "asyncio", "oocana_local.runtime",
                     "oocana_local.manifest", "oocana_local.executor", "rich")
            return {"out": sorted(m for m in sys.modules if m.startswith(heavy))}
    """)
    assert outcome.result == {"out": []}


def test_a_block_cannot_break_capture_for_the_next_job(tmp_path: Path) -> None:
    breaker = """
        import io, logging, sys
        def main(inputs):
            sys.stdout = io.StringIO()
            logging.getLogger().handlers.clear()
    """
    printer = """
        import logging
        def main(inputs):
            print("printed")
            logging.warning("logged")
    """

    async def scenario(pool):
        await pool.run(make_job(tmp_path / "a", breaker), Recorder())
        rec = Recorder()
        await pool.run(make_job(tmp_path / "b", printer), rec)
        return rec.logs

    assert with_pool(scenario) == ["printed", "WARNING root: logged"]


def test_late_output_of_a_thread_belongs_to_its_job(tmp_path: Path) -> None:
    code = """
        import threading, time
        def main(inputs):
            threading.Thread(target=lambda: (time.sleep(0.2), print("late"))).start()
    """
    rec = Recorder()

    async def scenario(pool):
        outcome = await pool.run(make_job(tmp_path, code), rec)
        await eventually(lambda: rec.logs == ["late"])
        return outcome

    assert with_pool(scenario).status == "done"
    assert [(m["log"], m["job_id"]) for m in rec.of("BlockLog")] == [("late", rec.messages[0]["job_id"])]


def test_a_job_that_cannot_be_sent_fails_and_frees_its_worker(tmp_path: Path) -> None:
    async def scenario(pool):
        bad = make_job(tmp_path, TRIVIAL_CODE, inputs={"x": lambda: 1})
        failed = await pool.run(bad, Recorder())
        after = await pool.run(make_job(tmp_path, TRIVIAL_CODE), Recorder())
        return failed, after

    failed, after = with_pool(scenario)
    assert failed.status == "failed"
    assert failed.error.startswith("cannot send the job to a worker: ")
    assert after.status == "done"


TRIVIAL_CODE = "def main(inputs):\n    return {'out': 1}\n"


def test_multiprocessing_fork_in_a_block(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        import multiprocessing as mp

        def square(n):
            return n * n

        def main(inputs):
            with mp.get_context("fork").Pool(2) as pool:
                return {"out": pool.map(square, [1, 2, 3])}
    """)
    assert (outcome.status, outcome.result) == ("done", {"out": [1, 4, 9]}), outcome.error


def test_a_lookup_error_at_import_keeps_its_traceback(tmp_path: Path) -> None:
    outcome, _ = run_block(tmp_path, """
        import os
        SETTING = os.environ["OOCANA_TEST_SURELY_UNSET"]
        def main():
            pass
    """)
    assert outcome.error.startswith("Traceback (most recent call last):\n")
    assert outcome.error.rstrip().endswith("KeyError: 'OOCANA_TEST_SURELY_UNSET'")


def test_entry_default_absolute_and_import_paths(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "shared").mkdir(parents=True)
    (package / "shared" / "__init__.py").write_text("GREETING = 'hi'\n")
    block = package / "blocks" / "b"
    block.mkdir(parents=True)
    (block / "helper.py").write_text("def twice(x):\n    return 2 * x\n")
    (block / "index.py").write_text(
        "from helper import twice\nfrom shared import GREETING\n"
        "def main(inputs):\n    return {'out': [GREETING, twice(inputs['x'])]}\n")

    async def scenario(pool):
        default = make_job(block, inputs={"x": 2}, entry=None,  # index.py
                           package_dir=str(package))
        absolute = make_job(tmp_path / "elsewhere", entry=str(block / "index.py"),
                            inputs={"x": 3})
        return [(await pool.run(job, Recorder())) for job in (default, absolute)]

    default, absolute = with_pool(scenario)
    assert default.result == {"out": ["hi", 4]}, default.error
    assert absolute.result == {"out": ["hi", 6]}, absolute.error
