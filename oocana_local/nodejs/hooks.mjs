// Module hooks (module.register) that let Node 20 load what OOMOL block authors write:
// TypeScript files (compiled by esbuild, once per file version), extensionless and
// `.js`-named relative imports of `.ts` files, `~/...` imports (the package root), and
// `@oomol/types/*` (types only; an empty module when it is not installed).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const TS = /\.(ts|mts|tsx)$/;
const TRY = [".ts", ".tsx", ".mts", ".js", ".mjs", ".cjs", "/index.ts", "/index.js"];
let esbuildDir = null;
let esbuild = null;

export async function initialize(data) {
  esbuildDir = data?.esbuild ?? null;
}

async function compiler() {
  if (esbuild) return esbuild;
  if (!esbuildDir) {
    throw new Error("TypeScript blocks need esbuild, which is not installed: " +
      "run `oocana-local bootstrap --node-tools` once (it needs npm and the network)");
  }
  const require = createRequire(path.join(esbuildDir, "package.json"));
  esbuild = require(esbuildDir);
  return esbuild;
}

function splitQuery(url) {
  const at = url.search(/[?#]/);
  return at < 0 ? [url, ""] : [url.slice(0, at), url.slice(at)];
}

function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function packageRoot(from) {
  // The folder of the nearest package.oo.yaml (else tsconfig.json, else package.json).
  let dir = path.dirname(from);
  let fallback = null;
  for (;;) {
    if (fs.existsSync(path.join(dir, "package.oo.yaml"))) return dir;
    if (!fallback && (fs.existsSync(path.join(dir, "tsconfig.json")) ||
                      fs.existsSync(path.join(dir, "package.json")))) fallback = dir;
    const up = path.dirname(dir);
    if (up === dir) return fallback ?? path.dirname(from);
    dir = up;
  }
}

function findFile(base) {
  if (isFile(base)) return base;
  if (/\.(m|c)?js$/.test(base)) {  // TypeScript's convention: import "./x.js" means x.ts
    const ts = base.replace(/\.(m|c)?js$/, (m) => (m === ".mjs" ? ".mts" : ".ts"));
    if (isFile(ts)) return ts;
  }
  for (const ext of TRY) if (isFile(base + ext)) return base + ext;
  return null;
}

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  const parentFile = parent?.startsWith("file:") ? fileURLToPath(splitQuery(parent)[0]) : null;
  const query = parent ? splitQuery(parent)[1] : "";
  let target = null;
  if (parentFile && specifier.startsWith("~/")) {
    target = path.join(packageRoot(parentFile), specifier.slice(2));
  } else if (parentFile && TS.test(parentFile) &&
             (specifier.startsWith("./") || specifier.startsWith("../"))) {
    target = path.resolve(path.dirname(parentFile), specifier);
  }
  if (target !== null) {
    const file = findFile(target);
    if (file) {
      // A file of the block's own (not an npm package) shares its importer's version.
      const keep = query && !file.includes(`${path.sep}node_modules${path.sep}`);
      return { url: pathToFileURL(file).href + (keep ? query : ""), shortCircuit: true };
    }
  }
  try {
    const resolved = await next(specifier, context);
    if (query && resolved.url.startsWith("file:") && !resolved.url.includes("/node_modules/") &&
        (specifier.startsWith("./") || specifier.startsWith("../")) && !resolved.url.includes("?")) {
      return { ...resolved, url: resolved.url + query };
    }
    return resolved;
  } catch (error) {
    if (specifier === "@oomol/types" || specifier.startsWith("@oomol/types/")) {
      return { url: "data:text/javascript,export{}", shortCircuit: true };
    }
    throw error;
  }
}

const tsconfigs = new Map();  // folder -> the text of the nearest tsconfig.json, or null

function tsconfigOf(file) {
  const dir = path.dirname(file);
  if (tsconfigs.has(dir)) return tsconfigs.get(dir);
  let text = null;
  try {
    text = fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8");
  } catch {
    const up = path.dirname(dir);
    text = up === dir ? null : tsconfigOf(path.join(up, "x.ts"));
  }
  tsconfigs.set(dir, text);
  return text;
}

export async function load(url, context, next) {
  const [bare] = splitQuery(url);
  if (bare.startsWith("file:") && TS.test(bare)) {
    const file = fileURLToPath(bare);
    const source = fs.readFileSync(file, "utf8");
    const { transform } = await compiler();
    const options = {
      loader: file.endsWith(".tsx") ? "tsx" : "ts", format: "esm", target: "node20",
      sourcemap: "inline", sourcefile: file,
    };
    const tsconfig = tsconfigOf(file);  // decorators, JSX and class field settings
    let out;
    try {
      out = await transform(source, tsconfig ? { ...options, tsconfigRaw: tsconfig } : options);
    } catch (error) {
      if (!tsconfig || !/tsconfig/i.test(String(error.message))) throw error;
      out = await transform(source, options);  // a tsconfig.json esbuild cannot read
    }
    return { format: "module", source: out.code, shortCircuit: true };
  }
  return next(url, context);
}
