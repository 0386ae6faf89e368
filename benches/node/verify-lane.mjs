// Node lanes 1 and 3, and the Node half of the breakdown. Run by benches/run.mjs from benches/scratch/node/
// (so `clerk-m2m-edge` is the packed package). Input: BENCH_INPUT_FILE (a JSON file) = { ctx, tokens, params };
// output: one `RESULT {...}` line. The contenders `ours-nocrypto` / `ours-nocrypto-nocache` (breakdown only) are
// ours-jwtKey / ours-jwtKey-nocache instances of their own, run with crypto.subtle.verify replaced by an already-true
// promise: everything but the RSA check.
//
// Distinct tokens: every contender instance has its own cursor into `tokens` that only moves forward (across lanes
// and rounds), so a contender sees a token again only after tokens.length of its verifications: with more tokens
// than the verified-token cache holds (default 1000), a per-verify lane never hits that cache.
import { readFileSync } from 'node:fs';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { contenderFactories, makeContender, runConcurrent, runEmpty, runMixed, mixedDistinct, runSequential, tokenWindow, b64urlDecode } from '../contenders.js';

const { ctx, tokens, params } = JSON.parse(readFileSync(process.env.BENCH_INPUT_FILE, 'utf8'));
const ours = await import('clerk-m2m-edge');
const clerk = await import('@clerk/backend');
const jose = await import('jose');
const factories = contenderFactories({ ours, clerk, jose }, ctx);
// Reference only (not a target): Node's synchronous node:crypto verify with a reused KeyObject.
factories['node-crypto'] = () => {
  const key = createPublicKey(ctx.pem);
  return async (token) => {
    const dot = token.lastIndexOf('.');
    if (!nodeVerify('sha256', Buffer.from(token.slice(0, dot)), key, b64urlDecode(token.slice(dot + 1)))) throw new Error('bad');
  };
};

const stubbed = new Set(['ours-nocrypto', 'ours-nocrypto-nocache', 'jose-nocrypto']);
const stubSubtleVerify = () => {
  Object.defineProperty(crypto.subtle, 'verify', { value: () => Promise.resolve(true), configurable: true });
  return () => delete crypto.subtle.verify;
};

const made = {};
const mixed = params.mixed ?? [];
const probeN = params.probeN ?? 0;
for (const name of new Set([...params.sequential, ...params.concurrent, ...params.repeated, ...mixed, ...(probeN ? ['ours-probe'] : [])])) {
  made[name] = await makeContender(factories, name, tokens[0]);
}
const us = (t0, n) => ((performance.now() - t0) * 1000) / n;
const result = { sequential: {}, concurrent: {}, repeated: {}, mixed: {}, probe: { miss: [], hit: [] }, empty: [], version: [], syncEmpty: [], tokens: tokens.length };
const push = (group, name, v) => (group[name] ??= []).push(v);
// Each contender's next distinct token (token 0 is the repeated one and each contender's check at creation).
const cursor = {};
const take = (name, k) => { const o = (cursor[name] ??= 1); cursor[name] = o + k; return o; };

const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);
for (let round = -1; round < params.rounds; round++) {
  const record = round >= 0; // round -1 warms every code path up (JIT) and is not recorded
  let t0 = performance.now();
  await runEmpty(tokens, params.n, 1);
  if (record) result.empty.push(us(t0, params.n));
  for (const name of rotate(params.sequential, round + 1)) {
    const offset = take(name, params.n);
    const restore = stubbed.has(name) ? stubSubtleVerify() : () => {};
    t0 = performance.now();
    await runSequential(made[name], tokens, params.n, offset);
    if (record) push(result.sequential, name, us(t0, params.n));
    restore();
  }
  for (const name of rotate(params.concurrent, round + 1)) {
    const offset = take(name, params.concurrentN);
    t0 = performance.now();
    await runConcurrent(made[name], tokens, params.concurrentN, params.inflight, offset);
    if (record) push(result.concurrent, name, params.concurrentN / ((performance.now() - t0) / 1000));
  }
  // The 50/50 mix: one repeated token, then a distinct one, alternately.
  for (const name of rotate(mixed, round + 1)) {
    const offset = take(name, mixedDistinct(params.n));
    t0 = performance.now();
    await runMixed(made[name], tokens, params.n, offset);
    if (record) push(result.mixed, name, us(t0, params.n));
  }
  // The cache probe (a sanity check of the distinct lanes): probeN new tokens (misses), then the same ones 4 times
  // over (hits), on a default client of its own. A distinct lane that hit the cache would read near the hit time.
  // probeN ≤ half the cache (1000): the misses of a round then never evict each other (CLOCK eviction).
  if (probeN) {
    const offset = take('ours-probe', probeN);
    t0 = performance.now();
    await runSequential(made['ours-probe'], tokens, probeN, offset);
    const miss = us(t0, probeN);
    const window = tokenWindow(tokens, offset, probeN);
    t0 = performance.now();
    await runSequential(made['ours-probe'], window, 4 * probeN, 0);
    if (record) { result.probe.miss.push(miss); result.probe.hit.push(us(t0, 4 * probeN)); }
  }
  for (const name of rotate(params.repeated, round + 1)) {
    t0 = performance.now();
    await runSequential(made[name], tokens, params.repeatedN, 0, true);
    if (record) push(result.repeated, name, us(t0, params.repeatedN));
  }
  if (params.boundary) {
    // An empty exported call: the package's version() (one crossing, a short string back).
    const m = params.n * 20;
    let s = 0;
    t0 = performance.now();
    for (let i = 0; i < m; i++) s += ours.version().length;
    if (record) result.version.push(us(t0, m));
    const noop = (x) => x;
    t0 = performance.now();
    for (let i = 0; i < m; i++) s += noop(tokens[0]).length;
    if (record) result.syncEmpty.push(us(t0, m));
    if (s === 0) throw new Error('unreachable');
  }
}
console.log('RESULT ' + JSON.stringify(result));
