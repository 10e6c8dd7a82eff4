import pathlib
import time

from oocana import Context


def main(params: dict, context: Context):
    if params["marker"]:
        pathlib.Path(params["marker"]).write_text(str(context.session_id))
    time.sleep(params["seconds"])
    return {"done": True}
