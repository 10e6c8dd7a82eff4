// ESM syntax in a .js file without "type": "module" anywhere above it.
export function shout(params) {
  return { out: `${params.text}!` };
}

export default function () {
  throw new Error("the named function must be called, not default");
}
