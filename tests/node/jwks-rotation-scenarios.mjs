// The scenarios of tests/node/jwks-rotation.test.mjs: JWKS key rotation and removal seen by a client of the package,
// against a real local Backend API over real HTTP. The same file runs in Node and, bundled into a Worker, in workerd:
// no Node-only code. Each scenario drives the Backend API itself (its admin routes: rotate-key, drop-old-keys, keys,
// faults, the request log), records every step's outcome and how many JWKS requests it caused, and returns that
// record as JSON; the test file asserts it. Nothing here asserts, so both runtimes report the same way.
//
// A scenario starts from whatever key is current (call it A) and owns its JWKS cache scope: the cache is per isolate
// and keyed by the apiUrl string as given (crates/core/src/jwks/cache.rs, `scope_for`: no normalisation), so each
// scenario is handed a spelling of the Backend API's URL that no other scenario of the isolate uses (another host
// name for the loopback address, or more trailing slashes: crates/core/src/http.rs `endpoint_url` collapses them, so
// every spelling requests the same `/v1/jwks`).
import { serialize } from './seed-harness.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The outcome of one call: a token's id, subject and kid, an error's fields, or a request state's fields. */
function outcome(value) {
  const v = serialize(value);
  if (v && v.error) return { ok: false, name: v.name, code: v.code, reason: v.reason, message: v.message };
  if (v && typeof v === 'object' && 'isAuthenticated' in v) {
    return { ok: v.isAuthenticated, status: v.status, tokenType: v.tokenType, reason: v.reason, message: v.message, subject: v.toAuth?.subject ?? null };
  }
  return { ok: true, id: v.id, subject: v.subject };
}

/**
 * Runs scenario `name`. `env`: `{ createClerkClient, bapiUrl, secretKey, machineSecretKey, apiUrl }` — the Backend
 * API's canonical URL (admin routes, minting), its instance key, a machine key to mint with, and the apiUrl spelling
 * the scenario's verifying clients use. Resolves to `{ name, apiUrl, kids, steps: [{ label, ok, …, jwks }] }`.
 * The verifying clients keep their key set per isolate (`sharedCache: false`): in workerd the scenarios share one
 * `caches.default`, and these scenarios are about one isolate's cache (tests/runtime/shared-cache.test.js covers the
 * shared one).
 */
export async function runScenario(name, env) {
  const { createClerkClient, bapiUrl, secretKey, machineSecretKey, apiUrl } = env;
  const admin = async (method, path, body) => {
    const res = await fetch(`${bapiUrl}/__admin${path}`, {
      method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const minter = createClerkClient({ apiUrl: bapiUrl, machineSecretKey });
  const mint = async () => (await minter.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 })).token;
  const kidOf = (token) => JSON.parse(atob(token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/'))).kid;
  const request = (token) => new Request('https://receiver.example/api', { headers: { authorization: `Bearer ${token}` } });

  const steps = [];
  const kids = {};
  /** Runs `fn` as step `label`: its outcome, and the JWKS requests the Backend API received meanwhile. */
  const step = async (label, fn) => {
    await admin('DELETE', '/requests');
    let result;
    try {
      result = outcome(await fn());
    } catch (e) {
      result = outcome(e);
    }
    const log = await admin('GET', '/requests');
    steps.push({ label, ...result, jwks: log.filter((r) => r.route === 'jwks').length });
  };
  /** Rotates the key (the old one stays in the JWKS unless `dropOld`) and names the new kid. */
  const rotate = async (as, dropOld = false) => {
    const { kid, previous } = await admin('POST', '/rotate-key', { drop_old: dropOld });
    kids[as] = kid;
    return previous;
  };
  const jwksKids = async () => {
    const keys = await admin('GET', '/keys');
    return [keys.current.kid, ...keys.previous.map((k) => k.kid)];
  };

  kids.A = (await admin('GET', '/keys')).current.kid;
  const tA = await mint();
  // `userAgent`: `Cloudflare-Workers` in workerd, so the test can tell where the scenario ran.
  const record = async () => ({ name, apiUrl, userAgent: globalThis.navigator?.userAgent ?? null, kids, tokenKids: { A: kidOf(tA) }, steps });

  switch (name) {
    // (a)(i) A → {B, A} → {B}; after the removal `skipJwksCache: true` refreshes at once and A's token, verified
    // earlier (so in the verified-token cache), fails with E4.
    case 'rotation-skip': {
      const client = createClerkClient({ apiUrl, secretKey, sharedCache: false });
      await step('A: first verification fetches the JWKS', () => client.m2m.verify({ token: tA }));
      await step('A: again, from the caches', () => client.m2m.verify({ token: tA }));
      await rotate('B');
      const tB = await mint();
      kids.jwksAfterRotate = await jwksKids();
      await step('B: unknown kid, one refresh', () => client.m2m.verify({ token: tB }));
      await step('A: still listed, no request', () => client.m2m.verify({ token: tA }));
      await admin('POST', '/drop-old-keys');
      kids.jwksAfterDrop = await jwksKids();
      await step('A: removed, but the key set is within its TTL', () => client.m2m.verify({ token: tA }));
      await step('A: removed, skipJwksCache refreshes: E4', () => client.m2m.verify({ token: tA, skipJwksCache: true }));
      await step('A: without skip, the refreshed set holds: E4', () => client.m2m.verify({ token: tA }));
      await step('authenticateRequest A: signed out, no request', () => client.authenticateRequest(request(tA), { acceptsToken: 'm2m_token' }));
      await step('authenticateRequest A with skipJwksCache: signed out after a refresh',
        () => client.authenticateRequest(request(tA), { acceptsToken: 'm2m_token', skipJwksCache: true }));
      await step('B: verifies', () => client.m2m.verify({ token: tB }));
      await step('authenticateRequest B: signed in', () => client.authenticateRequest(request(tB), { acceptsToken: 'm2m_token' }));
      return record();
    }
    // (a)(ii) The same rotation seen by a client with a short TTL that never skips the cache: the removal shows once
    // the TTL has run out (the TTL runs on the runtime's Date.now, not the Backend API's clock).
    case 'rotation-ttl': {
      const ttl = env.ttlMs;
      const client = createClerkClient({ apiUrl, secretKey, jwksCacheTtlMs: ttl, sharedCache: false });
      await step('A: first verification fetches the JWKS', () => client.m2m.verify({ token: tA }));
      await rotate('B');
      const tB = await mint();
      await step('B: unknown kid, one refresh', () => client.m2m.verify({ token: tB }));
      const refreshedAt = Date.now();
      await admin('POST', '/drop-old-keys');
      kids.jwksAfterDrop = await jwksKids();
      await step('A: removed, but the key set is within its TTL', () => client.m2m.verify({ token: tA }));
      await step('authenticateRequest A within the TTL: signed in', () => client.authenticateRequest(request(tA), { acceptsToken: 'm2m_token' }));
      kids.withinTtlMs = Date.now() - refreshedAt;
      await sleep(Math.max(0, refreshedAt + ttl + 200 - Date.now()));
      await step('A: TTL expired, one refresh: E4', () => client.m2m.verify({ token: tA }));
      await step('B: verifies from the refreshed set', () => client.m2m.verify({ token: tB }));
      await step('authenticateRequest A: signed out, no request', () => client.authenticateRequest(request(tA), { acceptsToken: 'm2m_token' }));
      return record();
    }
    // (b) A → {}: the Backend API answers 200 with a JWKS that holds no key (`env.body`, `{"keys":[]}` or `{}`).
    // That answer is the key set: E3 at once, and E3 again from the cache (no stale fallback, no verified-token
    // cache hit). Once the fault is gone the keys come back with the next refresh: after the TTL
    // (`env.recovery: 'ttl'`) or at once with skipJwksCache (`'skip'`).
    case 'empty-jwks': {
      const ttl = env.ttlMs;
      const client = createClerkClient({ apiUrl, secretKey, jwksCacheTtlMs: ttl, sharedCache: false });
      await step('A: first verification fetches the JWKS', () => client.m2m.verify({ token: tA }));
      await step('A: again, from the caches', () => client.m2m.verify({ token: tA }));
      await admin('POST', '/faults', { route: 'jwks', fault: { kind: 'json', status: 200, body: env.body } });
      await step('A: skipJwksCache, the JWKS has no key: E3', () => client.m2m.verify({ token: tA, skipJwksCache: true }));
      const emptiedAt = Date.now();
      await step('A: without skip, the empty set holds: E3', () => client.m2m.verify({ token: tA }));
      await step('authenticateRequest A: signed out (E3), no request', () => client.authenticateRequest(request(tA), { acceptsToken: 'm2m_token' }));
      await admin('DELETE', '/faults');
      await step('A: fault cleared, the empty set is still within its TTL: E3', () => client.m2m.verify({ token: tA }));
      kids.withinTtlMs = Date.now() - emptiedAt;
      if (env.recovery === 'ttl') {
        await sleep(Math.max(0, emptiedAt + ttl + 200 - Date.now()));
        await step('A: TTL expired, one refresh: verifies', () => client.m2m.verify({ token: tA }));
      } else {
        await step('A: skipJwksCache, one refresh: verifies', () => client.m2m.verify({ token: tA, skipJwksCache: true }));
      }
      await step('A: again, from the caches', () => client.m2m.verify({ token: tA }));
      await step('authenticateRequest A: signed in', () => client.authenticateRequest(request(tA), { acceptsToken: 'm2m_token' }));
      return record();
    }
    // (c) A transport failure during a rotation, after the TTL ran out: `env.fault` (a 500, or a 200 whose body is
    // not JSON) on every JWKS request. Stale-if-error: A's token still verifies from the cached keys; for the
    // cooldown after the failure nothing is retried, and B's unknown kid fails without a request.
    case 'outage': {
      const ttl = env.ttlMs;
      const client = createClerkClient({ apiUrl, secretKey, jwksCacheTtlMs: ttl, sharedCache: false });
      await step('A: first verification fetches the JWKS', () => client.m2m.verify({ token: tA }));
      const fetchedAt = Date.now();
      await rotate('B', true);
      const tB = await mint();
      await admin('POST', '/faults', { route: 'jwks', fault: env.fault });
      await sleep(Math.max(0, fetchedAt + ttl + 200 - Date.now()));
      await step('A: TTL expired, the refresh fails: stale keys serve', () => client.m2m.verify({ token: tA }));
      await step('A: again, within the failure cooldown: no request', () => client.m2m.verify({ token: tA }));
      await step('authenticateRequest A: signed in from the stale keys', () => client.authenticateRequest(request(tA), { acceptsToken: 'm2m_token' }));
      await step('B: unknown kid while refreshes fail: E4, no request', () => client.m2m.verify({ token: tB }));
      await admin('DELETE', '/faults');
      await step('B: fault cleared, skipJwksCache refreshes: verifies', () => client.m2m.verify({ token: tB, skipJwksCache: true }));
      await step('A: dropped at the rotation, gone from the refreshed set: E4', () => client.m2m.verify({ token: tA }));
      return record();
    }
    // (d) `jwtKey` as a JWKS text of the current key: no network at all, nothing to refresh; rotating and dropping
    // keys at the Backend API changes nothing (the client also holds the instance key and an apiUrl it could use).
    case 'jwt-key': {
      const { current } = await admin('GET', '/keys');
      const jwtKey = JSON.stringify({ keys: [current.jwk] });
      const client = createClerkClient({ apiUrl, secretKey, jwtKey });
      await step('A: verifies with jwtKey, no request', () => client.m2m.verify({ token: tA }));
      await rotate('B', true);
      const tB = await mint();
      await admin('POST', '/drop-old-keys');
      kids.jwksAfterDrop = await jwksKids();
      await step('A: dropped at the Backend API, still verifies', () => client.m2m.verify({ token: tA }));
      await step('A: skipJwksCache, nothing to refresh', () => client.m2m.verify({ token: tA, skipJwksCache: true }));
      await step('B: not in jwtKey: E4, no request', () => client.m2m.verify({ token: tB }));
      await step('B: skipJwksCache, still nothing to refresh: E4', () => client.m2m.verify({ token: tB, skipJwksCache: true }));
      await step('authenticateRequest A: signed in', () => client.authenticateRequest(request(tA), { acceptsToken: 'm2m_token' }));
      return record();
    }
    default:
      throw new Error(`unknown scenario ${name}`);
  }
}
