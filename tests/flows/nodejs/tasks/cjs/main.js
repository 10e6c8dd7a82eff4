// CommonJS, as older blocks are written.
const path = require("node:path");

function main(params, context) {
  return { upper: params.text.toUpperCase() + path.sep };
}

module.exports = main;
