// Browsers, Deno, Bun and bundlers: fetch and instantiate the .wasm next to this file. A restart after a trap
// (runtime.js) instantiates the module compiled here again.
import { createGlue } from './web/clerk_m2m_edge.js';
import { install, trapped } from './runtime.js';

const glue = createGlue(trapped);
await glue.init({ module_or_path: new URL('./web/clerk_m2m_edge_bg.wasm', import.meta.url) });
install(glue, createGlue);

export * from './api.js';
export * from './errors.js';
