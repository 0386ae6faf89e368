// Browsers, Deno, Bun and bundlers: fetch and instantiate the .wasm next to this file.
import init, { Client, version, wasmMemory } from './web/clerk_m2m_edge.js';
import { install } from './runtime.js';

await init({ module_or_path: new URL('./web/clerk_m2m_edge_bg.wasm', import.meta.url) });
install({ Client, version, wasmMemory });

export * from './api.js';
export * from './errors.js';
