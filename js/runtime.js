// Holds the initialised WASM module for api.js; each entry installs it once before anything else runs.
let module;

export function install(wasmModule) {
  module = wasmModule;
}

export function wasm() {
  return module;
}
