import sys

from oocana import Context


def main(params: dict, context: Context):
    print("before exit")
    if params["code"] is None:
        exit()
    sys.exit(params["code"])
    print("after exit")
    return {"never": True}
