// Lane 4, Node: one fresh process per measurement. argv[2] = bare | ours | clerk | jose.
// Prints `RESULT {boot, import, firstVerify}` in ms: boot = process start to this line (performance.now() counts
// from the process's time origin), import = the dynamic import (global-scope evaluation, and WASM compile and
// instantiation for ours), firstVerify = client creation + the first verification (key import included).
import { readFileSync } from 'node:fs';
const t0 = performance.now();
const which = process.argv[2];
const { pem, jwks, token } = JSON.parse(readFileSync(process.env.BENCH_INPUT_FILE, 'utf8'));
let lib;
if (which === 'ours') lib = await import('clerk-m2m-edge');
if (which === 'clerk') lib = await import('@clerk/backend');
if (which === 'jose') lib = await import('jose');
const t1 = performance.now();
if (which === 'ours' || which === 'clerk') await lib.createClerkClient({ jwtKey: pem }).m2m.verify({ token });
if (which === 'jose') await lib.jwtVerify(token, lib.createLocalJWKSet(jwks), { algorithms: ['RS256'] });
const t2 = performance.now();
console.log('RESULT ' + JSON.stringify({ boot: t0, import: t1 - t0, firstVerify: t2 - t1 }));
