// NODE_V8_COVERAGE in the engine's environment reaches Node.js workers like any variable;
// V8 writes its coverage only when a process exits normally, and the engine stops idle
// workers with SIGKILL, so a worker writes what it has before each job's BlockFinished.
// Each write is one more coverage-*.json file in that folder (c8 and friends merge them).
import v8 from "node:v8";

const enabled = Boolean(process.env.NODE_V8_COVERAGE);

export function saveCoverage() {
  if (!enabled) return;
  try { v8.takeCoverage(); } catch { /* the folder is gone: nothing to keep */ }
}
