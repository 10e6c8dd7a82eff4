module.exports = (text: string): string => `${text.toUpperCase()}!`;
