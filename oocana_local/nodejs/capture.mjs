// console.log / process.stdout / process.stderr of a block become its BlockLog lines, also
// from its timers and promise callbacks: the job is found through AsyncLocalStorage.
import { AsyncLocalStorage } from "node:async_hooks";

export const jobStorage = new AsyncLocalStorage();
const partial = new Map();  // job id -> {stdout, stderr} text after the last newline

export function installCapture(send) {
  for (const stdio of ["stdout", "stderr"]) {
    const stream = process[stdio];
    const original = stream.write.bind(stream);
    stream.write = (chunk, encoding, callback) => {
      const job = jobStorage.getStore();
      if (!job) return original(chunk, encoding, callback);
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      const held = partial.get(job.jobId) ?? { stdout: "", stderr: "" };
      const lines = (held[stdio] + text).split("\n");
      held[stdio] = lines.pop();
      partial.set(job.jobId, held);
      for (const log of lines) send({ type: "BlockLog", job_id: job.jobId, session_id: job.sessionId, log, stdio });
      if (!held.stdout && !held.stderr) partial.delete(job.jobId);
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") queueMicrotask(done);
      return true;
    };
  }
}

/** Send what is left of a line, e.g. before the job's BlockFinished. */
export function flushLogs(jobId, sessionId, send) {
  const held = partial.get(jobId);
  if (!held) return;
  partial.delete(jobId);
  for (const stdio of ["stdout", "stderr"]) {
    if (held[stdio]) send({ type: "BlockLog", job_id: jobId, session_id: sessionId, log: held[stdio], stdio });
  }
}
