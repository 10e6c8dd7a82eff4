"""The cold-start workload: a one-node flow run from the command line, whole process.

``commands(tmp)`` writes what each engine needs into ``tmp`` and returns, per engine
family, the command line a user would type. Each one runs the trivial block on the value
1 and makes the answer (2) readable: oocana-local prints it (``--json``); the others'
block writes it to ``$BENCH_ANSWER_FILE``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_oocana  # noqa: E402

WRITE = ("import os\n"
         "def answer(x):\n"
         "    with open(os.environ['BENCH_ANSWER_FILE'], 'w') as f:\n"
         "        f.write(str(x))\n"
         "    return x\n")

PYTHON = WRITE + "\nif __name__ == '__main__':\n    answer(1 + 1)\n"

DAGSTER = WRITE + """
from dagster import job, op


@op
def inc() -> int:
    return answer(1 + 1)


@job
def one():
    inc()
"""

PREFECT = WRITE + """
from prefect import flow, task


@task
def inc(x: int) -> int:
    return answer(x + 1)


@flow
def one():
    return inc(1)


if __name__ == '__main__':
    one()
"""

KEDRO_PYPROJECT = """\
[tool.kedro]
package_name = "coldone"
project_name = "coldone"
kedro_init_version = "{version}"
source_dir = "src"
"""

KEDRO_REGISTRY = WRITE + """
from kedro.pipeline import Pipeline, node


def inc(x):
    return answer(x + 1)


def register_pipelines():
    return {"__default__": Pipeline([node(inc, "params:x", "y", name="inc")])}
"""


def write_kedro(root: Path, version: str) -> Path:
    """The smallest Kedro project ``kedro run`` accepts: pyproject, settings, registry."""
    project = root / "kedro"
    package = project / "src" / "coldone"
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(KEDRO_PYPROJECT.format(version=version))
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text("")
    (package / "pipeline_registry.py").write_text(KEDRO_REGISTRY)
    for env in ("base", "local"):
        (project / "conf" / env).mkdir(parents=True)
    (project / "conf" / "base" / "parameters.yml").write_text("x: 1\n")
    (project / "conf" / "base" / "catalog.yml").write_text("{}\n")
    return project


def commands(tmp: Path, bindirs: dict[str, Path], kedro_version: str | None
             ) -> dict[str, tuple[list[str], Path]]:
    """``{family: (argv, cwd)}`` for each engine family whose venv is there."""
    out: dict[str, tuple[list[str], Path]] = {}
    here = Path(sys.executable).parent
    oocana = here / "oocana-local"
    flow = bench_oocana.write_cold(tmp / "oocana")
    argv = [str(oocana)] if oocana.exists() else [sys.executable, "-m", "oocana_local"]
    out["oocana-local"] = ([*argv, "run", str(flow), "--json"], tmp)
    (tmp / "cold_python.py").write_text(PYTHON)
    out["python"] = ([sys.executable, str(tmp / "cold_python.py")], tmp)
    if "dagster" in bindirs:
        (tmp / "cold_dagster.py").write_text(DAGSTER)
        out["dagster"] = ([str(bindirs["dagster"] / "dagster"), "job", "execute",
                           "-f", str(tmp / "cold_dagster.py"), "-j", "one"], tmp)
    if "prefect" in bindirs:
        (tmp / "cold_prefect.py").write_text(PREFECT)
        out["prefect"] = ([str(bindirs["prefect"] / "python"), str(tmp / "cold_prefect.py")],
                          tmp)
    if "kedro" in bindirs and kedro_version:
        project = write_kedro(tmp, kedro_version)
        out["kedro"] = ([str(bindirs["kedro"] / "kedro"), "run"], project)
    return out


def environment(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["BENCH_ANSWER_FILE"] = str(tmp / "answer.txt")
    env.setdefault("PREFECT_HOME", str(tmp / "prefect-home"))
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DAGSTER_HOME", str(tmp / "dagster-home"))
    (tmp / "dagster-home").mkdir(exist_ok=True)
    return env
