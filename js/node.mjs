// Node ESM: the CommonJS build, loaded with `require`, so that `import` and `require` share one WASM instance
// (one JWKS cache, one set of error classes). `export * from './node.cjs'` would share it too, but through
// Node's CommonJS translator, which doubles the import time. scripts/build fills in the names node.cjs exports.
import { createRequire } from 'node:module';

const cjs = createRequire(import.meta.url)('./node.cjs');

export const { /* @EXPORTS@ */ } = cjs;
