"""The terminal view of a run: nodes outside ``--nodes`` show as skipped, values that stay
in a worker print as a short description, and no output line folds into a stray line at
any width from 60 to 200 columns."""

from __future__ import annotations

import io
import json

import pytest
from helpers import FLOWS, REPO, cli
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from test_cli import RUN_TIMEOUT

from oocana_local.mainframe.view import RunState, render_summary

LONG = FLOWS / "long_outputs"


def run_at_width(width: int, *args: str):
    import subprocess

    from helpers import cli_env

    env = {**cli_env(), "COLUMNS": str(width)}
    return subprocess.run(cli(*args), cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def _summary_lines(stdout: str) -> list[str]:
    """The summary: from the node table (first status symbol line) to the end."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("✓", "✗", "–")))
    return lines[start:]


def test_nodes_outside_the_subset_are_skipped():
    proc = run_at_width(100, "run", "flows/quickstart", "--nodes", "square")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[1]: line.split()[2] for line in _summary_lines(proc.stdout)
            if line[:1] in "✓–·"}
    assert rows["square"] == "done" and rows["numbers"] == "done"
    assert rows["scale"] == "skipped" and rows["report"] == "skipped"
    assert "waiting" not in proc.stdout


def test_a_dataframe_output_prints_as_a_description():
    proc = run_at_width(100, "run", str(LONG))
    assert proc.returncode == 0, proc.stderr
    assert "  frame = <DataFrame 2 rows × 3 columns>" in proc.stdout
    assert "__OOMOL_TYPE__" not in proc.stdout and "job_id" not in proc.stdout


@pytest.mark.parametrize("width", [60, 83, 200])
def test_no_output_line_is_wider_than_the_terminal(width):
    proc = run_at_width(width, "run", str(LONG))
    assert proc.returncode == 0, proc.stderr
    wide = [line for line in _summary_lines(proc.stdout) if cell_len(line) > width]
    assert not wide


@pytest.fixture(scope="module")
def long_state(tmp_path_factory):
    events = tmp_path_factory.mktemp("long") / "events.jsonl"
    proc = run_at_width(100, "run", str(LONG), "--json", "--events", str(events))
    assert proc.returncode == 0, proc.stderr
    state = RunState()
    for line in events.read_text().splitlines():
        state.apply(json.loads(line))
    return state


def test_every_width_from_60_to_200(long_state):
    for width in range(60, 201):
        console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
        for part in render_summary(long_state, width=width):
            console.print(part, soft_wrap=isinstance(part, Text))  # as the view prints
        wide = [line for line in console.export_text().splitlines()
                if cell_len(line) > width]
        assert not wide, (width, wide[:3])
