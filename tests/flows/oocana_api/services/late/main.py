import threading

from oocana import ServiceContextAbstractClass

called = threading.Event()


def go(inputs, context):
    called.set()
    for thread in threading.enumerate():  # wait until the start function has ended
        if thread.name == "oocana-service-start":
            thread.join()
    return {"out": "served"}


def main(service: ServiceContextAbstractClass):
    service.block_handler = {"go": go}
    called.wait()
    raise RuntimeError("the watcher lost its connection")
