import time


def main(inputs):
    time.sleep(inputs["seconds"])
    return {"value": inputs["value"]}
