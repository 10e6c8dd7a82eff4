def start(service):
    seen = []

    def handle(block_name, inputs, context):
        seen.append(block_name)
        if block_name == "hello":
            return {"text": f"hello {inputs['who']} from {service.name}"}
        return {"seen": len(seen)}

    service.block_handler = handle
