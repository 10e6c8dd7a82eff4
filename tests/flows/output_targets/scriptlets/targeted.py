from oocana import Context


def main(params: dict, context: Context):
    context.output("out", "for end", to_node=[{"node_id": "end", "input_handle": "k"}])
    context.output("out", "for flow", to_flow=[{"output_handle": "result"}])
