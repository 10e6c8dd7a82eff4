import threading
import time


def main(params, context):
    def later():
        time.sleep(0.3)
        context.output("out", "from a thread")
        context.finish()

    threading.Thread(target=later).start()
    return context.keepAlive
