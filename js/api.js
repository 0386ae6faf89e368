// The public API. Entries (index.js, workerd.js, node-entry.js) differ only in how they load the WASM module.
import { wasm } from './runtime.js';

/** The package version, read from the WASM module (proves the module is loaded and callable). */
export function version() {
  return wasm().version();
}
