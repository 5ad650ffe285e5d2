// The conformance CLI imports `globSync` from "fs" (Node 22+) for its tier-check only.
// On older Node every import of "fs" resolves to fs-shim.mjs, which adds a stub.
const SHIM = new URL("./fs-shim.mjs", import.meta.url).href;

export async function resolve(specifier, context, next) {
  if ((specifier === "fs" || specifier === "node:fs") && context.parentURL !== SHIM) {
    return { url: SHIM, shortCircuit: true };
  }
  return next(specifier, context);
}
