import time

from oocana import Context


def check(value):
    if value < 0:
        raise ValueError(f"bad input: {value}")
    return value


def main(params: dict, context: Context):
    time.sleep(params["delay"])
    return {"value": check(params["value"])}
