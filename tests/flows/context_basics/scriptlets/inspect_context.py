import os
import uuid

from oocana import Context


def writable(path) -> bool:
    """True when `path` is an existing directory this block can create a file in."""
    if not path or not os.path.isdir(path):
        return False
    probe = os.path.join(path, f".probe-{uuid.uuid4().hex}")
    try:
        with open(probe, "w") as f:
            f.write("ok")
        os.remove(probe)
    except OSError:
        return False
    return True


def main(params: dict, context: Context):
    try:
        context.inputs_def["value"] = {}
        inputs_def_read_only = False
    except TypeError:
        inputs_def_read_only = True
    return {
        "info": {
            "session_id": context.session_id,
            "job_id": context.job_id,
            "node_id": context.node_id,
            "inputs": dict(context.inputs),
            "inputs_def_handles": sorted(context.inputs_def),
            "outputs_def_handles": sorted(context.outputs_def),
            "inputs_def_read_only": inputs_def_read_only,
            "session_dir_writable": writable(context.session_dir),
            "tmp_dir_writable": writable(context.tmp_dir),
            "tmp_pkg_dir_writable": writable(context.tmp_pkg_dir),
            "env": os.environ.get("OOMOL_LOCAL_TEST_VALUE"),
        }
    }
