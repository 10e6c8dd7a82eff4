module.exports = function main(inputs) {
  return { y: inputs.x * 3 };
};
