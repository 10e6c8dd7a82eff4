import logging
import sys
import threading
import time

from oocana import Context


def main(params: dict, context: Context):
    print("hello from print")
    print("several", "parts", 3)
    sys.stderr.write("written to stderr\n")
    logging.getLogger("chatty").warning("sent through logging")
    thread = threading.Thread(target=print, args=("hello from a thread",))
    thread.start()
    thread.join()
    time.sleep(0.2)  # let quiet speak meanwhile
    return {"done": True}
