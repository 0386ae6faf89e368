// Node: scripts/build bundles this file into node.cjs, so that `require` and `import` share one instance.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSync, Client, version, wasmMemory } from './web/clerk_m2m_edge.js';
import { install } from './runtime.js';

// __dirname exists in the CommonJS bundle this file becomes.
initSync({ module: readFileSync(join(__dirname, 'web', 'clerk_m2m_edge_bg.wasm')) });
install({ Client, version, wasmMemory });

export * from './api.js';
export * from './errors.js';
