// The Context a Node block gets (the oocana-node 0.24 surface).
import { randomBytes } from "node:crypto";
import { Packed } from "./pickle.mjs";
import { encodeOutput, decodeValue } from "./values.mjs";

export const KEEP_ALIVE = Symbol.for("oocana.keepAlive");
const UNDECLARED = (h) => `Output handle key: [${h}] is not defined in Block outputs schema.`;
// What the reporting methods return: oocana-node's are async (blocks `await` or `.then`
// them); here they send at once, and errors are still thrown at once.
const DONE = Promise.resolve();
const flowNodeStores = new Map();  // per session and node, lives as long as the worker

function requestId() {
  return randomBytes(8).toString("hex");
}

/** oocana's progress throttle: the first report at once, then at most one per period,
 * the newest value wins; close() sends a pending value at once and drops what follows. */
class Throttle {
  constructor(send, period = 300) {
    this.send = send;
    this.period = period;
    this.last = -Infinity;
    this.pending = undefined;
    this.timer = null;
    this.closed = false;
  }
  push(value) {
    if (this.closed) return;
    const now = performance.now();
    if (now - this.last > this.period) {
      clearTimeout(this.timer);
      this.timer = null;
      this.pending = undefined;
      this.last = now;
      this.send(value);
      return;
    }
    this.pending = value;
    if (!this.timer) {
      this.timer = setTimeout(() => this.#fire(), this.period - (now - this.last));
      this.timer.unref?.();
    }
  }
  #fire() {
    this.timer = null;
    if (this.closed || this.pending === undefined) return;
    const value = this.pending;
    this.pending = undefined;
    this.last = performance.now();
    this.send(value);
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    if (this.pending !== undefined) this.send(this.pending);
    this.pending = undefined;
  }
}

export class Context {
  #job;
  #worker;
  #finished = false;
  #throttle;
  #done;

  constructor(job, inputs, worker) {
    this.#job = job;
    this.#worker = worker;
    this.inputs = inputs;
    this.inputsDef = job.inputs_def ?? {};
    this.outputsDef = job.outputs_def ?? {};
    this.sessionId = job.session_id;
    this.jobId = job.job_id;
    this.stacks = job.stacks ?? [];
    this.node_id = this.stacks.length ? this.stacks[this.stacks.length - 1].node_id : job.node_id;
    this.sessionDir = job.session_dir;
    this.tmpDir = job.tmp_dir;
    this.tmpPkgDir = job.tmp_pkg_dir;
    this.pkgDir = job.pkg_dir ?? job.package_dir ?? "";
    this.pkgDataDir = job.pkg_dir ?? "";
    this.keepAlive = KEEP_ALIVE;
    const gpuVendor = process.env.OOMOL_HOST_GPU_VENDOR || "unknown";
    const gpuRenderer = process.env.OOMOL_HOST_GPU_RENDERER || "unknown";
    // oocana-node's keys, and the Python SDK's ones that earlier versions of this file used.
    this.hostInfo = { gpuVendor, gpuRenderer, gpu_vendor: gpuVendor, gpu_renderer: gpuRenderer };
    this.hostEndpoint = process.env.OO_HOST_ENDPOINT;
    const storeKey = `${job.session_id}/${this.node_id}`;
    if (!flowNodeStores.has(storeKey)) flowNodeStores.set(storeKey, {});
    this.flowNodeStore = flowNodeStores.get(storeKey);
    this.#throttle = new Throttle((progress) => this.#send("BlockProgress", { progress }));
    this.finished = new Promise((resolve) => { this.#done = resolve; });
  }

  get isFinished() {
    return this.#finished;
  }

  get OOMOL_LLM_ENV() {
    const env = process.env;
    return {
      baseUrl: env.OOMOL_LLM_BASE_URL ?? "",
      baseUrlV1: env.OOMOL_LLM_BASE_URL_V1 ?? "",
      apiKey: env.OOMOL_LLM_API_KEY ?? "",
      models: (env.OOMOL_LLM_MODELS ?? "").split(",").filter(Boolean),
    };
  }

  async getOomolToken() {
    return process.env.OOMOL_TOKEN ?? "";
  }

  #send(type, fields) {
    this.#worker.send({ type, job_id: this.jobId, session_id: this.sessionId, ...fields });
  }

  #encode(handle, value) {
    const encoded = encodeOutput(value, { handle, def: this.outputsDef[handle], job: this.#job,
                                          warn: (w) => this.warning(w) });
    // A big list or object travels as its own pickle, which the engine can pass on.
    return encoded !== null && typeof encoded === "object" ? new Packed(encoded) : encoded;
  }

  #encodeAll(values) {
    const out = {};
    for (const [handle, value] of Object.entries(values ?? {})) {
      if (handle in this.outputsDef) out[handle] = this.#encode(handle, value);
      else this.warning(UNDECLARED(handle));
    }
    return out;
  }

  output(handle, value, options) {
    if (this.#finished) {
      this.warning(`output '${handle}' after finish() was ignored`);
      return DONE;
    }
    if (!(handle in this.outputsDef)) {
      this.warning(UNDECLARED(handle));
      return DONE;
    }
    const fields = { handle, output: this.#encode(handle, value) };
    if (options && (options.to_node || options.to_flow)) {
      fields.options = { target: { to_node: options.to_node ?? null, to_flow: options.to_flow ?? null } };
    }
    this.#send("BlockOutput", fields);
    return DONE;
  }

  outputs(values) {
    if (this.#finished) {
      this.warning("outputs after finish() were ignored");
      return DONE;
    }
    this.#send("BlockOutputs", { outputs: this.#encodeAll(values) });
    return DONE;
  }

  finish({ result, error } = {}) {
    if (!this._end({ result, error })) this.warning("finish() was called again; ignored");
    return DONE;
  }

  /** Sends BlockFinished unless already sent; returns whether it did. */
  _end({ result, error } = {}) {
    if (this.#finished) return false;
    this.#worker.flushLogs(this.jobId);
    this.#throttle.close();
    this.#finished = true;
    const fields = {};
    if (error !== undefined && error !== null) {
      fields.error = typeof error === "string" ? error : String(error?.stack ?? error);
    } else if (result !== undefined && result !== null) {
      fields.result = this.#encodeAll(result);
    }
    this.#send("BlockFinished", fields);
    this.#done();
    return true;
  }

  reportProgress(progress) {
    const value = Number(progress);
    if (!Number.isFinite(value)) return DONE;
    this.#throttle.push(Math.max(0, Math.min(100, value)));
    return DONE;
  }

  reportLog(line, stdio = "stdout") {
    this.#send("BlockLog", { log: String(line), stdio });
    return DONE;
  }

  logJSON(payload) {
    this.#send("BlockLogJSON", { json: payload });
    return DONE;
  }

  sendMessage(payload) {
    this.#send("BlockMessage", { payload });
    return DONE;
  }

  warning(message) {
    this.#send("BlockWarning", { warning: String(message) });
    return DONE;
  }

  error(message) {
    this.#send("BlockError", { error: String(message?.stack ?? message) });
    return DONE;
  }

  preview(payload) {
    let converted = payload;
    if (payload && typeof payload === "object" && Buffer.isBuffer(payload.data)) {
      const mime = payload.type === "image" ? "image/png" : "application/octet-stream";
      converted = { ...payload, data: `data:${mime};base64,${payload.data.toString("base64")}` };
    }
    this.#send("BlockPreview", { payload: converted });
    return DONE;
  }

  #ask(action, fields) {
    return this.#worker.request({ type: "BlockRequest", job_id: this.jobId,
                                  session_id: this.sessionId, action, request_id: requestId(),
                                  ...fields });
  }

  queryBlock(block) {
    return this.#ask("QueryBlock", { block });
  }

  queryDownstream(handles) {
    return this.#ask("QueryDownstream", { handles: handles ?? null });
  }

  runBlock(block, { inputs = {}, additional_inputs_def, additional_outputs_def, strict = false } = {}) {
    const id = requestId();
    const handle = new RunBlockHandle(block, `${this.jobId}-${block}-${id.slice(0, 8)}`);
    const encoded = {};
    for (const [name, value] of Object.entries(inputs)) {
      encoded[name] = encodeOutput(value, { handle: name, def: null, job: this.#job });
    }
    this.#worker.watch(id, (event) => handle._event(event));
    handle.finish().finally(() => this.#worker.unwatch(id));
    this.#worker.request({
      type: "BlockRequest", job_id: this.jobId, session_id: this.sessionId, action: "RunBlock",
      block, block_job_id: handle.jobId, request_id: id, stacks: this.stacks, strict,
      payload: { inputs: encoded, additional_inputs_def: additional_inputs_def ?? null,
                 additional_outputs_def: additional_outputs_def ?? null },
    }).catch((error) => handle._event({ type: "BlockFinished", error: String(error.message ?? error) }));
    return handle;
  }
}

/** What runBlock returns: listeners for the started job's events and its end. */
class RunBlockHandle {
  constructor(block, jobId) {
    this.block = block;
    this.jobId = jobId;
    this.listeners = { output: [], progress: [], message: [], preview: [] };
    this.outputs = {};
    this.promise = new Promise((resolve) => { this.resolve = resolve; });
  }
  onOutput(cb) { this.listeners.output.push(cb); return this; }
  onProgress(cb) { this.listeners.progress.push(cb); return this; }
  onMessage(cb) { this.listeners.message.push(cb); return this; }
  onPreview(cb) { this.listeners.preview.push(cb); return this; }
  finish() { return this.promise; }
  /** Every output the job sent, merged, once it finished (its error thrown). */
  async joinOutputs() {
    const end = await this.promise;
    if (end.error) throw new Error(end.error);
    return { ...this.outputs, ...(end.result ?? {}) };
  }
  #emit(kind, value) {
    for (const cb of this.listeners[kind]) {
      try { cb(value); } catch (error) { console.error(error); }
    }
  }
  _event(event) {
    switch (event.type) {
      case "BlockOutput":
      case "SubflowBlockOutput": {
        const output = decodeValue(event.handle, event.output);
        this.outputs[event.handle] = output;
        this.#emit("output", { handle: event.handle, output });
        break;
      }
      case "BlockOutputs":
        for (const [handle, value] of Object.entries(event.outputs ?? {})) {
          const output = decodeValue(handle, value);
          this.outputs[handle] = output;
          this.#emit("output", { handle, output });
        }
        break;
      case "BlockProgress": this.#emit("progress", event.progress); break;
      case "BlockMessage": this.#emit("message", event.payload); break;
      case "BlockPreview": this.#emit("preview", event.payload); break;
      case "BlockFinished":
      case "SubflowBlockFinished": {
        const end = {};
        if (event.error) end.error = event.error;
        if (event.result) {
          end.result = {};
          for (const [handle, value] of Object.entries(event.result)) {
            try { end.result[handle] = decodeValue(handle, value); } catch { end.result[handle] = value; }
          }
        }
        this.resolve(end);
        break;
      }
      default: break;
    }
  }
}
