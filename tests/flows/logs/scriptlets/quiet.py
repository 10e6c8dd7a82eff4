import time

from oocana import Context


def main(params: dict, context: Context):
    time.sleep(0.05)
    print("quiet node speaking")
    return {"done": True}
