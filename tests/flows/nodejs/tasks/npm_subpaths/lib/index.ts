export const label = (text: string): string => `UTC ${text}`;
