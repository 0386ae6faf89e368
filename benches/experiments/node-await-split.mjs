// Where a warm verification's time goes around Node's thread-pool RSA check (the analysis in docs/benchmarks.md,
// "Warm verification"). `crypto.subtle.verify` is wrapped to note when it is called and when its promise settles,
// which splits each verification into: the package's work before the call, the RSA job (thread pool and back),
// and the work after it. Also: the floor with 18 µs of busy work added before its call (what the same amount of
// main-thread work costs right after an idle wait), and the package with the RSA check stubbed (warm, no wait).
//
// Usage: node benches/experiments/node-await-split.mjs [n=3000]   (after scripts/build)
import { createPublicKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { createClerkClient } = await import(`${root}/pkg/node.mjs`);
const { jwt, makeKeys, HEADER, payload } = await import(`${root}/tests/node/reliability-jwt-corpus.mjs`);
const n = Number(process.argv[2] ?? 3000);

const keys = makeKeys();
const nowS = Math.floor(Date.now() / 1000);
const tokens = Array.from({ length: 256 }, (_, i) => jwt(keys, HEADER, payload(nowS, { jti: `mt_${String(i).padStart(32, '0')}`, exp: nowS + 3600 })));
const client = createClerkClient({ jwtKey: keys.rsa.pem, verifiedTokenCacheSize: 0 });
const key = await crypto.subtle.importKey('jwk', createPublicKey(keys.rsa.pem).export({ format: 'jwk' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
const encoder = new TextEncoder();
const parts = tokens.map((t) => {
  const dot = t.lastIndexOf('.');
  return [Buffer.from(t.slice(dot + 1), 'base64url'), encoder.encode(t.slice(0, dot))];
});

const realVerify = crypto.subtle.verify.bind(crypto.subtle);
let called = 0;
let settled = 0;
const timed = (algorithm, k, signature, data) => {
  called = performance.now();
  return realVerify(algorithm, k, signature, data).then((ok) => ((settled = performance.now()), ok));
};
const stubbed = () => ((called = settled = performance.now()), Promise.resolve(true));
const busy = (us) => {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
};

let next = 0;
const floor = async () => {
  const [signature, data] = parts[next++ & 255];
  if (!(await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, data))) throw new Error('bad signature');
};
const cases = [
  ['floor', floor, timed],
  ['floor + 18 µs of busy work before the call', async () => (busy(18), floor()), timed],
  ['clerk-m2m-edge', () => client.m2m.verify({ token: tokens[next++ & 255] }), timed],
  ['clerk-m2m-edge, RSA check stubbed', () => client.m2m.verify({ token: tokens[next++ & 255] }), stubbed],
];
for (const [name, run, verify] of cases) {
  Object.defineProperty(crypto.subtle, 'verify', { configurable: true, value: verify });
  const split = [0, 0, 0];
  for (let round = 0; round < 2; round++) {
    split.fill(0);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await run();
      const t1 = performance.now();
      split[0] += called - t0;
      split[1] += settled - called;
      split[2] += t1 - settled;
    }
  }
  const us = split.map((ms) => ((ms * 1000) / n).toFixed(1).padStart(6));
  console.log(`${us[0]} µs before the call, ${us[1]} µs RSA job, ${us[2]} µs after  ${name}`);
}
delete crypto.subtle.verify;
