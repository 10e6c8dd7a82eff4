"""``new block|flow --vscode``: a ``.vscode/launch.json`` that attaches VS Code to a
debug run (``oocana-local run PATH --debug``). A file the user already has is never
changed: the configurations to add are printed instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["ATTACH_CONFIGURATIONS", "write_launch_json"]

ATTACH_CONFIGURATIONS: list[dict[str, Any]] = [
    {
        "name": "oocana-local: attach to Python blocks",
        "type": "debugpy",
        "request": "attach",
        "connect": {"host": "127.0.0.1", "port": 5678},
        "justMyCode": True,
    },
    {
        "name": "oocana-local: attach to Node.js blocks",
        "type": "node",
        "request": "attach",
        "address": "127.0.0.1",
        "port": 9229,
        "restart": True,
        "skipFiles": ["<node_internals>/**"],
    },
]


def write_launch_json(root: Path) -> tuple[Path | None, str]:
    """Write ``root/.vscode/launch.json`` unless one exists; returns the file written
    (or None) and the line(s) to print."""
    path = root / ".vscode" / "launch.json"
    if path.exists():
        snippet = json.dumps(ATTACH_CONFIGURATIONS, indent=2)
        return None, (f"kept your {path} as it is; to attach VS Code to "
                      f"`oocana-local run PATH --debug`, add to its \"configurations\":\n"
                      f"{snippet}")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": "0.2.0", "configurations": ATTACH_CONFIGURATIONS},
                      indent=2)
    path.write_text(text + "\n", encoding="utf-8")
    return path, (f"created {path}: run `oocana-local run PATH --debug`, then start "
                  "\"oocana-local: attach to Python blocks\" (or Node.js) in VS Code")
