// Compatibility: the published @clerk/backend 3.25.0 against the local Backend API, through `apiUrl`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createClerkClient } from '@clerk/backend';
import { START_TIMEOUT_MS, startBapi, call } from './bapi-process.mjs';

const require = createRequire(import.meta.url);
const TOKEN_ID = /^mt_[0-9A-Fa-f]{32}$/;

let bapi;
let url;
let sk;
let A;
let B;
let C;
/** Clients: the instance key, and one per machine key. */
let instance;
let clientA;
let clientB;
let clientC;

before(
  async () => {
    bapi = await startBapi();
    ({ url, secretKey: sk } = bapi.info);
    [A, B, C] = bapi.info.machines;
    instance = createClerkClient({ secretKey: sk, apiUrl: url });
    clientA = createClerkClient({ machineSecretKey: A.secretKey, apiUrl: url });
    clientB = createClerkClient({ machineSecretKey: B.secretKey, apiUrl: url });
    clientC = createClerkClient({ machineSecretKey: C.secretKey, apiUrl: url });
  },
  { timeout: START_TIMEOUT_MS },
);
after(async () => {
  assert.equal(await bapi?.stop(), 0);
});

async function requestLog() {
  return (await call(url, 'GET', '/__admin/requests')).json;
}

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

test('the installed @clerk/backend is 3.25.0', () => {
  assert.equal(require('@clerk/backend/package.json').version, '3.25.0');
});

test('opaque tokens: create, list, verify, revoke', async () => {
  await call(url, 'POST', '/__admin/reset');
  const t = await clientA.m2m.createToken({ secondsUntilExpiration: 3600, claims: { role: 'svc' } });
  assert.match(t.id, TOKEN_ID);
  assert.equal(t.subject, A.id);
  assert.deepEqual(t.scopes, [B.id]);
  assert.deepEqual(t.claims, { role: 'svc' });
  assert.match(t.token, /^mt_\w{32}$/);
  assert.equal(t.revoked, false);
  assert.equal(t.expired, false);
  assert.equal(t.expiration - t.createdAt, 3_600_000);
  // The SDK's default body: never expires.
  const forever = await clientA.m2m.createToken();
  assert.equal(forever.expiration, null);
  assert.equal(forever.claims, null);

  const list = await clientA.m2m.list({ subject: A.id });
  assert.equal(list.totalCount, 2);
  assert.deepEqual(
    list.data.map((x) => x.id),
    [forever.id, t.id],
    'newest first',
  );
  assert.equal(list.data[0].token, undefined);
  const page = await instance.m2m.list({ subject: A.id, limit: 1, offset: 1 });
  assert.equal(page.totalCount, 2);
  assert.deepEqual(
    page.data.map((x) => x.id),
    [t.id],
  );

  // B is in A's scopes; C is not.
  const v = await clientB.m2m.verify({ token: t.token });
  assert.equal(v.id, t.id);
  assert.equal(v.subject, A.id);
  assert.deepEqual(v.scopes, [B.id]);
  assert.deepEqual(v.claims, { role: 'svc' });
  assert.equal(typeof (await instance.m2m.verify({ token: t.token })).id, 'string');
  const denied = await rejection(clientC.m2m.verify({ token: t.token }));
  assert.equal(denied.status, 404);
  assert.equal(denied.errors[0].code, 'resource_not_found');

  const r = await clientA.m2m.revokeToken({ m2mTokenId: t.id, revocationReason: 'done' });
  assert.equal(r.id, t.id);
  assert.equal(r.revoked, true);
  assert.equal(r.revocationReason, 'done');
  assert.equal(r.token, undefined);
  const gone = await rejection(clientB.m2m.verify({ token: t.token }));
  assert.equal(gone.status, 404);
  assert.equal((await clientA.m2m.list({ subject: A.id })).totalCount, 1);
  const withRevoked = await instance.m2m.list({ subject: A.id, revoked: true });
  assert.equal(withRevoked.totalCount, 2);
  assert.equal(withRevoked.data.find((x) => x.id === t.id).revoked, true);
  // Another machine's token cannot be revoked with B's key.
  const notYours = await rejection(clientB.m2m.revokeToken({ m2mTokenId: forever.id }));
  assert.equal(notYours.status, 404);
  const byInstance = await instance.m2m.revokeToken({ m2mTokenId: forever.id });
  assert.equal(byInstance.revoked, true);
  assert.equal(byInstance.revocationReason, null);
});

test('errors come back as ClerkAPIResponseError with Clerk codes', async () => {
  const noMachineKey = await rejection(instance.m2m.createToken());
  assert.equal(noMachineKey.status, 401);
  assert.equal(noMachineKey.errors[0].code, 'machine_secret_key_invalid');
  assert.equal(
    noMachineKey.errors[0].message,
    'The provided Machine Secret Key is invalid. Make sure that your Machine Secret Key is correct.',
  );
  assert.equal(typeof noMachineKey.clerkTraceId, 'string');
  assert.ok(noMachineKey.clerkTraceId.length > 0);
  const bad = await rejection(clientA.m2m.createToken({ secondsUntilExpiration: -1 }));
  assert.equal(bad.status, 400);
  assert.equal(bad.errors[0].meta.paramName, 'seconds_until_expiration');
  const noKey = await rejection(createClerkClient({ apiUrl: url }).m2m.list({ subject: A.id }));
  assert.equal(noKey.status, 401);
  await call(url, 'POST', '/__admin/faults', {
    body: { route: 'list', count: 1, fault: { kind: 'rate_limit', retry_after: 3 } },
  });
  const limited = await rejection(clientA.m2m.list({ subject: A.id }));
  assert.equal(limited.status, 429);
  assert.equal(limited.retryAfter, 3);
});

test('minRemainingTtlSeconds reuses a live opaque token', async () => {
  const first = await clientB.m2m.createToken({ secondsUntilExpiration: 600, minRemainingTtlSeconds: 60 });
  const second = await clientB.m2m.createToken({ secondsUntilExpiration: 600, minRemainingTtlSeconds: 60 });
  assert.equal(second.id, first.id);
  assert.equal(second.token, first.token);
  const tooLong = await rejection(clientB.m2m.createToken({ secondsUntilExpiration: 600, minRemainingTtlSeconds: 600 }));
  assert.equal(tooLong.status, 400);
});

test('JWT tokens: minted by BAPI, verified locally through /v1/jwks with the instance key', async () => {
  await call(url, 'DELETE', '/__admin/requests');
  const j = await clientA.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600, claims: { tier: 'gold' } });
  assert.match(j.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.match(j.id, TOKEN_ID);
  const v = await instance.m2m.verify({ token: j.token });
  assert.equal(v.id, j.id);
  assert.equal(v.subject, A.id);
  assert.deepEqual(v.scopes, [B.id]);
  assert.equal(v.claims.tier, 'gold');
  assert.deepEqual(v.claims.aud, [B.id]);
  assert.equal(v.revoked, false);
  assert.equal(v.expired, false);
  assert.equal(v.createdAt, j.createdAt);
  assert.equal(v.expiration, j.expiration);
  const log = await requestLog();
  const jwks = log.filter((r) => r.route === 'jwks');
  assert.equal(jwks.length, 1, 'one JWKS fetch');
  assert.equal(jwks[0].path, '/v1/jwks');
  assert.equal(jwks[0].headers.authorization, `Bearer ${sk}`);
  assert.equal(jwks[0].headers['clerk-api-version'], '2026-05-12');
  assert.equal(log.filter((r) => r.route === 'verify').length, 0, 'no BAPI verify for a JWT');
  // JWTs are not stored.
  assert.equal((await clientA.m2m.list({ subject: A.id, revoked: true, expired: true })).data.some((x) => x.id === j.id), false);

  // After a rotation the new kid is unknown to the SDK's cache: it refetches and verifies.
  const rotated = (await call(url, 'POST', '/__admin/rotate-key', { body: { drop_old: false } })).json;
  const j2 = await clientB.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 60 });
  assert.equal(JSON.parse(Buffer.from(j2.token.split('.')[0], 'base64url')).kid, rotated.kid);
  const v2 = await instance.m2m.verify({ token: j2.token });
  assert.equal(v2.subject, B.id);
  assert.deepEqual(v2.scopes, [A.id]);
  // The old token still verifies: its key stays published until dropped.
  assert.equal((await instance.m2m.verify({ token: j.token })).id, j.id);

  // Time travel past exp: the SDK rejects the JWT as expired (its clock is real; the token is old).
  await call(url, 'POST', '/__admin/clock', { body: { offset_ms: -3_600_000 } });
  const stale = await clientA.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 60 });
  await call(url, 'POST', '/__admin/clock', { body: { offset_ms: 0 } });
  const expired = await rejection(instance.m2m.verify({ token: stale.token }));
  assert.equal(expired.code, 'token-verification-failed');
  assert.match(expired.message, /JWT is expired/);
});

test('authenticateRequest with acceptsToken m2m_token enforces scopes through BAPI verify', async () => {
  const receiver = createClerkClient({ secretKey: sk, machineSecretKey: B.secretKey, apiUrl: url });
  const scoped = await clientA.m2m.createToken({ secondsUntilExpiration: 1800 });
  const unscoped = await clientC.m2m.createToken({ secondsUntilExpiration: 1800 });
  const req = (token) => new Request('http://app.test/api', { headers: { authorization: `Bearer ${token}` } });
  const ok = await receiver.authenticateRequest(req(scoped.token), { acceptsToken: 'm2m_token' });
  assert.equal(ok.isAuthenticated, true);
  const auth = ok.toAuth();
  assert.equal(auth.subject, A.id);
  assert.equal(auth.machineId, A.id);
  assert.equal(auth.tokenType, 'm2m_token');
  const no = await receiver.authenticateRequest(req(unscoped.token), { acceptsToken: 'm2m_token' });
  assert.equal(no.isAuthenticated, false);
  assert.equal(no.reason, 'token-invalid');
  assert.equal(no.message, 'Machine token not found (code=token-invalid, status=404)');
  const jwt = await clientA.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 1800 });
  const viaJwt = await receiver.authenticateRequest(req(jwt.token), { acceptsToken: 'm2m_token' });
  assert.equal(viaJwt.isAuthenticated, true);
  assert.equal(viaJwt.toAuth().subject, A.id);
});
