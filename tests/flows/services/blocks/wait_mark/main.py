import glob
import os
import time


def main(inputs):
    folder = os.environ["SVC_MARKS"]
    for _ in range(1200):
        found = glob.glob(os.path.join(folder, "started-*"))
        if found:
            with open(found[0]) as mark:
                return {"pid": int(mark.read()), "name": "solo"}
        time.sleep(0.05)
    raise RuntimeError("the service was not started before its first call")
