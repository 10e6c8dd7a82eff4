import threading
import time

from oocana import ServiceContextAbstractClass

state = {"notified": False}


def check(inputs, context):
    return {"notified": state["notified"]}


def main(service: ServiceContextAbstractClass):
    service.waiting_ready_notify = True
    service["block_handler"] = {"check": check}

    def load_then_notify():
        time.sleep(0.2)  # a model loading
        state["notified"] = True
        service.notify_ready()

    threading.Thread(target=load_then_notify).start()
    threading.Event().wait()  # a start function that never returns
