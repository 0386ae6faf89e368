// The wasm-opt flags scripts/build ships with (set once, in scripts/env.sh), so that names-kept rebuilds of the
// shipped .wasm are optimised the same way.
import { readFileSync } from 'node:fs';

const envSh = readFileSync(new URL('../../scripts/env.sh', import.meta.url), 'utf8');
const flags = envSh.match(/^export WASM_OPT_FLAGS="(-O[0-4sz](?: --[a-z-]+=\d+)*)"$/m);
if (!flags) throw new Error('scripts/env.sh sets no WASM_OPT_FLAGS="-O<level> [--flag=N ...]"');
/** The flags, as arguments. */
export const WASM_OPT_FLAGS = flags[1].split(' ');
