export const label = (text) => `UTC ${text}`;
