// Output of a block's child processes reaches the job that started them. A child that
// inherits stdout/stderr writes to the worker's own fds, which every job on the worker
// shares, so nothing could tell whose output it is. Within a job, `spawn`, `fork`,
// `spawnSync`, `execSync` and `execFileSync` therefore give the child a pipe (or, when
// sync, a file) wherever stdout or stderr would be inherited (asked for, or `fork`'s
// default), and what comes through is written as the job's own output, which capture.mjs
// makes that job's log lines. The block still sees what inheriting gives it: no
// `child.stdout` stream, no output in a sync result. An async child's lines arrive as it
// prints them; a sync child's when it ends (its stdout first, then its stderr).
import childProcess from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { syncBuiltinESMExports } from "node:module";
import { jobStorage } from "./capture.mjs";

const NAMES = { 1: "stdout", 2: "stderr" };

function stdioArray(stdio, fallback, isFork = false) {
  const value = stdio ?? fallback;
  if (typeof value !== "string") return [...value];
  return isFork ? [value, value, value, "ipc"] : [value, value, value];  // as fork does
}

/** Puts a pipe in place of each inherited stdout/stderr; returns the fds it changed. */
function redirect(stdio) {
  const piped = [];
  for (const fd of [1, 2]) {
    const entry = stdio[fd];
    if (entry === "inherit" || entry === fd || entry === process[NAMES[fd]]) {
      stdio[fd] = "pipe";
      piped.push(fd);
    }
  }
  return piped;
}

/** [args, options] of a (file, args?, options?) call; options copied so they can change. */
function split(rest) {
  if (Array.isArray(rest[0]) || (rest[0] == null && rest.length > 1)) {
    return [[rest[0]], { ...(rest[1] ?? {}) }];
  }
  return [[], { ...(rest[0] ?? {}) }];
}

function hide(child, piped) {
  for (const fd of piped) {
    child[NAMES[fd]] = null;
    if (child.stdio) child.stdio[fd] = null;
  }
}

function streamTo(job, child, piped) {
  for (const fd of piped) {
    const stream = child.stdio?.[fd];
    if (!stream) continue;
    stream.setEncoding("utf8");  // a character cut in two between chunks stays whole
    stream.on("data", (text) => jobStorage.run(job, () => process[NAMES[fd]].write(text)));
  }
  hide(child, piped);
}

function asyncWrapper(original, defaultStdio, isFork = false) {
  return function (command, ...rest) {
    const job = jobStorage.getStore();
    if (!job) return original.call(this, command, ...rest);
    const [args, options] = split(rest);
    if (isFork && options.silent && !options.stdio) return original.call(this, command, ...rest);
    const stdio = stdioArray(options.stdio, defaultStdio, isFork);
    const piped = redirect(stdio);
    if (!piped.length) return original.call(this, command, ...rest);
    const child = original.call(this, command, ...args, { ...options, stdio });
    streamTo(job, child, piped);
    return child;
  };
}

function syncWrapper(original, hasArgs) {
  // A sync child writes its inherited stdout/stderr into a file instead, read when it
  // ends: the result (and a thrown error) carry no output, as with inherited stdio.
  return function (command, ...rest) {
    if (!jobStorage.getStore()) return original.call(this, command, ...rest);
    const [args, options] = hasArgs ? split(rest) : [[], { ...(rest[0] ?? {}) }];
    const stdio = stdioArray(options.stdio, "pipe");
    const piped = redirect(stdio);
    if (!piped.length) return original.call(this, command, ...rest);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oocana-child-"));
    const files = {};
    try {
      for (const fd of piped) {
        files[fd] = path.join(dir, NAMES[fd]);
        stdio[fd] = fs.openSync(files[fd], "w");
      }
      return original.call(this, command, ...args, { ...options, stdio });
    } finally {
      for (const fd of piped) {
        if (typeof stdio[fd] !== "number") continue;  // not opened
        fs.closeSync(stdio[fd]);
        const text = fs.readFileSync(files[fd], "utf8");
        if (text) process[NAMES[fd]].write(text);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

export function installChildOutput() {
  const wrapped = {
    spawn: asyncWrapper(childProcess.spawn, "pipe"),
    fork: asyncWrapper(childProcess.fork, ["inherit", "inherit", "inherit", "ipc"], true),
    // (With no `stdio`, execSync and execFileSync write the child's stderr through
    // process.stderr themselves, which capture.mjs already gives to the job.)
    spawnSync: syncWrapper(childProcess.spawnSync, true),
    execSync: syncWrapper(childProcess.execSync, false),
    execFileSync: syncWrapper(childProcess.execFileSync, true),
  };
  Object.assign(childProcess, wrapped);
  syncBuiltinESMExports();  // `import { spawn } from "node:child_process"` sees them too
}
