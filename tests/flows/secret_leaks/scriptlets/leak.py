import logging
import os
import subprocess
import sys


def main(params, context):
    token = params["token"]
    mode = params["mode"]
    if mode == "raise":
        raise RuntimeError(f"could not log in with {token}")
    if mode == "exit":
        sys.exit(f"bad token {token}")
    print("print:", token)
    logging.warning("logging: %s", token)
    context.logger.info("logger: %s", token)
    os.write(1, f"fd1: {token}\n".encode())
    os.write(2, f"fd2: {token}".encode())  # no newline: a partial line
    subprocess.run([sys.executable, "-c", f"print('child: ' + {token!r})"], check=True)
    context.report_log(f"report_log: {token}")
    context.send_warning(f"warning: {token}")
    context.error(f"error: {token}")
    context.log_json({"log_json": token})
    context.send_message({"message": token})
    context.preview({"type": "text", "data": f"preview: {token}"})
    context.preview({"type": "table", "data": {"columns": ["k"], "rows": [[token]]}})
    context.preview({"type": "html", "data": f"<p>{token}</p>"})
    context.output("streamed", token)
    return {"returned": {"nested": [token]}}
