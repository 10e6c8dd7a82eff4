from oocana import Context, ServiceContextAbstractClass

started = []


def block_a_handler(inputs: dict, context: Context):
    print("Hello from block_a_handler")
    service = started[0]
    return {"two": "22",
            "service_type": [isinstance(service, ServiceContextAbstractClass),
                             type(service).__name__,
                             ServiceContextAbstractClass in type(service).__mro__]}


def block_b_handler(inputs: dict, context: Context):
    print("Hello from block_b_handler")
    return {"two": "2222", "one": "11111"}


def main(service: ServiceContextAbstractClass):
    print("Hello from service")
    started.append(service)
    service.block_handler = {
        "a": block_a_handler,
        "b": block_b_handler,
    }
