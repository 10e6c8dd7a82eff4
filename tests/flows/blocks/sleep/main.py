import time

from oocana import Context


def main(params: dict, context: Context):
    time.sleep(params["seconds"])
    return {"value": params["value"]}
