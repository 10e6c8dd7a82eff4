import os
import time


def main(inputs, context):
    if inputs["mode"] == "wait":
        with open(os.path.join(context.tmp_dir, "waiting"), "w") as f:
            f.write(context.session_id)
        while not os.path.exists(inputs["release"]):  # the test creates it
            time.sleep(0.02)
        return {"tmp_dir": context.tmp_dir}
    out = os.path.join(context.tmp_dir, "out")
    os.mkdir(out)  # fails if an earlier run's folder is still there
    with open(os.path.join(out, "result.txt"), "w") as f:
        f.write(context.session_id)
    if inputs["mode"] == "fail":
        raise RuntimeError("failing on purpose, after writing out/result.txt")
    return {"tmp_dir": context.tmp_dir}
