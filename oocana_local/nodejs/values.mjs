// Values between the engine and a Node block: JSON inline, `oomol/bin` as Buffer, anything
// else kept in this worker's store and sent as an `oomol/var` reference.
import fs from "node:fs";
import path from "node:path";

const VAR = "oomol/var";
const BIN = "oomol/bin";

export const store = new Map();
let counter = 0;

function mediaType(def) {
  const schema = def?.json_schema;
  return schema && typeof schema === "object" ? schema.contentMediaType : undefined;
}

/** Whether JSON.stringify keeps the value as it is (plain objects, arrays, primitives). */
export function isJSON(value, depth = 0) {
  if (value === null) return true;
  const t = typeof value;
  if (t === "string" || t === "boolean" || t === "number") return true;
  if (t !== "object" || depth > 200) return false;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item !== "number" && !isJSON(item, depth + 1)) return false;  // numbers inline
    }
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value instanceof Date;
  for (const key in value) {
    const item = value[key];
    if (item !== undefined && !isJSON(item, depth + 1)) return false;
  }
  return true;
}

export function isVarRef(value) {
  return value !== null && typeof value === "object" && value.__OOMOL_TYPE__ === VAR &&
    value.value && typeof value.value === "object";
}

export function encodeOutput(value, { handle, def, job, warn }) {
  const type = mediaType(def);
  if (type === BIN && (Buffer.isBuffer(value) || value instanceof Uint8Array)) {
    const folder = path.join(job.session_dir, "binary", job.session_id, job.job_id);
    fs.mkdirSync(folder, { recursive: true });
    const file = path.join(folder, handle);
    fs.writeFileSync(file, value);
    return { __OOMOL_TYPE__: BIN, value: file };
  }
  if (type === BIN && value !== null && value !== undefined && typeof value !== "string") {
    warn?.(`output '${handle}' is an oomol/bin handle but the value is not a Buffer; sent as it is`);
  }
  const primitive = value === null || value === undefined || typeof value !== "object";
  if (value === undefined) return null;
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint" ||
      (!primitive && (type === VAR || !isJSON(value)))) {
    const key = `${job.job_id}:${handle}:${++counter}`;
    store.set(key, value);
    return {
      __OOMOL_TYPE__: VAR,
      value: { executor: "nodejs", handle, job_id: job.job_id, session_id: job.session_id, key },
      serialize_path: null,
    };
  }
  return value;
}

export function decodeValue(name, value) {
  if (value === null || typeof value !== "object") return value;
  if (value.__OOMOL_TYPE__ === BIN && typeof value.value === "string") {
    try {
      return fs.readFileSync(value.value);
    } catch (error) {
      throw new InputError(`input '${name}': cannot read its oomol/bin file ${value.value}: ${error.message}`);
    }
  }
  if (isVarRef(value)) {
    const { executor, key } = value.value;
    if (executor && executor !== "nodejs") {
      throw new InputError(`input '${name}' is a ${executor} value (oomol/var) that cannot be ` +
        "sent to a Node.js block; give it a JSON-serializable value instead");
    }
    if (!store.has(key)) {
      throw new InputError(`input '${name}': its value is no longer held by this Node.js worker`);
    }
    return store.get(key);
  }
  return value;
}

export class InputError extends Error {}

export function decodeInputs(inputs) {
  const out = {};
  for (const [name, value] of Object.entries(inputs ?? {})) out[name] = decodeValue(name, value);
  return out;
}
