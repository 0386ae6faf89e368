// JWKS key rotation and removal over real HTTP, in Node and in workerd (miniflare): what a receiver sees when the
// instance's signing keys change under it. The rule (crates/core/src/jwks/cache.rs): a successful, well-formed JWKS
// answer IS the key set, so a kid it no longer lists is gone at once (E4; E3 when it lists no key at all, `{"keys":[]}`
// or `{}`), also for a token verified earlier (the verified-token cache); only transport failures (network, timeout,
// 5xx, 429, a body that is not JSON) fall back to the cached keys (stale-if-error).
//
// The scenarios live in ./jwks-rotation-scenarios.mjs, which runs unchanged in both runtimes: in this process, and
// bundled (esbuild, `workerd` condition) into a Worker that one miniflare instance runs, one dispatchFetch per
// scenario. Each scenario reports every step's outcome and the JWKS requests the Backend API logged meanwhile; the
// assertions are all here. This file rotates and drops keys and sets JWKS faults, so it runs its own local Backend
// API (./reliability-bapi.mjs). Each scenario gets a fresh client and an apiUrl spelling no other scenario of the
// same isolate uses, so it starts with a cold JWKS cache (the cache is per isolate, keyed by the apiUrl string).
//
// The package is packed from JWKS_ROTATION_PKG (default: the repository's pkg/) and installed into a scratch
// directory, as a user gets it; point it at another build's pkg/ to run these scenarios against that build.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from './context.mjs';
import { ownBapi } from './reliability-bapi.mjs';
import { runScenario } from './jwks-rotation-scenarios.mjs';
import { bundleWorker, installPacked, startWorker } from './packed.mjs';

const pkgDir = process.env.JWKS_ROTATION_PKG || join(root, 'pkg');
const compatibilityDate = '2026-04-01';
/** The short TTL of the clients that wait for it to run out (the TTL runs on the runtime's own Date.now). */
const TTL_MS = 1500;

const E3 = 'The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.';
const E4 = (kid) => `Unable to find a signing key in JWKS that matches the kid='${kid}' of the provided session token. `
  + 'Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT.';

// What a step must report (`jwks`: the JWKS requests the Backend API received during the step).
const verified = (jwks) => ({ ok: true, jwks });
const fails = (message, reason, jwks) => ({ ok: false, name: 'MachineTokenVerificationError', code: 'token-verification-failed', reason, message, jwks });
const e3 = (jwks) => fails(E3, 'jwks-empty', jwks);
const e4 = (kid, jwks) => fails(E4(kid), 'unknown-kid', jwks);
const signedIn = (jwks) => ({ ok: true, status: 'signed-in', tokenType: 'm2m_token', reason: null, message: null, jwks });
const signedOut = (message, jwks) => ({
  ok: false, status: 'signed-out', tokenType: 'm2m_token', reason: 'token-verification-failed', subject: null,
  message: `${message} (code=token-verification-failed, status=n/a)`, jwks,
});

let bapi, dir, mf, nodeClient;
before(async () => {
  bapi = await ownBapi(41);
  dir = installPacked('clerk-m2m-jwks-rotation-', pkgDir);

  // Node: the installed package, through its `node` export condition.
  writeFileSync(join(dir, 'node-entry.mjs'), "export { createClerkClient } from 'clerk-m2m-edge';\n");
  nodeClient = (await import(pathToFileURL(join(dir, 'node-entry.mjs')).href)).createClerkClient;

  // workerd: the same scenarios bundled into a Worker under the `workerd` condition; the .wasm stays a module of its
  // own, which workerd loads precompiled (as wrangler does).
  const out = join(dir, 'dist');
  mkdirSync(out);
  writeFileSync(join(dir, 'worker.mjs'), [
    "import { createClerkClient } from 'clerk-m2m-edge';",
    `import { runScenario } from ${JSON.stringify(join(root, 'tests/node/jwks-rotation-scenarios.mjs'))};`,
    'export default {',
    '  async fetch(request) {',
    '    const { name, env } = await request.json();',
    '    try {',
    '      return Response.json(await runScenario(name, { ...env, createClerkClient }));',
    '    } catch (e) {',
    '      return new Response(String(e && e.stack || e), { status: 500 });',
    '    }',
    '  },',
    '};',
    '',
  ].join('\n'));
  await bundleWorker(join(dir, 'worker.mjs'), out, { nodePaths: [join(dir, 'node_modules')] });
  mf = await startWorker(out, { compatibilityDate });
});
after(async () => {
  await mf?.dispose();
  await bapi?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The scenarios: `scenario` and its `params` (./jwks-rotation-scenarios.mjs), the apiUrl spelling of its clients
 * (`url(base, localhost)`), and `expect(report)`, the steps it must report in order as `[label, expected]`.
 */
const cases = [
  {
    title: '(a)(i) A → {A, B} → {B}: skipJwksCache sees the removal at once (E4, also for the token verified before)',
    scenario: 'rotation-skip', url: (base) => base,
    expect: ({ kids }) => [
      ['A: first verification fetches the JWKS', verified(1)],
      ['A: again, from the caches', verified(0)],
      ['B: unknown kid, one refresh', verified(1)],
      ['A: still listed, no request', verified(0)],
      ['A: removed, but the key set is within its TTL', verified(0)],
      ['A: removed, skipJwksCache refreshes: E4', e4(kids.A, 1)],
      ['A: without skip, the refreshed set holds: E4', e4(kids.A, 0)],
      ['authenticateRequest A: signed out, no request', signedOut(E4(kids.A), 0)],
      ['authenticateRequest A with skipJwksCache: signed out after a refresh', signedOut(E4(kids.A), 1)],
      ['B: verifies', verified(0)],
      ['authenticateRequest B: signed in', signedIn(0)],
    ],
  },
  {
    title: `(a)(ii) A → {A, B} → {B} without skipJwksCache: A fails once the TTL (${TTL_MS} ms) runs out, B verifies`,
    scenario: 'rotation-ttl', params: { ttlMs: TTL_MS }, url: (base, localhost) => localhost,
    expect: ({ kids }) => [
      ['A: first verification fetches the JWKS', verified(1)],
      ['B: unknown kid, one refresh', verified(1)],
      ['A: removed, but the key set is within its TTL', verified(0)],
      ['authenticateRequest A within the TTL: signed in', signedIn(0)],
      ['A: TTL expired, one refresh: E4', e4(kids.A, 1)],
      ['B: verifies from the refreshed set', verified(0)],
      ['authenticateRequest A: signed out, no request', signedOut(E4(kids.A), 0)],
    ],
  },
  ...[
    [{ keys: [] }, 'ttl', (base) => `${base}/`],
    [{}, 'skip', (base, localhost) => `${localhost}/`],
  ].map(([body, recovery, url]) => ({
    title: `(b) A → ${JSON.stringify(body)} (a 200 JSON answer): E3 at once and from the cache, no stale keys; back after ${recovery === 'ttl' ? 'the TTL' : 'a skipJwksCache refresh'}`,
    scenario: 'empty-jwks', params: { ttlMs: TTL_MS, body, recovery }, url,
    expect: () => [
      ['A: first verification fetches the JWKS', verified(1)],
      ['A: again, from the caches', verified(0)],
      ['A: skipJwksCache, the JWKS has no key: E3', e3(1)],
      ['A: without skip, the empty set holds: E3', e3(0)],
      ['authenticateRequest A: signed out (E3), no request', signedOut(E3, 0)],
      ['A: fault cleared, the empty set is still within its TTL: E3', e3(0)],
      [recovery === 'ttl' ? 'A: TTL expired, one refresh: verifies' : 'A: skipJwksCache, one refresh: verifies', verified(1)],
      ['A: again, from the caches', verified(0)],
      ['authenticateRequest A: signed in', signedIn(0)],
    ],
  })),
  ...[
    [{ kind: 'status', status: 500 }, 'a 500', (base) => `${base}//`],
    [{ kind: 'invalid_json' }, 'a 200 whose body is not JSON', (base, localhost) => `${localhost}//`],
  ].map(([fault, what, url]) => ({
    title: `(c) ${what} on the JWKS during a rotation, after the TTL: the cached keys serve (stale-if-error)`,
    scenario: 'outage', params: { ttlMs: TTL_MS, fault }, url,
    expect: ({ kids }) => [
      ['A: first verification fetches the JWKS', verified(1)],
      // JWKS_RETRY (crates/core/src/jwks/cache.rs): 3 attempts, then the failure; none until the cooldown ends.
      ['A: TTL expired, the refresh fails: stale keys serve', verified(3)],
      ['A: again, within the failure cooldown: no request', verified(0)],
      ['authenticateRequest A: signed in from the stale keys', signedIn(0)],
      ['B: unknown kid while refreshes fail: E4, no request', e4(kids.B, 0)],
      ['B: fault cleared, skipJwksCache refreshes: verifies', verified(1)],
      ['A: dropped at the rotation, gone from the refreshed set: E4', e4(kids.A, 1)],
    ],
  })),
  {
    title: '(d) jwtKey as a JWKS text: no JWKS request ever; rotating and dropping keys at the Backend API changes nothing',
    scenario: 'jwt-key', url: (base) => `${base}///`,
    expect: ({ kids }) => [
      ['A: verifies with jwtKey, no request', verified(0)],
      ['A: dropped at the Backend API, still verifies', verified(0)],
      ['A: skipJwksCache, nothing to refresh', verified(0)],
      ['B: not in jwtKey: E4, no request', e4(kids.B, 0)],
      ['B: skipJwksCache, still nothing to refresh: E4', e4(kids.B, 0)],
      ['authenticateRequest A: signed in', signedIn(0)],
    ],
  },
];

const pick = (obj, keys) => Object.fromEntries(keys.map((k) => [k, obj[k]]));

/** Asserts a scenario's report against its case. */
function check(c, report) {
  const machineA = bapi.machines[0];
  assert.equal(report.tokenKids.A, report.kids.A, 'the first token is signed by the key current at the start');
  if (report.kids.B) assert.notEqual(report.kids.B, report.kids.A, 'the rotation made a new key');
  if (report.kids.jwksAfterDrop) assert.deepEqual(report.kids.jwksAfterDrop, [report.kids.B], 'the JWKS lists B alone after drop-old-keys');
  if (report.kids.jwksAfterRotate) assert.deepEqual(report.kids.jwksAfterRotate, [report.kids.B, report.kids.A], 'the JWKS lists B, then A');
  if (report.kids.withinTtlMs !== undefined) {
    assert.ok(report.kids.withinTtlMs < TTL_MS, `the within-TTL steps ran within the TTL (${report.kids.withinTtlMs} ms)`);
  }
  const expected = c.expect(report);
  assert.deepEqual(report.steps.map((s) => s.label), expected.map(([label]) => label), 'the scenario ran every step');
  for (const [i, [label, want]] of expected.entries()) {
    const got = report.steps[i];
    assert.deepEqual(pick(got, Object.keys(want)), want, `step ${i + 1} "${label}": ${JSON.stringify(got)}`);
    if (got.ok) assert.equal(got.subject, machineA.id, `step ${i + 1} "${label}": the token of machine A`);
  }
}

const runners = {
  node: (name, env) => runScenario(name, { ...env, createClerkClient: nodeClient }),
  workerd: async (name, env) => {
    const res = await mf.dispatchFetch('http://jwks-rotation.test/', { method: 'POST', body: JSON.stringify({ name, env }) });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text);
  },
};

test('each scenario has an apiUrl spelling of its own (a cold JWKS cache scope), all naming the same Backend API', () => {
  const base = 'http://127.0.0.1:1';
  const urls = cases.map((c) => c.url(base, base.replace('127.0.0.1', 'localhost')));
  assert.equal(new Set(urls).size, cases.length, urls.join(' '));
});

// The runtimes one after the other: they share the Backend API (its keys, faults and request log).
for (const runtime of Object.keys(runners)) {
  describe(runtime, () => {
    for (const c of cases) {
      test(c.title, async (t) => {
        await bapi.admin('DELETE', '/faults');
        const apiUrl = c.url(bapi.url, bapi.url.replace('127.0.0.1', 'localhost'));
        const report = await runners[runtime](c.scenario, {
          bapiUrl: bapi.url, secretKey: bapi.secretKey, machineSecretKey: bapi.machines[0].secretKey, apiUrl, ...c.params,
        });
        t.diagnostic(`${runtime} ${c.scenario} via ${apiUrl} (package from ${pkgDir}): ${report.steps.map((s) => `${s.ok ? 'ok' : s.reason ?? s.status}/${s.jwks}`).join(' ')}`);
        assert.equal(report.userAgent === 'Cloudflare-Workers', runtime === 'workerd', `ran in ${runtime}: ${report.userAgent}`);
        check(c, report);
      });
    }
  });
}
