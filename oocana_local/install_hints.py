"""What to install when a block fails on a module that is not there.

The hint must fix the error when followed: ``bootstrap`` only installs what the package
declares (or what its own ``scripts.bootstrap`` does), so it is suggested for declared
dependencies; anything else gets the install command that brings that very module.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .bootstrap import bootstrap_script, python_deps

__all__ = ["missing_module_hint", "npm_fix", "npm_name"]

_MISSING = [
    (re.compile(r"Cannot find package '([^']+)' imported from"), "npm package"),
    (re.compile(r"Cannot find module '([^'./~][^']*)'"), "npm package"),
    (re.compile(r"ModuleNotFoundError: No module named '([^']+)'"), "Python module"),
]

# Modules that an extra of oocana-local brings: (distribution, extra).
_EXTRAS = {"pandas": ("pandas", "preview"), "matplotlib": ("matplotlib", "preview"),
           "plotly": ("plotly", "preview"), "PIL": ("pillow", "preview"),
           "ray": ("ray", "ray"), "fastapi": ("fastapi", "serve"),
           "uvicorn": ("uvicorn", "serve")}

# Well-known modules whose distribution on PyPI has another name.
_DISTRIBUTIONS = {"PIL": "pillow", "yaml": "PyYAML", "cv2": "opencv-python",
                  "sklearn": "scikit-learn", "bs4": "beautifulsoup4",
                  "dateutil": "python-dateutil", "skimage": "scikit-image",
                  "dotenv": "python-dotenv", "docx": "python-docx", "fitz": "PyMuPDF"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared_python(root: Path) -> set[str]:
    """Normalized names of the Python distributions the package declares."""
    args = python_deps(root) or []
    lines: list[str] = []
    if args[:1] == ["-r"]:
        try:
            lines = Path(args[1]).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
    else:
        lines = args
    names = set()
    for line in lines:
        found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#")[0])
        if found:
            names.add(_normal(found.group(1)))
    return names


def _declared_npm(root: Path) -> set[str]:
    try:
        data = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return set()
    if not isinstance(data, dict):
        return set()
    names: set[str] = set()
    for key in ("dependencies", "devDependencies", "optionalDependencies"):
        if isinstance(data.get(key), dict):
            names.update(data[key])
    return names


def missing_module_hint(error: str, block_dir: str) -> str | None:
    """The install that fixes ``error`` when it says a module is missing, else None.
    Its package is the nearest folder from ``block_dir`` up with a package.json or
    package.oo.yaml (else ``block_dir`` itself)."""
    for pattern, kind in _MISSING:
        found = pattern.search(error)
        if found:
            name, root = found.group(1), _package_root(Path(block_dir))
            if kind == "npm package":
                name = npm_name(name)
                fix = npm_fix(name, root)
            else:
                fix = _python_fix(name, root)
            return f"hint: the {kind} {name!r} is not installed; {fix}"
    return None


def _package_root(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "package.json").is_file() or (folder / "package.oo.yaml").is_file():
            return folder
    return start


def npm_name(spec: str) -> str:
    """The npm package of an import specifier (``lodash/fp`` -> ``lodash``)."""
    parts = spec.split("/")
    return "/".join(parts[:2]) if spec.startswith("@") else parts[0]


def npm_fix(name: str, root: Path) -> str:
    """How to install npm package ``name`` for the package at ``root``."""
    if name in _declared_npm(root) or bootstrap_script(root) is not None:
        return f"run `oocana-local bootstrap {root}` to install the package's dependencies"
    return (f"run `npm install {name}` in {root} (it adds it to package.json, so "
            f"`oocana-local bootstrap {root}` installs it from then on)")


def _python_fix(module: str, root: Path) -> str:
    top = module.split(".")[0]
    if top in _EXTRAS:
        dist, extra = _EXTRAS[top]
        return (f"it comes with oocana-local's {extra!r} extra: "
                f"`pip install \"oocana-local[{extra}]\"` (or `pip install {dist}`) in the "
                "environment that runs oocana-local")
    dist = _DISTRIBUTIONS.get(top, top)
    if _normal(dist) in _declared_python(root) or bootstrap_script(root) is not None:
        return f"run `oocana-local bootstrap {root}` to install the package's dependencies"
    return (f"`pip install {dist}` in the environment that runs oocana-local (blocks run in "
            f"its Python), or list {dist} in {root / 'requirements.txt'} and run "
            f"`oocana-local bootstrap {root}`")
