from oocana import ServiceContextAbstractClass


def load_model():
    raise FileNotFoundError("model.bin is missing")


def main(service: ServiceContextAbstractClass):
    load_model()
    service.block_handler = {"go": lambda inputs, context: {"out": 1}}
