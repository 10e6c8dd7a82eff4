// A warm Node.js worker of oocana-local: runs the jobs the engine sends, several at once,
// and reports what they say over the socket given as `--fd N` (see channel.mjs).
import fs from "node:fs";
import path from "node:path";
import v8 from "node:v8";
import { register, createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Channel } from "./channel.mjs";
import { installCapture, flushLogs, jobStorage } from "./capture.mjs";
import { installChildOutput } from "./children.mjs";
import { requireTypeScript } from "./require_ts.mjs";
import { Context, KEEP_ALIVE } from "./context.mjs";
import { openInspector, waitForClient } from "./debug.mjs";
import { saveCoverage } from "./coverage.mjs";
import { decodeInputs, InputError, store } from "./values.mjs";
import { serviceFunction, ServiceError } from "./service.mjs";

// Optimize the per-job path after an eighth of V8's default budget: otherwise a warm worker
// runs its first thousand or so jobs partly in the unoptimized tiers. Unknown to a V8
// that has no such flag, so then ignored.
v8.setFlagsFromString("--interrupt-budget=8192");

const fd = Number(process.argv[process.argv.indexOf("--fd") + 1]);
const esbuildDir = process.env.OOCANA_LOCAL_ESBUILD || null;
register("./hooks.mjs", import.meta.url, { data: { esbuild: esbuildDir } });
requireTypeScript(esbuildDir);

const require = createRequire(import.meta.url);
const pending = new Map();   // request id -> {resolve, reject}
const watchers = new Map();  // run_block request id -> event callback
const versions = new Map();  // entry file -> {version, fns: function name -> function}
const written = new Map();   // scriptlet file -> the source this worker wrote there
let leaving = false;

const channel = new Channel(fd, onMessage);
const send = (message) => {
  if (message.type === "BlockFinished") saveCoverage();  // before the engine may stop us
  return channel.send(message);
};
const worker = {
  send,
  flushLogs: (jobId) => flushLogs(jobId, null, send),
  request(message) {
    return new Promise((resolve, reject) => {
      pending.set(message.request_id, { resolve, reject });
      send(message);
    });
  },
  watch(id, callback) { watchers.set(id, callback); },
  unwatch(id) { watchers.delete(id); },
};
installCapture(send);
installChildOutput();

function lastWords(text) {
  try { fs.writeSync(2, `${text}\n`); } catch { /* stderr is gone too */ }
}

process.on("uncaughtException", (error) => {
  lastWords(`uncaught exception in a Node.js block: ${cleanStack(error)}`);
  leaving = true;
  process.exit(70);
});
process.on("unhandledRejection", (reason) => {
  lastWords(`unhandled promise rejection in a Node.js block: ${cleanStack(reason)}`);
  leaving = true;
  process.exit(70);
});
process.on("exit", (code) => {
  if (!leaving) lastWords(`a block called process.exit(${code})`);
});

function onMessage(message) {
  switch (message.type) {
    case "run": runJob(message.job); break;
    case "response": {
      const waiter = pending.get(message.request_id);
      if (!waiter) break;
      pending.delete(message.request_id);
      if (message.error !== undefined && message.error !== null) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
      break;
    }
    case "run_block_event": watchers.get(message.request_id)?.(message.event); break;
    case "free": for (const key of message.keys ?? []) store.delete(key); break;
    case "shutdown": leaving = true; process.exit(0); break;
    default: break;
  }
}

const OWN = path.dirname(fileURLToPath(import.meta.url));

/** The stack from the block's own frames: without this worker's frames or version tags. */
function cleanStack(error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" || error?.code === "MODULE_NOT_FOUND") {
    return String(error.message).split("\nRequire stack:")[0];
  }
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  return text.replace(/\?v=[0-9a-z.-]+/g, "").split("\n")
    .filter((line) => !(line.trimStart().startsWith("at ") && line.includes(OWN))).join("\n");
}

class LoadError extends Error {}

function ensureDirs(job) {
  for (const key of ["session_dir", "tmp_dir", "tmp_pkg_dir", "pkg_dir"]) {
    if (job[key] && !fs.existsSync(job[key])) fs.mkdirSync(job[key], { recursive: true });
  }
}

function scriptletFile(job) {
  const safe = String(job.node_id ?? job.job_id).replace(/[^A-Za-z0-9_.-]/g, "_");
  const file = path.join(job.dir, ".scriptlets", `${safe}.ts`);
  if (written.get(file) !== job.source) {
    let current = null;
    try { current = fs.readFileSync(file, "utf8"); } catch { /* not written yet */ }
    if (current !== job.source) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, job.source);
    }
    written.set(file, job.source);
  }
  return file;
}

const CODE = /\.(ts|mts|tsx|js|mjs|cjs)$/;

const listings = new Map();  // folder -> {mtime, names of its code files}

/** The code files of a folder, listed again only when the folder changed. */
function codeFiles(dir) {
  const mtime = fs.statSync(dir).mtimeMs;
  let known = listings.get(dir);
  if (known?.mtime !== mtime) {
    known = { mtime, names: fs.readdirSync(dir).filter((name) => CODE.test(name)) };
    listings.set(dir, known);
  }
  return known.names;
}

/** A stamp that changes when the entry or a code file beside it changes. */
function versionOf(file) {
  const dir = path.dirname(file);
  let stamp = 0;
  for (const name of codeFiles(dir)) {
    try {
      const stat = fs.statSync(path.join(dir, name));
      stamp = Math.max(stamp, stat.mtimeMs) + stat.size / 1e9;
    } catch { /* removed meanwhile */ }
  }
  return Math.round(stamp * 1000).toString(36);
}

function forgetCommonJS(dir) {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(dir) && !key.includes(`${path.sep}node_modules${path.sep}`)) delete require.cache[key];
  }
}

/** The block's function: at once while no code file changed since it was imported (no
 * promise, no round trip to the module hooks' thread), else a promise of it. */
function loadFunction(job) {
  const file = job.source != null ? scriptletFile(job) : path.resolve(job.dir, job.entry ?? "index.ts");
  if (!fs.existsSync(file)) throw new LoadError(`entry file not found: ${file}`);
  const version = versionOf(file);
  const wanted = job.function || null;
  const before = versions.get(file);
  if (before?.version === version && before.fns.has(wanted)) return before.fns.get(wanted);
  return importFunction(file, version, wanted, before);
}

async function importFunction(file, version, wanted, before) {
  if (before !== undefined && before.version !== version) forgetCommonJS(path.dirname(file));
  const mod = await import(`${pathToFileURL(file).href}?v=${version}`);
  const inner = mod.default;
  let fn;
  if (wanted) {
    fn = mod[wanted] ?? inner?.[wanted];
  } else {
    fn = typeof inner === "function" ? inner : (mod.main ?? inner?.default ?? inner?.main);
  }
  if (typeof fn !== "function") {
    const name = wanted ?? "default export (or main)";
    throw new LoadError(`${file}: no function ${wanted ? `'${wanted}'` : name} found ` +
      `(exports: ${Object.keys(mod).join(", ") || "none"})`);
  }
  const known = before?.version === version ? before : { version, fns: new Map() };
  known.fns.set(wanted, fn);
  versions.set(file, known);
  return fn;
}

function setEnv(key, value) {
  if (process.env[key] !== value) process.env[key] = value;  // a write costs a setenv
}

async function runJob(job) {
  waitForClient();
  const context = { jobId: job.job_id, sessionId: job.session_id };
  await jobStorage.run(context, async () => {
    let ctx = null;
    try {
      for (const [key, value] of Object.entries(job.env ?? {})) setEnv(key, String(value));
      if (job.pkg_dir) setEnv("OOCANA_PKG_DIR", job.pkg_dir);
      ensureDirs(job);
      const inputs = decodeInputs(job.inputs);
      ctx = new Context(job, inputs, worker);
      // Each await is a promise the job storage's hooks follow: none where nothing waits.
      let fn = job.service ? serviceFunction(job, loadFunction) : loadFunction(job);
      if (typeof fn !== "function") fn = await fn;
      let returned = fn(inputs, ctx);
      if (typeof returned?.then === "function") returned = await returned;
      if (returned === KEEP_ALIVE || returned === ctx.keepAlive) return;
      if (returned === undefined) ctx._end({});
      else if (returned !== null && typeof returned === "object" && !Array.isArray(returned)) {
        ctx._end({ result: returned });
      } else if (!ctx._end({ error: `return value must be an object, got ${returned === null ? "null" : Array.isArray(returned) ? "an array" : typeof returned}` })) {
        ctx.warning("finish() was called again; ignored");
      }
    } catch (error) {
      const plain = error instanceof LoadError || error instanceof InputError || error instanceof ServiceError;
      const text = plain ? error.message : cleanStack(error);
      if (ctx === null) ctx = new Context(job, {}, worker);
      if (!ctx._end({ error: text })) ctx.error(text);
    }
  });
}

openInspector();
send({ type: "ready", pid: process.pid });
