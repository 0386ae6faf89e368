// Node: scripts/build bundles this file into node.cjs, so that `require` and `import` share one instance.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGlue } from './web/clerk_m2m_edge.js';
import { install, trapped } from './runtime.js';

// __dirname exists in the CommonJS bundle this file becomes. The module is compiled once: a restart after a trap
// (runtime.js) instantiates it again.
const glue = createGlue(trapped);
glue.initSync({ module: new WebAssembly.Module(readFileSync(join(__dirname, 'web', 'clerk_m2m_edge_bg.wasm'))) });
install(glue, createGlue);

export * from './api.js';
export * from './errors.js';
