// The wasm-opt level scripts/build ships with (set once, in scripts/env.sh), so that names-kept rebuilds of the
// shipped .wasm are optimised the same way.
import { readFileSync } from 'node:fs';

const envSh = readFileSync(new URL('../../scripts/env.sh', import.meta.url), 'utf8');
const level = envSh.match(/^export WASM_OPT_LEVEL=(-O[0-4sz])$/m);
if (!level) throw new Error('scripts/env.sh sets no WASM_OPT_LEVEL=-O<level>');
export const WASM_OPT_LEVEL = level[1];
