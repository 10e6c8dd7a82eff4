export = (text: string): string => `${text.toUpperCase()}!`;
