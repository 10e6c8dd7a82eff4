import os
import time


def main(service):
    def meet(inputs, context):
        gate = os.path.join(context.session_dir, "gate")
        os.makedirs(gate, exist_ok=True)
        with open(os.path.join(gate, inputs["name"]), "w") as mark:
            mark.write("here")
        print(f"{inputs['name']} is waiting for {inputs['other']}")
        for _ in range(1200):  # up to a minute: the other call should be running
            if os.path.exists(os.path.join(gate, inputs["other"])):
                print(f"{inputs['name']} met {inputs['other']}")
                return {"met": inputs["other"], "pid": os.getpid()}
            time.sleep(0.05)
        raise RuntimeError(f"{inputs['name']} never met {inputs['other']}: "
                           "the calls did not run at once")

    service.block_handler = {"meet": meet}
