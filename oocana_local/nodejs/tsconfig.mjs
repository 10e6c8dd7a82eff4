// The nearest tsconfig.json of a block file, as esbuild reads it when it bundles a block:
// its text (handed to esbuild's transform for decorators, JSX and class fields) and its
// module mapping (`compilerOptions.paths` and `baseUrl`, following `extends`).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const texts = new Map();     // folder -> the text of the nearest tsconfig.json, or null
const mappings = new Map();  // folder -> {baseUrl, paths, pathsDir} of the nearest, or null

function nearest(dir) {
  // The path of the nearest tsconfig.json at or above `dir`, or null.
  for (;;) {
    const file = path.join(dir, "tsconfig.json");
    if (fs.existsSync(file)) return file;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** The text of the nearest tsconfig.json of `file`, or null. */
export function tsconfigText(file) {
  const dir = path.dirname(file);
  if (!texts.has(dir)) {
    const found = nearest(dir);
    let text = null;
    try { text = found && fs.readFileSync(found, "utf8"); } catch { /* unreadable: none */ }
    texts.set(dir, text);
  }
  return texts.get(dir);
}

/** JSON with comments and trailing commas (what tsconfig.json allows) as a value. */
function parseJsonc(text) {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else {
      out += c;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, "$1"));
}

function readMapping(file, seen) {
  // {baseUrl, paths, pathsDir} of one tsconfig file with what it extends under it.
  if (seen.has(file)) return {};
  seen.add(file);
  let json;
  try {
    json = parseJsonc(fs.readFileSync(file, "utf8"));
  } catch {
    return {};  // esbuild warns and goes on without it; so do we
  }
  const dir = path.dirname(file);
  let merged = {};
  const bases = Array.isArray(json.extends) ? json.extends : json.extends ? [json.extends] : [];
  for (const base of bases) {
    const found = extendsFile(String(base), dir);
    if (found) merged = { ...merged, ...definedOf(readMapping(found, seen)) };
  }
  const options = json.compilerOptions ?? {};
  if (typeof options.baseUrl === "string") merged.baseUrl = path.resolve(dir, options.baseUrl);
  if (options.paths && typeof options.paths === "object") {
    merged.paths = options.paths;
    merged.pathsDir = dir;  // without baseUrl, paths are relative to their own tsconfig
  }
  return merged;
}

function definedOf(mapping) {
  return Object.fromEntries(Object.entries(mapping).filter(([, v]) => v !== undefined));
}

function extendsFile(name, dir) {
  if (name.startsWith(".") || path.isAbsolute(name)) {
    const file = path.resolve(dir, name);
    for (const candidate of [file, `${file}.json`, path.join(file, "tsconfig.json")]) {
      try { if (fs.statSync(candidate).isFile()) return candidate; } catch { /* next */ }
    }
    return null;
  }
  const require = createRequire(path.join(dir, "tsconfig.json"));
  for (const candidate of [name, `${name}.json`, `${name}/tsconfig.json`]) {
    try { return require.resolve(candidate); } catch { /* next */ }
  }
  return null;
}

/** The module mapping that applies to `file`: {baseUrl, paths, pathsDir}, or null. */
export function mappingOf(file) {
  const dir = path.dirname(file);
  if (!mappings.has(dir)) {
    const found = nearest(dir);
    const mapping = found ? readMapping(found, new Set()) : {};
    mappings.set(dir, mapping.baseUrl || mapping.paths ? mapping : null);
  }
  return mappings.get(dir);
}

/** The candidate paths of `specifier` under `paths` (TypeScript's rule: an exact key, else
 * the pattern with the longest prefix before its `*`), in the order to try them. */
export function pathCandidates(specifier, mapping) {
  const { paths } = mapping;
  if (!paths) return [];
  const base = mapping.baseUrl ?? mapping.pathsDir;
  let best = null;
  let star = "";
  for (const key of Object.keys(paths)) {
    const at = key.indexOf("*");
    if (at < 0) {
      if (key === specifier) { best = key; star = ""; break; }
      continue;
    }
    const prefix = key.slice(0, at);
    const suffix = key.slice(at + 1);
    if (specifier.length >= prefix.length + suffix.length && specifier.startsWith(prefix) &&
        specifier.endsWith(suffix) && (best === null || prefix.length > best.indexOf("*"))) {
      best = key;
      star = specifier.slice(prefix.length, specifier.length - suffix.length);
    }
  }
  if (best === null || !Array.isArray(paths[best])) return [];
  return paths[best].map((target) => path.resolve(base, String(target).replace("*", star)));
}
