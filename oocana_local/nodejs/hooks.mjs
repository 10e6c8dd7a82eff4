// Module hooks (module.register) that let Node 20 load what OOMOL block authors write:
// TypeScript files (compiled by esbuild, once per file version, CommonJS ones too), and
// the imports esbuild resolves when OOMOL bundles a block: extensionless, directory and
// `.js`-named relative imports of `.ts` files, tsconfig `paths` and `baseUrl`, subpaths of
// CommonJS packages ("dayjs/plugin/utc"); plus `~/...` imports (the package root) and
// `@oomol/types/*` (types only; an empty module when it is not installed).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadEsbuild } from "./require_ts.mjs";
import { mappingOf, pathCandidates, tsconfigText } from "./tsconfig.mjs";

const TS = /\.(ts|mts|tsx)$/;
const TRY = [".ts", ".tsx", ".mts", ".js", ".mjs", ".cjs", "/index.ts", "/index.tsx", "/index.js",
  "/index.mjs"];
let esbuildDir = null;
let esbuild = null;

export async function initialize(data) {
  esbuildDir = data?.esbuild ?? null;
}

async function compiler() {
  esbuild ??= loadEsbuild(esbuildDir);
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

const RELATIVE = /^\.{1,2}(\/|$)/;
const inPackages = (file) => file.includes(`${path.sep}node_modules${path.sep}`);
const isBare = (specifier) => !RELATIVE.test(specifier) && !specifier.startsWith("/") &&
  !/^[a-z][a-z0-9+.-]*:/i.test(specifier);

function mapped(specifier, parentFile) {
  // tsconfig `paths`, then a file under `baseUrl`, come before a package of the same
  // name, as in esbuild.
  const mapping = mappingOf(parentFile);
  if (!mapping) return null;
  for (const candidate of pathCandidates(specifier, mapping)) {
    const file = findFile(candidate);
    if (file) return file;
  }
  return mapping.baseUrl ? findFile(path.join(mapping.baseUrl, specifier)) : null;
}

function fallback(specifier, parentFile) {
  // What Node's ESM resolution does not find but esbuild's (OOMOL's) does: extensionless
  // and directory imports, and subpaths of CommonJS packages without `exports`
  // ("dayjs/plugin/utc", "lodash/fp"): CommonJS resolution finds those.
  if (RELATIVE.test(specifier) || specifier.startsWith("/") || specifier.startsWith("file:")) {
    const target = specifier.startsWith("file:") ? fileURLToPath(specifier)
      : path.resolve(path.dirname(parentFile), specifier);
    const file = findFile(target);
    if (file) return file;
  }
  try {
    const found = createRequire(parentFile).resolve(specifier);
    return path.isAbsolute(found) ? found : null;  // else a builtin, which Node found
  } catch {
    return null;
  }
}

function fileUrl(file, query) {
  // A file of the block's own (not an npm package) shares its importer's version.
  return { url: pathToFileURL(file).href + (query && !inPackages(file) ? query : ""),
           shortCircuit: true };
}

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  const parentFile = parent?.startsWith("file:") ? fileURLToPath(splitQuery(parent)[0]) : null;
  const query = parent ? splitQuery(parent)[1] : "";
  let target = null;
  if (parentFile && specifier.startsWith("~/")) {
    target = path.join(packageRoot(parentFile), specifier.slice(2));
  } else if (parentFile && TS.test(parentFile) && RELATIVE.test(specifier)) {
    target = path.resolve(path.dirname(parentFile), specifier);
  } else if (parentFile && isBare(specifier) && !inPackages(parentFile)) {
    const file = mapped(specifier, parentFile);
    if (file) return fileUrl(file, query);
  }
  if (target !== null) {
    const file = findFile(target);
    if (file) return fileUrl(file, query);
  }
  try {
    const resolved = await next(specifier, context);
    if (query && resolved.url.startsWith("file:") && !resolved.url.includes("/node_modules/") &&
        RELATIVE.test(specifier) && !resolved.url.includes("?")) {
      return { ...resolved, url: resolved.url + query };
    }
    return resolved;
  } catch (error) {
    if (specifier === "@oomol/types" || specifier.startsWith("@oomol/types/")) {
      return { url: "data:text/javascript,export{}", shortCircuit: true };
    }
    const missing = error?.code === "ERR_MODULE_NOT_FOUND" ||
      error?.code === "ERR_UNSUPPORTED_DIR_IMPORT";
    const file = missing && parentFile ? fallback(specifier, parentFile) : null;
    if (file) return fileUrl(file, query);
    throw error;
  }
}

// esbuild turns a TypeScript file written as CommonJS (`export =`, `module.exports =`) into
// a module whose default export is its `module.exports`, as OOMOL's bundling does; such a
// file also gets the `require`, `__filename` and `__dirname` CommonJS code expects (one
// line in front, so the source map's lines stay right).
const WRAPPED = /\nexport default require_[\w$]+\(\);\n/;

function commonJS(code, file) {
  if (!WRAPPED.test(code)) return code;
  return `import { createRequire as __ooRequire } from "node:module"; ` +
    `const require = __ooRequire(${JSON.stringify(file)}), __filename = ${JSON.stringify(file)}, ` +
    `__dirname = ${JSON.stringify(path.dirname(file))}; ${code}`;
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
    const tsconfig = tsconfigText(file);  // decorators, JSX and class field settings
    let out;
    try {
      out = await transform(source, tsconfig ? { ...options, tsconfigRaw: tsconfig } : options);
    } catch (error) {
      if (!tsconfig || !/tsconfig/i.test(String(error.message))) throw error;
      out = await transform(source, options);  // a tsconfig.json esbuild cannot read
    }
    return { format: "module", source: commonJS(out.code, file), shortCircuit: true };
  }
  return next(url, context);
}
