// Cloudflare Workers (workerd): the .wasm import is a precompiled WebAssembly.Module; compiling from bytes at
// run time is forbidden there, instantiating it again (a restart after a trap, runtime.js) is not.
import wasmModule from './web/clerk_m2m_edge_bg.wasm';
import { createGlue } from './web/clerk_m2m_edge.js';
import { install, trapped } from './runtime.js';

const glue = createGlue(trapped);
glue.initSync({ module: wasmModule });
install(glue, createGlue);

export * from './api.js';
export * from './errors.js';
