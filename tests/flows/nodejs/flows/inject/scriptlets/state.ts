// Module state both scriptlets import: one copy per Node process.
export const state: { word: string | null } = { word: null };
