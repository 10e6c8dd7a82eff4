import threading
import time


def main(service):
    steps = []

    def warm_up():
        for step in range(3):  # a model that takes a while to load
            time.sleep(0.2)
            steps.append(step)
        service.notify_ready()

    service.waiting_ready_notify = True
    service["block_handler"] = {"steps": lambda inputs, context: {"steps": len(steps)}}
    threading.Thread(target=warm_up, daemon=True).start()
