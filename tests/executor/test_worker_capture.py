"""What a block prints, writes and logs becomes BlockLog lines; progress is throttled."""

from __future__ import annotations

import time
from pathlib import Path

from pool_harness import Recorder, eventually, make_job, run_block, with_pool


def lines(rec: Recorder) -> list[tuple[str, str]]:
    return [(m["log"], m["stdio"]) for m in rec.of("BlockLog")]


def test_print_stdout_stderr_and_partial_lines(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        import sys
        def main(inputs, context):
            print("hello", 1, sep="-")
            print("to err", file=sys.stderr)
            sys.stdout.write("two\\nlines\\n")
            sys.stdout.write("no newline at the end")
            sys.stderr.buffer.write("bytes \\u00e9\\n".encode())
            print("", end="")
            print()
    """)
    assert outcome.status == "done"
    assert lines(rec) == [
        ("hello-1", "stdout"), ("to err", "stderr"), ("two", "stdout"), ("lines", "stdout"),
        ("bytes \u00e9", "stderr"), ("no newline at the end", "stdout"),
    ]


def test_logging_and_context_logger(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        import logging
        def main(inputs, context):
            logging.info("root info")
            logging.getLogger("lib").warning("careful\\nsecond line")
            logging.debug("not shown")
            context.logger.info("from the context")
            logging.basicConfig()  # a no-op: no duplicated lines
            logging.info("once")
    """)
    assert outcome.status == "done"
    assert lines(rec) == [
        ("INFO root: root info", "stdout"),
        ("WARNING lib: careful", "stderr"), ("second line", "stderr"),
        ("INFO block.node#1: from the context", "stdout"),
        ("INFO root: once", "stdout"),
    ]


def test_output_of_threads_and_c_level_writes(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        import os, threading
        def main(inputs, context):
            t = threading.Thread(target=lambda: print("from a thread"))
            t.start(); t.join()
            os.write(1, b"c level\\n")
            context.report_log("reported", "stderr")
            context.log_json({"k": [1, 2]})
    """)
    assert outcome.status == "done"
    assert ("from a thread", "stdout") in lines(rec)
    assert ("reported", "stderr") in lines(rec)
    assert rec.of("BlockLogJSON")[0]["json"] == {"k": [1, 2]}


def test_a_thread_pool_kept_across_jobs_writes_as_the_job_that_uses_it(tmp_path: Path
                                                                        ) -> None:
    # Its threads start in the first job; the second job's work on them is the second's
    # (a thread a job starts itself writes as that job, even later: test_lifecycle_rules).
    code = """
        import asyncio
        from concurrent.futures import ThreadPoolExecutor
        POOL = ThreadPoolExecutor(1)
        async def main(inputs):
            POOL.submit(print, f"pool {inputs['n']}").result()
            await asyncio.to_thread(print, f"to_thread {inputs['n']}")
            return {"out": inputs["n"]}
    """

    async def scenario(pool):
        first, second = Recorder(), Recorder()
        await pool.run(make_job(tmp_path, code, inputs={"n": 1}), first)
        await pool.run(make_job(tmp_path, code, inputs={"n": 2}), second)
        return first.logs, second.logs

    first, second = with_pool(scenario, max_workers=1)
    assert first == ["pool 1", "to_thread 1"]
    assert second == ["pool 2", "to_thread 2"]


def test_c_level_output_reaches_the_job(tmp_path: Path) -> None:
    async def scenario(pool):
        rec = Recorder()
        code = "import os, time\ndef main():\n    os.write(2, b'raw stderr\\n')\n"
        await pool.run(make_job(tmp_path, code), rec)
        await eventually(lambda: ("raw stderr", "stderr") in lines(rec))  # a pipe of its own
        return rec

    assert ("raw stderr", "stderr") in lines(with_pool(scenario))


def test_a_trivial_block_sends_only_its_finish(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, "def main(inputs):\n    return {'out': 1}\n")
    assert outcome.status == "done"
    assert rec.messages == []  # BlockFinished is the outcome, not a message


def test_progress_throttle(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        import time
        def main(inputs, context):
            context.report_progress(0)       # at once
            context.report_progress(10)      # replaced by 20
            context.report_progress(20)      # trailing, ~0.3 s after the first
            time.sleep(0.75)                 # past the trailing report's own window
            context.report_progress(30)      # at once
            context.report_progress(40)      # replaced ...
            context.report_progress(50)      # ... pending at the finish: sent before it
            context.finish(result={"out": 1})
            context.report_progress(99)      # after the finish: dropped
    """)
    assert outcome.status == "done"
    assert [m["progress"] for m in rec.of("BlockProgress")] == [0, 20, 30, 50]


def test_progress_timing(tmp_path: Path) -> None:
    async def scenario(pool):
        arrivals: list[tuple[float, float]] = []

        class Timed(Recorder):
            def on_event(self, message):
                if message["type"] == "BlockProgress":
                    arrivals.append((time.monotonic(), message["progress"]))

        code = ("import time\ndef main(inputs, context):\n"
                "    for p in range(0, 100, 5):\n"
                "        context.report_progress(p)\n        time.sleep(0.05)\n")
        start = time.monotonic()
        await pool.run(make_job(tmp_path, code), Timed())
        return start, arrivals

    start, arrivals = with_pool(scenario)
    values = [p for _, p in arrivals]
    assert values[0] == 0 and values == sorted(values)
    assert len(values) < 20  # throttled: the exact count is the unit test's business
    assert values[-1] == 95  # the newest value wins, sent before the job ends


def test_preview_of_dataframe_and_figure(tmp_path: Path) -> None:
    outcome, rec = run_block(tmp_path, """
        import pandas as pd
        import matplotlib.pyplot as plt
        def main(inputs, context):
            df = pd.DataFrame({"A": [1.0, float("nan")], "B": ["x", None]}, index=["r1", "r2"])
            context.preview(df)
            context.preview(pd.DataFrame({"n": [1, 2]}))
            fig, ax = plt.subplots()
            ax.plot([1, 2])
            context.preview(fig, id="plot")
            context.preview({"type": "text", "data": "hi"})
    """)
    assert outcome.status == "done", outcome.error
    payloads = [m["payload"] for m in rec.of("BlockPreview")]
    assert payloads[0] == {"type": "table", "data": {
        "columns": ["", "A", "B"], "rows": [["r1", 1.0, "x"], ["r2", None, None]],
        "row_count": 2}}
    assert payloads[1]["data"] == {"columns": ["n"], "rows": [[1], [2]], "row_count": 2}
    assert payloads[2]["type"] == "image" and payloads[2]["id"] == "plot"
    assert payloads[2]["data"].startswith("data:image/png;base64,")
    assert payloads[3] == {"type": "text", "data": "hi"}
