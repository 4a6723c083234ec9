// Module customization hook (node:module register) for test/helpers/loaded-packages.ts: posts
// the URL of every module resolved through the ES module loader to the port the test gave it.
let port;

export function initialize(data) {
  port = data.port;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  port.postMessage(resolved.url);
  return resolved;
}
