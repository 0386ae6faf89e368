// Side by side: the published @clerk/backend and this package make the same Backend API requests and return the
// same results for the four M2M calls, against the local Backend API. Differences are the ones docs/compat.md
// lists, asserted here as such. Results and request bodies are compared as `JSON.stringify` text, so key order
// counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClerkClient as createReference } from '@clerk/backend';
import { admin, assertSameJson, localBapi, plain, requestsDuring, root } from './context.mjs';

const ours = await import(`${root}/pkg/node.mjs`);
let ctx, sender, receiver;
before(async () => {
  ctx = await localBapi();
  receiver = await admin(ctx, 'POST', '/machines', { name: 'conf-receiver' });
  sender = await admin(ctx, 'POST', '/machines', { name: 'conf-sender', scopes: [receiver.id] });
});
after(() => ctx.stop());

const clients = (options) => [createReference({ apiUrl: ctx.url, ...options }), ours.createClerkClient({ apiUrl: ctx.url, ...options })];

/** The parts of a logged request both clients must agree on (User-Agent names each client, by design). */
function wire(r) {
  const h = r.headers;
  // The body as sent, so that its key order counts.
  return { method: r.method, path: r.path, query: r.query, body: r.body === null || r.body === '' ? null : r.body,
    authorization: h.authorization, clerkApiVersion: h['clerk-api-version'], contentType: h['content-type'] };
}

async function sideBySide(call) {
  const [reference, edge] = clients({ machineSecretKey: sender.secretKey, secretKey: ctx.secretKey });
  const a = await requestsDuring(ctx, () => call(reference));
  const b = await requestsDuring(ctx, () => call(edge));
  assertSameJson(b.requests.map(wire), a.requests.map(wire), 'same requests on the wire');
  assert.match(a.requests[0].headers['user-agent'], /^@clerk\/backend@/);
  assert.match(b.requests[0].headers['user-agent'], /^clerk-m2m-edge@/);
  return [plain(a.value), plain(b.value)];
}

const tokenShape = (t) => ({ ...t, id: typeof t.id, token: typeof t.token, createdAt: typeof t.createdAt, updatedAt: typeof t.updatedAt,
  expiration: t.expiration === null ? null : typeof t.expiration });

test('createToken: same body and same result shape (opaque, jwt, claims, expiry, reuse)', async () => {
  for (const params of [undefined, { tokenFormat: 'jwt' }, { claims: { userId: 1, nested_key: { innerKey: 2 } }, secondsUntilExpiration: 60 },
    { claims: { role: 'service', nested_key: { z: 1, a: [{ y: 1, b: 2 }] }, aa: 0 }, tokenFormat: 'jwt' },
    { secondsUntilExpiration: 3600, minRemainingTtlSeconds: null }]) {
    const [a, b] = await sideBySide((c) => c.m2m.createToken(params));
    assertSameJson(tokenShape(b), tokenShape(a), JSON.stringify(params));
  }
});

test('list: same query and the same page', async () => {
  for (const params of [{ subject: sender.id }, { subject: sender.id, revoked: true, expired: true }, { subject: sender.id, limit: 2, offset: 1 },
    { subject: sender.id, revoked: false, offset: 0 }]) {
    const [a, b] = await sideBySide((c) => c.m2m.list(params));
    assertSameJson(b, a, JSON.stringify(params));
  }
});

test('revokeToken: same path, body and result', async () => {
  const [reference] = clients({ machineSecretKey: sender.secretKey });
  const t1 = await reference.m2m.createToken();
  const t2 = await reference.m2m.createToken();
  const [ref, edge] = clients({ machineSecretKey: sender.secretKey });
  const a = await requestsDuring(ctx, () => ref.m2m.revokeToken({ m2mTokenId: t1.id, revocationReason: 'conformance' }));
  const b = await requestsDuring(ctx, () => edge.m2m.revokeToken({ m2mTokenId: t2.id, revocationReason: 'conformance' }));
  assertSameJson(wire(b.requests[0]), { ...wire(a.requests[0]), path: `/m2m_tokens/${t2.id}/revoke` });
  assertSameJson({ ...plain(b.value), id: t1.id, createdAt: 0, updatedAt: 0 }, { ...plain(a.value), createdAt: 0, updatedAt: 0 });
});

test('verify (opaque): same request and result', async () => {
  const [reference] = clients({ machineSecretKey: sender.secretKey });
  const t = await reference.m2m.createToken({ claims: { foo: 'bar' } });
  const [ref, edge] = clients({ machineSecretKey: receiver.secretKey });
  const a = await requestsDuring(ctx, () => ref.m2m.verify({ token: t.token }));
  const b = await requestsDuring(ctx, () => edge.m2m.verify({ token: t.token }));
  assertSameJson(b.requests.map(wire), a.requests.map(wire));
  assertSameJson(plain(b.value), plain(a.value));
});

test('errors: same status, codes and messages for 401s; ours has a message where the reference may not', async () => {
  const [ref, edge] = clients({ secretKey: ctx.secretKey });
  const a = await ref.m2m.createToken().catch((e) => e);
  const b = await edge.m2m.createToken().catch((e) => e);
  assert.equal(a.constructor.name.replace(/^_/, ''), 'ClerkAPIResponseError');
  assert.equal(b.name, 'ClerkAPIResponseError');
  for (const k of ['status', 'clerkTraceId', 'code']) assert.equal(typeof b[k], typeof a[k], k);
  assert.equal(b.status, a.status);
  assert.deepEqual(b.errors.map((e) => [e.code, e.message, e.longMessage]), a.errors.map((e) => [e.code, e.message, e.longMessage]));
  assert.equal(b.message, 'Unauthorized');
});
