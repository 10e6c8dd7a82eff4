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
  // The worker of the previous run (`dev`: a new session) may still be letting it go.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 20; attempt++) {
    if (open(Number(port))) {
      waiting = true;
      return;
    }
    Atomics.wait(pause, 0, 0, 50);  // sleeps, without spinning
  }
  // Taken for good: another worker of this run (another package's) has it.
  open(0);
  process.stderr.write(`oocana-local: 127.0.0.1:${port} is taken; this Node.js worker's ` +
    `inspector is at ${inspector.url()}\n`);
}

/** Whether the inspector now listens (a taken port is not an exception, only a note). */
function open(port) {
  try {
    inspector.open(port, "127.0.0.1", false);
  } catch {
    return false;
  }
  if (inspector.url()) return true;
  try { inspector.close(); } catch { /* it never opened */ }
  return false;
}

/** Block until an inspector client says "run", once (no CPU is spent meanwhile). */
export function waitForClient() {
  if (!waiting) return;
  waiting = false;
  inspector.waitForDebugger();
}
