// Breakdown (full runs): where a verification's time goes inside the package, by V8's sampling profiler, on a
// build of the package whose .wasm keeps its function names (made by the profile lane in scratch/named/).
// Input: BENCH_INPUT_FILE = { ctx, tokens, entry, n }. Output: `RESULT {mode: {usPerVerify, categories}}`.
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { categorize } from '../cpuprofile.js';

const { ctx, tokens, entry, n } = JSON.parse(readFileSync(process.env.BENCH_INPUT_FILE, 'utf8'));
const ours = await import(entry);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 50 });

const stub = () => Object.defineProperty(crypto.subtle, 'verify', { value: () => Promise.resolve(true), configurable: true });
const unstub = () => delete crypto.subtle.verify;
const modes = {
  nocrypto: { client: ours.createClerkClient({ jwtKey: ctx.pem, verifiedTokenCacheSize: 0 }), same: false, stubbed: true },
  real: { client: ours.createClerkClient({ jwtKey: ctx.pem, verifiedTokenCacheSize: 0 }), same: false, stubbed: false },
  cached: { client: ours.createClerkClient({ jwtKey: ctx.pem }), same: true, stubbed: false },
};
const result = {};
for (const [mode, { client, same, stubbed }] of Object.entries(modes)) {
  const loop = async (count) => {
    for (let i = 0; i < count; i++) await client.m2m.verify({ token: tokens[same ? 0 : i % tokens.length] });
  };
  if (stubbed) stub();
  await loop(n); // warm-up: every function tiered up before anything is timed
  const t0 = performance.now();
  await loop(n);
  const usPerVerify = ((performance.now() - t0) * 1000) / n;
  await session.post('Profiler.start');
  await loop(n);
  const { profile } = await session.post('Profiler.stop');
  if (stubbed) unstub();
  result[mode] = { usPerVerify, categories: categorize(profile) };
}
console.log('RESULT ' + JSON.stringify(result));
