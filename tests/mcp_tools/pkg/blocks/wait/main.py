import os
import time


def main(params, context):
    with open(params["pid_file"] + ".tmp", "w") as file:
        file.write(str(os.getpid()))
    os.replace(params["pid_file"] + ".tmp", params["pid_file"])
    time.sleep(120)
    return {"waited": True}
