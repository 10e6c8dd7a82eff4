// `require("./x")` of a TypeScript file from CommonJS code (a `.js` block, or a `.ts` block
// written as CommonJS), which OOMOL's bundling of a block allows: CommonJS loading does not
// go through the module hooks, so it gets a `.ts` compiler of its own, loaded on first use.
import fs from "node:fs";
import path from "node:path";
import Module, { createRequire } from "node:module";
import { tsconfigText } from "./tsconfig.mjs";

/** esbuild, from the folder the engine named: where it is, or where it is installed
 * before the first TypeScript job (so a worker started before that can use it then). */
export function loadEsbuild(esbuildDir) {
  const manifest = esbuildDir ? path.join(esbuildDir, "package.json") : null;
  if (!manifest || !fs.existsSync(manifest)) {
    throw new Error("TypeScript blocks need esbuild, which is not installed: " +
      "run `oocana-local bootstrap --node-tools` once (it needs npm and the network)");
  }
  return createRequire(manifest)(esbuildDir);
}

export function requireTypeScript(esbuildDir) {
  let esbuild = null;
  function compile(module, file) {
    esbuild ??= loadEsbuild(esbuildDir);
    const options = {
      loader: file.endsWith(".tsx") ? "tsx" : "ts", format: "cjs", target: "node20",
      sourcemap: "inline", sourcefile: file,
    };
    const tsconfig = tsconfigText(file);
    const source = fs.readFileSync(file, "utf8");
    let out;
    try {
      out = esbuild.transformSync(source, tsconfig ? { ...options, tsconfigRaw: tsconfig } : options);
    } catch (error) {
      if (!tsconfig || !/tsconfig/i.test(String(error.message))) throw error;
      out = esbuild.transformSync(source, options);
    }
    module._compile(out.code, file);
  }
  for (const ext of [".ts", ".tsx", ".mts"]) Module._extensions[ext] ??= compile;
}
