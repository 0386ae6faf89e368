// Soak, bounded for CI: in workerd (miniflare, the packed package bundled by wrangler), 20 000 verifications
// (distinct PEM-verified tokens beyond the verified-token cache, hot repeated tokens, Backend API JWTs through
// the JWKS, unknown kids, tampered tokens) and 500 Backend API calls, with memory sampled after a warm-up round
// and after every round: the isolate's heap after a forced GC (V8 inspector), the workerd RSS and the WASM
// memory. After the warm-up nothing may grow by 20 % or more (second sample → last). The full run is scripts/soak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtSample, growth, runSoak } from './reliability-soak.mjs';

const LIMIT = 0.2;

test('soak in workerd: 20 000 verifications and 500 API calls, memory flat after warm-up', { timeout: 85_000 }, async () => {
  const r = await runSoak({ warmupVerify: 4000, warmupApi: 52, rounds: 16, verifyPerRound: 1000, apiPerRound: 28, distinct: 2000, log: (l) => console.log(l) });
  assert.equal(r.verified, 20_000);
  assert.equal(r.apiCalls, 500);

  // Every outcome is the expected one: valid tokens verify, unknown kids and tampered tokens fail with their code.
  const unexpected = Object.entries(r.tally).filter(([k]) => !/:(ok|expected-error)$/.test(k));
  assert.deepEqual(unexpected, [], 'unexpected outcomes');
  const sum = (re) => Object.entries(r.tally).filter(([k]) => re.test(k)).reduce((n, [, v]) => n + v, 0);
  assert.equal(sum(/^(distinct|hot|jwks|unknown-kid|tampered):/), 20_000, 'verifications counted');
  assert.equal(sum(/^(createToken|verify|list|revokeToken):/), 500, 'API calls counted');
  assert.equal(r.tally['unknown-kid:expected-error'], 2000);
  // Unknown kids: one refetch per 30 s cooldown, not one per token (compat.md); 2000 of them ran in this soak.
  const jwks = r.requests.jwks ?? 0;
  assert.ok(jwks >= 1 && jwks <= 2 + Math.ceil(r.seconds / 30), `JWKS requests: ${jwks} in ${r.seconds.toFixed(0)} s`);
  assert.equal(r.requests.create, 20 + 125, 'Backend API JWTs minted for the mix + one create per API round');

  const [, second] = r.samples;
  const last = r.samples.at(-1);
  const report = { heapUsed: growth(second, last, 'heapUsed'), rss: growth(second, last, 'rss'), wasmMemoryBytes: growth(second, last, 'wasmMemoryBytes') };
  console.log(`soak: ${r.verified} verifications + ${r.apiCalls} API calls in ${r.seconds.toFixed(1)} s; second sample ${fmtSample(second)}; last ${fmtSample(last)}; `
    + `growth ${Object.entries(report).map(([k, v]) => `${k} ${v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`}`).join(', ')}`);
  assert.ok(report.wasmMemoryBytes !== null && report.rss !== null, 'WASM memory and workerd RSS are measured');
  if (report.heapUsed === null) console.log('soak: the isolate heap is not available (no inspector); RSS and WASM memory only');
  for (const [k, v] of Object.entries(report)) if (v !== null) assert.ok(v < LIMIT, `${k} grew ${(v * 100).toFixed(1)} % after the warm-up (limit ${LIMIT * 100} %)`);
});
