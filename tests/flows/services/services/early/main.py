import os


def main(service):
    marks = os.environ.get("SVC_MARKS")
    if marks:
        with open(os.path.join(marks, f"started-{os.getpid()}"), "w") as mark:
            mark.write(str(os.getpid()))

    def meet(inputs, context):
        return {"met": inputs["other"], "pid": os.getpid()}

    service.block_handler = {"meet": meet}
