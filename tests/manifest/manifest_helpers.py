"""Helpers to write small packages, flows and blocks into a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

MAIN_PY = "def main(params, context):\n    return {}\n"


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root`` (text is dedented); return ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def block_yaml(inputs: tuple[str, ...] = (), outputs: tuple[str, ...] = ("out",)) -> str:
    """A python block.oo.yaml with the given handles and entry main.py."""
    lines = ["executor:", "  name: python", "  options:", "    entry: main.py"]
    lines += ["inputs_def:"] + [f"  - handle: {h}" for h in inputs] if inputs else []
    lines += ["outputs_def:"] + [f"  - handle: {h}" for h in outputs] if outputs else []
    return "\n".join(lines) + "\n"
