// Faults injected at a local Backend API (its /__admin/faults) for each of the four calls and for the JWKS fetch:
// 429 with Retry-After, 500/502/503, HTML error pages, truncated JSON, a wrong content type, invalid JSON, hangs,
// resets, slow bodies, latency, and a 401. Every call must end within its bound with the typed error docs/compat.md
// promises (class, status, code, message), with exactly the requests the retry policy allows (POSTs once; `list`
// and the JWKS retried on 429/5xx/network/timeouts per compat.md), no unhandled rejection and no leaked timer.
//
// Runs its own local Backend API: faults are global to a server, so they must not reach other test files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { root } from './context.mjs';
import { ownBapi } from './reliability-bapi.mjs';

const ours = await import(`${root}/pkg/node.mjs`);
const { ClerkAPIResponseError, MachineTokenVerificationError } = ours;

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

const TIMEOUT = 500; // timeoutMs / jwksTimeoutMs of the clients that meet hangs and slow bodies
const LONG = 10_000; // the clients that meet fast faults: a timer left behind by them would still be pending at the end
const RETRY = { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200, budgetMs: 4000 };
const JWKS_BUDGET = 3000; // compat.md: JWKS retries within a 3 s budget

let ctx, jwksUrl, clients, jwt, A, B;
before(async () => {
  ctx = await ownBapi(41);
  [A, B] = ctx.machines;
  jwksUrl = `${ctx.url}/v1/jwks`;
  const make = (timeoutMs) => ({
    a: ours.createClerkClient({ apiUrl: ctx.url, machineSecretKey: A.secretKey, timeoutMs, retry: RETRY }),
    b: ours.createClerkClient({ apiUrl: ctx.url, machineSecretKey: B.secretKey, timeoutMs, retry: RETRY }),
    // A JWKS client that fetches on every verification (TTL 0, no stale keys, no cooldown), so each fault is seen.
    jwks: ours.createClerkClient({ apiUrl: ctx.url, secretKey: ctx.secretKey, jwksTimeoutMs: timeoutMs, jwksCacheTtlMs: 0,
      jwksStaleIfErrorMs: 0, jwksCooldownMs: 0, verifiedTokenCacheSize: 0 }),
  });
  clients = { fast: make(LONG), slow: make(TIMEOUT), setup: ours.createClerkClient({ apiUrl: ctx.url, machineSecretKey: A.secretKey }) };
  jwt = (await clients.setup.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 3600 })).token;
});
after(async () => {
  await ctx?.admin('DELETE', '/faults').catch(() => {});
  await ctx?.stop();
});

/** The calls, each with what it needs prepared before the fault is armed. */
const CALLS = {
  list: { route: 'list', prepare: async () => null, run: (c) => c.a.m2m.list({ subject: A.id }) },
  createToken: { route: 'create', prepare: async () => null, run: (c) => c.a.m2m.createToken() },
  revokeToken: { route: 'revoke', prepare: () => clients.setup.m2m.createToken(), run: (c, t) => c.a.m2m.revokeToken({ m2mTokenId: t.id }) },
  verify: { route: 'verify', prepare: () => clients.setup.m2m.createToken(), run: (c, t) => c.b.m2m.verify({ token: t.token }) },
  jwks: { route: 'jwks', prepare: async () => null, run: (c) => c.jwks.m2m.verify({ token: jwt }) },
};

const API_TIMEOUT = { message: `Clerk Backend API request timed out after ${TIMEOUT} ms`, status: undefined, errorCode: 'request_timeout' };
const JWKS_TIMEOUT = `The JWKS request to {url} timed out after ${TIMEOUT} ms.`;
/**
 * The faults, with the outcome compat.md predicts: `api` for the Backend API calls (ClerkAPIResponseError),
 * `jwks` for a JWT verified through the JWKS (MachineTokenVerificationError `token-verification-failed`, or
 * `ok`), and whether `list` / the JWKS fetch retry it.
 */
const FAULTS = {
  '429 Retry-After: 1': { fault: { kind: 'rate_limit', retry_after: 1 }, retryAfterMs: 1000,
    api: { status: 429, message: 'Too Many Requests', errorCode: 'too_many_requests', retryAfter: 1 }, listRetries: true,
    jwks: 'Error loading Clerk JWKS from {url} with code=429', jwksRetries: true },
  '500': { fault: { kind: 'status', status: 500 }, api: { status: 500, message: 'Internal Server Error', errorCode: 'internal_clerk_error' }, listRetries: true,
    jwks: 'Error loading Clerk JWKS from {url} with code=500', jwksRetries: true },
  '502': { fault: { kind: 'status', status: 502 }, api: { status: 502, message: 'Bad Gateway', errorCode: 'internal_clerk_error' }, listRetries: true,
    jwks: 'Error loading Clerk JWKS from {url} with code=502', jwksRetries: true },
  '503': { fault: { kind: 'status', status: 503 }, api: { status: 503, message: 'Service Unavailable', errorCode: 'internal_clerk_error' }, listRetries: true,
    jwks: 'Error loading Clerk JWKS from {url} with code=503', jwksRetries: true },
  'HTML 502 page': { fault: { kind: 'html', status: 502 }, api: { status: 502, message: 'Bad Gateway', errorCode: null }, listRetries: true,
    jwks: 'Error loading Clerk JWKS from {url} with code=502', jwksRetries: true },
  'truncated JSON (2xx)': { fault: { kind: 'truncated_json' }, api: { status: undefined, message: 'Unexpected response from the Clerk Backend API', errorCode: 'unexpected_error', errorMessage: /^EOF while parsing/ },
    listRetries: false, jwks: /^The JWKS response is not valid JSON: EOF while parsing/, jwksRetries: true },
  'content-type text/plain (2xx)': { fault: { kind: 'content_type', content_type: 'text/plain' }, api: { status: 'real', message: 'Unexpected response from the Clerk Backend API', errorCode: 'unexpected_error' },
    listRetries: false, jwks: 'ok', jwksRetries: false },
  'invalid JSON (200)': { fault: { kind: 'invalid_json' }, api: { status: undefined, message: 'Unexpected response from the Clerk Backend API', errorCode: 'unexpected_error' },
    listRetries: false, jwks: /^The JWKS response is not valid JSON: /, jwksRetries: true },
  'connection reset': { fault: { kind: 'reset' }, api: { status: undefined, message: /^Clerk Backend API request to http:\/\/127\.0\.0\.1:\d+ failed: .+\. Check apiUrl \(CLERK_API_URL\)/, errorCode: 'unexpected_error' }, listRetries: true,
    jwks: /\S/, jwksRetries: true },
  '401 clerk_key_invalid': { fault: { kind: 'status', status: 401, errors: [{ code: 'clerk_key_invalid', message: 'The provided Clerk Secret Key is invalid.' }] },
    api: { status: 401, message: 'Unauthorized', errorCode: 'clerk_key_invalid' }, listRetries: false, jwks: 'The provided Clerk Secret Key is invalid.', jwksRetries: false },
  'slow body, 200 ms': { fault: { kind: 'slow_body', ms: 200 }, api: 'ok', listRetries: false, jwks: 'ok', jwksRetries: false },
  hang: { fault: { kind: 'hang' }, timesOut: true, api: API_TIMEOUT, listRetries: true, jwks: JWKS_TIMEOUT, jwksRetries: false },
  'slow body, 3 s': { fault: { kind: 'slow_body', ms: 3000 }, timesOut: true, api: API_TIMEOUT, listRetries: true, jwks: JWKS_TIMEOUT, jwksRetries: false },
  'latency 3 s': { fault: { kind: 'latency', ms: 3000 }, timesOut: true, api: API_TIMEOUT, listRetries: true, jwks: JWKS_TIMEOUT, jwksRetries: false },
};
const REAL_STATUS = { list: 200, createToken: 201, revokeToken: 200, verify: 200 };

const matches = (actual, expected, what) => {
  if (expected instanceof RegExp) assert.match(actual, expected, what);
  else assert.equal(actual, expected, what);
};

/** Runs one cell: arm the fault (for every request, or only the first), call, and check outcome, requests and time. */
async function cell(callName, faultName, once) {
  const call = CALLS[callName];
  const spec = FAULTS[faultName];
  const c = spec.timesOut ? clients.slow : clients.fast;
  const prepared = await call.prepare();
  await ctx.admin('DELETE', '/faults');
  await ctx.admin('DELETE', '/requests');
  await ctx.admin('POST', '/faults', { route: call.route, fault: spec.fault, ...(once ? { count: 1 } : {}) });
  const started = performance.now();
  let value, error;
  try { value = await call.run(c, prepared); } catch (e) { error = e; }
  const elapsed = performance.now() - started;
  await ctx.admin('DELETE', '/faults');
  const requests = (await ctx.admin('GET', '/requests')).filter((r) => r.route === call.route).length;
  const label = `${callName} × ${faultName}${once ? ' (first request only)' : ''}`;

  const isJwks = callName === 'jwks';
  const retries = isJwks ? spec.jwksRetries : callName === 'list' && spec.listRetries;
  const expect = isJwks ? spec.jwks : spec.api;
  const perAttempt = spec.timesOut ? TIMEOUT : 0;
  let expectedRequests, ok;
  if (retries) {
    expectedRequests = once ? 2 : RETRY.maxAttempts; // the JWKS policy has 3 attempts as well
    ok = once;
  } else {
    expectedRequests = 1;
    ok = expect === 'ok';
  }
  assert.equal(requests, expectedRequests, `${label}: requests made`);
  // The time bound: every attempt within its timeout, backoffs within the retry budget, plus scheduling slack.
  const budget = retries ? (isJwks ? JWKS_BUDGET : RETRY.budgetMs) : 0;
  const bound = expectedRequests * perAttempt + budget + (spec.fault.kind === 'slow_body' && !spec.timesOut ? 400 : 0) + 1000;
  assert.ok(elapsed < bound, `${label}: took ${elapsed.toFixed(0)} ms, bound ${bound} ms`);
  if (spec.timesOut) assert.ok(elapsed >= TIMEOUT * (ok ? 1 : expectedRequests) - 25, `${label}: ended at ${elapsed.toFixed(0)} ms, before its timeout`);
  if (retries && spec.retryAfterMs) assert.ok(elapsed >= spec.retryAfterMs * (expectedRequests - 1) - 25, `${label}: Retry-After honoured (${elapsed.toFixed(0)} ms)`);

  if (ok) {
    assert.equal(error, undefined, `${label}: expected success, got ${error}`);
    assert.ok(value && typeof value === 'object', `${label}: a result`);
    return { label, outcome: 'ok', requests, elapsed };
  }
  assert.ok(error, `${label}: expected a rejection, got ${JSON.stringify(value)}`);
  if (isJwks) {
    assert.ok(error instanceof MachineTokenVerificationError, `${label}: MachineTokenVerificationError, got ${error?.stack}`);
    assert.equal(error.code, 'token-verification-failed', `${label}: code`);
    assert.equal(error.status, undefined, `${label}: status`);
    matches(error.message, typeof expect === 'string' ? expect.replace('{url}', jwksUrl) : expect, `${label}: message`);
    return { label, outcome: `MachineTokenVerificationError token-verification-failed: ${error.message}`, requests, elapsed };
  }
  assert.ok(error instanceof ClerkAPIResponseError, `${label}: ClerkAPIResponseError, got ${error?.stack}`);
  assert.equal(error.code, 'api_response_error');
  assert.equal(error.status, expect.status === 'real' ? REAL_STATUS[callName] : expect.status, `${label}: status`);
  matches(error.message, expect.message, `${label}: message`);
  if (expect.errorCode === null) assert.deepEqual(error.errors, [], `${label}: no error entries`);
  else assert.equal(error.errors[0]?.code, expect.errorCode, `${label}: errors[0].code`);
  if (expect.errorMessage) matches(error.errors[0].message, expect.errorMessage, `${label}: errors[0].message`);
  assert.equal(error.retryAfter, expect.retryAfter, `${label}: retryAfter`);
  return { label, outcome: `ClerkAPIResponseError status=${error.status} ${error.errors[0]?.code ?? '[]'}: ${error.message}`, requests, elapsed };
}

const activeTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const settle = (ms) => new Promise((r) => setTimeout(r, ms));

test('fault matrix: every call × every fault ends in time with the documented error and retries', { timeout: 85_000 }, async () => {
  // Warm up (undici's pool and timers, the JWKS scope), then take the baseline of pending timers.
  await clients.fast.a.m2m.list({ subject: A.id });
  await clients.fast.jwks.m2m.verify({ token: jwt });
  await settle(300);
  const baseline = activeTimeouts();
  const rows = [];
  for (const faultName of Object.keys(FAULTS)) {
    for (const callName of Object.keys(CALLS)) {
      for (const once of [false, true]) rows.push(await cell(callName, faultName, once));
    }
  }
  // Aborting a list call that hangs: the caller's reason, at once, and no retry (compat.md).
  await ctx.admin('DELETE', '/requests');
  await ctx.admin('POST', '/faults', { route: 'list', fault: { kind: 'hang' } });
  const controller = new AbortController();
  const reason = new Error('caller gave up');
  setTimeout(() => controller.abort(reason), 100);
  const started = performance.now();
  await assert.rejects(clients.fast.a.m2m.list({ subject: A.id, signal: controller.signal }), (e) => e === reason);
  assert.ok(performance.now() - started < 1000, 'aborted promptly');
  await ctx.admin('DELETE', '/faults');
  assert.equal((await ctx.admin('GET', '/requests')).filter((r) => r.route === 'list').length, 1, 'an aborted list is not retried');

  // Timers: after a short settle nothing the calls started is still pending (a 10 s request timer would be).
  let extra = Infinity;
  for (let i = 0; i < 20 && extra > 0; i++) { await settle(250); extra = activeTimeouts() - baseline; }
  assert.ok(extra <= 0, `${extra} Timeout(s) still pending beyond the baseline of ${baseline}: ${process.getActiveResourcesInfo()}`);
  assert.deepEqual(unhandled, [], 'no unhandled rejection');
  console.log(`faults: ${rows.length} cells + abort; ${rows.filter((r) => r.outcome === 'ok').length} recovered or unaffected, `
    + `${rows.filter((r) => r.outcome !== 'ok').length} typed errors; slowest ${Math.max(...rows.map((r) => r.elapsed)).toFixed(0)} ms`);
  if (process.env.FAULTS_TABLE) for (const r of rows) console.log(`faults: ${r.label} | ${r.requests} request(s) | ${r.elapsed.toFixed(0)} ms | ${r.outcome}`);
});

test('authenticateRequest under Backend API faults: signed out with the reference\'s mapping, never a throw', async () => {
  const token = (await clients.setup.m2m.createToken()).token;
  const cases = [
    [{ kind: 'status', status: 503 }, clients.fast.b, 'unexpected-error', 'Unexpected error (code=unexpected-error, status=503)'],
    [{ kind: 'rate_limit', retry_after: 1 }, clients.fast.b, 'unexpected-error', 'Unexpected error (code=unexpected-error, status=429)'],
    [{ kind: 'status', status: 401, errors: [{ code: 'machine_secret_key_invalid', message: 'The provided Machine Secret Key is invalid.' }] }, clients.fast.b,
      'secret-key-invalid', 'The provided Machine Secret Key is invalid. (code=secret-key-invalid, status=401)'],
    [{ kind: 'hang' }, clients.slow.b, 'unexpected-error', 'Unexpected error (code=unexpected-error, status=n/a)'],
    [{ kind: 'reset' }, clients.fast.b, 'unexpected-error', 'Unexpected error (code=unexpected-error, status=n/a)'],
    [{ kind: 'invalid_json' }, clients.fast.b, 'unexpected-error', 'Unexpected error (code=unexpected-error, status=n/a)'],
  ];
  for (const [fault, client, reason, message] of cases) {
    await ctx.admin('DELETE', '/requests');
    await ctx.admin('POST', '/faults', { route: 'verify', fault });
    const started = performance.now();
    const state = await client.authenticateRequest(new Request('https://receiver.example/', { headers: { authorization: `Bearer ${token}` } }), { acceptsToken: 'm2m_token' });
    const elapsed = performance.now() - started;
    await ctx.admin('DELETE', '/faults');
    assert.equal(state.status, 'signed-out', JSON.stringify(fault));
    assert.equal(state.reason, reason, JSON.stringify(fault));
    assert.equal(state.message, message, JSON.stringify(fault));
    assert.equal(state.toAuth().isAuthenticated, false);
    assert.ok(elapsed < (fault.kind === 'hang' ? TIMEOUT : 0) + 1000, `${fault.kind}: ${elapsed} ms`);
    assert.equal((await ctx.admin('GET', '/requests')).filter((r) => r.route === 'verify').length, 1, `${fault.kind}: verify is never retried`);
  }
  assert.deepEqual(unhandled, []);
});

test('stale-if-error: a warm JWKS keeps verifying while refreshes fail (compat.md), and the failure is not retried in the cooldown', async () => {
  const client = ours.createClerkClient({ apiUrl: ctx.url.replace('127.0.0.1', 'localhost'), secretKey: ctx.secretKey, jwksTimeoutMs: TIMEOUT });
  await ctx.admin('DELETE', '/requests');
  assert.equal((await client.m2m.verify({ token: jwt })).subject, A.id, 'warm');
  await ctx.admin('POST', '/faults', { route: 'jwks', fault: { kind: 'status', status: 503 } });
  const first = await client.m2m.verify({ token: jwt, skipJwksCache: true });
  assert.equal(first.subject, A.id, 'served from the last good key set');
  const second = await client.m2m.verify({ token: jwt, skipJwksCache: true });
  assert.equal(second.subject, A.id);
  await ctx.admin('DELETE', '/faults');
  const jwksRequests = (await ctx.admin('GET', '/requests')).filter((r) => r.route === 'jwks').length;
  assert.ok(jwksRequests >= 2 && jwksRequests <= 1 + 3 * 2, `JWKS requests: ${jwksRequests}`);
});

// ---------------------------------------------------------------------------------------------------------------
// Regression test of finding F4 (docs/reliability.md; fixed in 21d143a): the `retry` option's keys in the published
// types (pkg/index.d.ts) are the ones the runtime accepts. index.d.ts declared `maxElapsedMs` (and no `budgetMs`,
// no boolean), while the runtime (crates/core/src/retry.rs) accepts `budgetMs` and booleans and threw
// `TypeError: retry has an unknown option "maxElapsedMs"` at a TypeScript caller who followed the types.
test('regression (finding F4): every retry key that index.d.ts declares is accepted, and the runtime\'s forms are declared', () => {
  const dts = readFileSync(`${root}/pkg/index.d.ts`, 'utf8');
  const retryType = /retry\?:\s*([^\n]*)/.exec(dts)?.[1];
  assert.ok(retryType, 'index.d.ts declares a retry option');
  const keys = [...retryType.matchAll(/(\w+)\?:/g)].map((m) => m[1]);
  assert.ok(keys.length >= 3, `retry keys in index.d.ts: ${keys}`);
  const refused = [];
  for (const k of keys) {
    try { ours.createClerkClient({ retry: { [k]: k === 'maxAttempts' ? 3 : 1000 } }); } catch (e) { refused.push(`${k}: ${e.name}: ${e.message}`); }
  }
  // And the runtime's own `budgetMs` / boolean forms should be declared.
  const undeclared = ['budgetMs'].filter((k) => !keys.includes(k));
  assert.deepEqual({ refused, undeclared, booleanDeclared: /\bboolean\b/.test(retryType) }, { refused: [], undeclared: [], booleanDeclared: true },
    `pkg/index.d.ts retry type ${retryType} disagrees with the runtime`);
});
