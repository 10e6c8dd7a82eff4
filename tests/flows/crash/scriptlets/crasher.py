import os
import sys

from oocana import Context


def main(params: dict, context: Context):
    print("about to crash")
    sys.stdout.flush()
    os._exit(3)
