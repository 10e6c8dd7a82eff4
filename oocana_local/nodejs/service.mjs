// The Node.js side of a service block (see executor/services.py): the service's
// `function(service)` runs once per worker, then each call runs the handler of its block.
// Calls are async and run concurrently, as in oocana-node.

/** What a service's function receives (oocana-node's ServiceContext). It sets
 * `blockHandler` (or `block_handler`): an object or Map of block name ->
 * `async (inputs, context)`, or one `async (blockName, inputs, context)`. */
export class ServiceContext {
  constructor(info) {
    this.name = info.name;
    this.dir = info.dir;
    this.blockHandler = undefined;
  }
  get block_handler() { return this.blockHandler; }
  set block_handler(value) { this.blockHandler = value; }
}

/** A setup problem of the service: its message is the whole error (no stack). */
export class ServiceError extends Error {}

const started = new Map();  // dir, entry, function -> Promise<ServiceContext>

function start(job, info, loadFunction) {
  const key = `${info.dir}\0${info.entry}\0${info.function ?? ""}`;
  let starting = started.get(key);
  if (starting === undefined) {
    starting = (async () => {
      const fn = await loadFunction({ ...job, entry: info.entry, function: info.function || null, source: null });
      const service = new ServiceContext(info);
      await fn(service);
      if (service.blockHandler === undefined || service.blockHandler === null) {
        throw new ServiceError(`service '${info.name}': ${info.function || "its function"}(service) ` +
          "did not set service.blockHandler (an object of block name -> async (inputs, context), " +
          "or one async (blockName, inputs, context))");
      }
      return service;
    })();
    started.set(key, starting);
    // A start that failed is tried again by the next call.
    starting.catch(() => { if (started.get(key) === starting) started.delete(key); });
  }
  return starting;
}

/** The function that runs this call: `(inputs, context) => ...`. */
export async function serviceFunction(job, loadFunction) {
  const info = job.service;
  const service = await start(job, info, loadFunction);
  const block = info.block;
  if (block === null || block === undefined) return () => undefined;  // start_at: only start
  const handler = service.blockHandler;
  if (typeof handler === "function") return (inputs, context) => handler(block, inputs, context);
  if (typeof handler !== "object") {
    throw new ServiceError(`service '${info.name}': blockHandler must be an object or a function, ` +
      `not ${typeof handler}`);
  }
  const fn = handler instanceof Map ? handler.get(block) : handler[block];
  if (fn === undefined) {
    const names = handler instanceof Map ? [...handler.keys()] : Object.keys(handler);
    throw new ServiceError(`service '${info.name}' has no handler for block '${block}'; its ` +
      `blockHandler has: ${names.join(", ") || "nothing"}`);
  }
  if (typeof fn !== "function") {
    throw new ServiceError(`service '${info.name}': the handler of block '${block}' is not a function`);
  }
  return fn;
}
