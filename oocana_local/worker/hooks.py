"""Make ``plt.show()``, plotly's ``fig.show()`` and PIL's ``Image.show()`` send previews.

Nothing is imported up front: ``install()`` (at worker start) puts a finder on
``sys.meta_path`` that acts right after a block first imports matplotlib (its backend
becomes ``mpl_backend``, unless the block's environment names another one than the
pool's ``Agg``), plotly or PIL. ``MPLBACKEND`` itself stays ``Agg``, so a Python
subprocess a block starts renders without a display and without needing this package. The job runner tells this
module which job runs (``job_started``), so a ``show()`` from anywhere in the block, any
thread included, previews through that job's Context; ``job_ended`` closes the figures a
job left open, so they neither leak nor show up in the next job's ``plt.show()``. The calls
of a service run at once on threads of their own (``threaded``): a call's thread previews
through its own Context, and figures are closed once no call is running.
"""

from __future__ import annotations

import os
import sys

from .running import current_context, enter, leave

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["install", "job_started", "job_ended", "current_context", "MPL_BACKEND"]

MPL_BACKEND = "module://oocana_local.worker.mpl_backend"

def job_started(context: Any, threaded: bool = False) -> None:
    enter(context, threaded)


def job_ended(threaded: bool = False) -> None:
    if leave(threaded):  # figures of the service calls still running stay open
        return
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        try:
            pyplot.close("all")
        except Exception:  # a block that broke pyplot must not break the worker
            pass


def _patch_matplotlib(module: Any) -> None:
    if os.environ.get("MPLBACKEND", "").lower() in ("", "agg"):
        module.rcParams["backend"] = MPL_BACKEND


def _patch_plotly(module: Any) -> None:
    from .hooks_plotly import install

    install(module)


def _patch_pil(module: Any) -> None:
    from .hooks_pil import install

    install(module)


_HOOKS: dict[str, Callable[[Any], None]] = {
    "matplotlib": _patch_matplotlib,
    "plotly.io": _patch_plotly,
    "PIL.Image": _patch_pil,
}


def _run_hook(name: str, module: Any) -> None:
    hook = _HOOKS.get(name)
    if hook is None:
        return
    try:
        hook(module)
    except Exception as exc:  # previews are a convenience: never fail the import
        print(f"oocana-local: cannot hook {name} for previews: {exc!r}", file=sys.__stderr__)


class _HookedLoader:
    """Runs the real loader, then the hook of the module it loaded."""

    def __init__(self, loader: Any):
        self._loader = loader

    def __getattr__(self, name: str) -> Any:  # resources, get_code, is_package, ...
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: Any) -> None:
        self._loader.exec_module(module)
        _run_hook(module.__name__, module)


class _PostImportFinder:
    """Finds nothing itself: wraps the loader of a hooked module found by the others."""

    _busy: set[str] = set()

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in _HOOKS or name in cls._busy:
            return None
        cls._busy.add(name)
        try:
            for finder in sys.meta_path:
                if finder is cls or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
        finally:
            cls._busy.discard(name)
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _HookedLoader(spec.loader)  # type: ignore[assignment]
        return spec

    @staticmethod
    def invalidate_caches() -> None:
        pass


def install() -> None:
    """Hook matplotlib, plotly and PIL for previews; imports none of them."""
    if _PostImportFinder not in sys.meta_path:
        sys.meta_path.insert(0, _PostImportFinder)
    for name in _HOOKS:  # already imported (not in a fresh worker, but be safe)
        module = sys.modules.get(name)
        if module is not None:
            _run_hook(name, module)
