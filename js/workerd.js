// Cloudflare Workers (workerd): the .wasm import is a precompiled WebAssembly.Module; compiling from bytes at
// run time is forbidden there.
import wasmModule from './web/clerk_m2m_edge_bg.wasm';
// Named imports, so that a bundler drops the glue's unused async loader.
import { initSync, Client, version, wasmMemory } from './web/clerk_m2m_edge.js';
import { install } from './runtime.js';

initSync({ module: wasmModule });
install({ Client, version, wasmMemory });

export * from './api.js';
export * from './errors.js';
