// TypeScript written as CommonJS: `export =` and `import x = require(...)` (of a helper
// written with `export =` too).
import path = require("node:path");
import shout = require("./shout");

export = function (params: { text: string }) {
  return { out: shout(params.text) + path.sep, file: path.basename(__filename) };
};
