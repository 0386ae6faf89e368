// Cloudflare Workers (workerd): the .wasm import is a precompiled WebAssembly.Module; compiling from bytes at
// run time is forbidden there.
import wasmModule from './web/clerk_m2m_edge_bg.wasm';
import * as glue from './web/clerk_m2m_edge.js';
import { install } from './runtime.js';

glue.initSync({ module: wasmModule });
install(glue);

export * from './api.js';
export * from './errors.js';
