module.exports = function main(inputs, context) {
  for (const item of inputs.items) {
    context.output("item", item);
    context.output("length", inputs.items.length);
  }
};
