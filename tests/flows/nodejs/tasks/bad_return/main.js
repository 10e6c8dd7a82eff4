module.exports = { main: () => 42 };
