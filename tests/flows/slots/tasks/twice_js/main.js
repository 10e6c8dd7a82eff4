module.exports = function main(inputs) {
  return { item: inputs.item * 2 };
};
