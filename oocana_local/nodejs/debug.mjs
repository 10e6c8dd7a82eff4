// A Node.js worker in a debug run (oocana-local run --debug): the V8 inspector listens on
// the port the engine named, and the first job waits until a client (Chrome DevTools,
// VS Code) has attached, so a breakpoint in the first block already hits. Breakpoints in
// .ts files map through the inline source maps of the TypeScript loader.
import inspector from "node:inspector";

const PORT_ENV = "OOCANA_LOCAL_NODE_DEBUG_PORT";  // executor/debug.py's NODE_PORT_ENV
let waiting = false;

/** Open the inspector when the engine asked for it (before the worker says ready). */
export function openInspector() {
  const port = process.env[PORT_ENV];
  if (!port) return;
  delete process.env[PORT_ENV];  // a node subprocess of a block must not try the same port
  try {
    inspector.open(Number(port), "127.0.0.1", false);
    waiting = true;
  } catch (error) {  // taken: another worker of this run has it
    inspector.open(0, "127.0.0.1", false);
    process.stderr.write(`oocana-local: this Node.js worker's inspector is at ${inspector.url()} ` +
      `(${error?.code ?? error})\n`);
  }
}

/** Block until an inspector client says "run", once (no CPU is spent meanwhile). */
export function waitForClient() {
  if (!waiting) return;
  waiting = false;
  inspector.waitForDebugger();
}
