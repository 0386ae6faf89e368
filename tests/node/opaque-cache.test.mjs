// Opaque tokens against a real local Backend API: concurrent identical verifications share one
// `POST /m2m_tokens/verify`, a 404 is cached negatively (`opaqueNegativeCacheTtlMs`, default 60 s), transient
// failures are not, and the positive cache (`opaqueTokenCacheTtlMs`) is off unless set (docs/compat.md).
//
// Runs its own local Backend API: it injects latency and faults, and reads the request log. The flood runs in Node
// and, as concurrent requests to one Worker (one isolate, one module-scope client), in workerd (miniflare).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './context.mjs';
import { bundleWorker, installPacked, startWorker } from './packed.mjs';
import { ownBapi } from './reliability-bapi.mjs';

const ours = await import(`${root}/pkg/node.mjs`);
const { ClerkAPIResponseError } = ours;

let ctx, A, B, setup;
before(async () => {
  ctx = await ownBapi(43);
  [A, B] = ctx.machines;
  setup = ours.createClerkClient({ apiUrl: ctx.url, machineSecretKey: A.secretKey });
});
after(async () => {
  await ctx?.admin('DELETE', '/faults').catch(() => {});
  await ctx?.stop();
});

const verifies = (requests) => requests.filter((r) => r.route === 'verify').length;
// Tokens are created by machine A and verified by machine B (A's tokens are granted to B).
const client = (extra = {}) => ours.createClerkClient({ apiUrl: ctx.url, machineSecretKey: B.secretKey, ...extra });
let n = 0;
const unknown = () => `mt_unknown_${process.pid}_${++n}_xxxxxxxxxxxxxxxxxxxx`;

test('30 identical unknown + 20 identical valid opaque tokens in flight make at most 2 verify requests', async () => {
  const valid = (await setup.m2m.createToken()).token;
  const bad = unknown();
  const c = client();
  await ctx.admin('POST', '/faults', { route: 'verify', fault: { kind: 'latency', ms: 50 } });
  try {
    const { value, requests } = await ctx.requestsDuring(() => Promise.allSettled([
      ...Array.from({ length: 30 }, () => c.m2m.verify({ token: bad })),
      ...Array.from({ length: 20 }, () => c.m2m.verify({ token: valid })),
    ]));
    assert.ok(verifies(requests) <= 2, `${verifies(requests)} verify requests`);
    const rejected = value.slice(0, 30);
    const fulfilled = value.slice(30);
    assert.ok(rejected.every((r) => r.status === 'rejected' && r.reason instanceof ClerkAPIResponseError && r.reason.status === 404));
    assert.ok(fulfilled.every((r) => r.status === 'fulfilled' && r.value.subject === A.id));
  } finally {
    await ctx.admin('DELETE', '/faults');
  }
});

test('an unknown token verified twice within the window makes one request and fails the same way', async () => {
  const c = client();
  const bad = unknown();
  const { value: [first, second], requests } = await ctx.requestsDuring(async () => [
    await c.m2m.verify({ token: bad }).catch((e) => e),
    await c.m2m.verify({ token: bad }).catch((e) => e),
  ]);
  assert.equal(verifies(requests), 1);
  for (const e of [first, second]) assert.ok(e instanceof ClerkAPIResponseError && e.status === 404, String(e));
  assert.equal(second.message, first.message);
  assert.deepEqual(second.errors, first.errors);
});

test('opaqueNegativeCacheTtlMs: 0 turns the negative cache off; a 503 is never cached', async () => {
  const off = client({ opaqueNegativeCacheTtlMs: 0 });
  const bad = unknown();
  let { requests } = await ctx.requestsDuring(async () => {
    await off.m2m.verify({ token: bad }).catch(() => {});
    await off.m2m.verify({ token: bad }).catch(() => {});
  });
  assert.equal(verifies(requests), 2);

  const c = client();
  const other = unknown();
  await ctx.admin('POST', '/faults', { route: 'verify', count: 1, fault: { kind: 'status', status: 503 } });
  let first, second;
  ({ requests } = await ctx.requestsDuring(async () => {
    first = await c.m2m.verify({ token: other }).catch((e) => e);
    second = await c.m2m.verify({ token: other }).catch((e) => e);
  }));
  assert.equal(first.status, 503);
  assert.equal(second.status, 404);
  assert.equal(verifies(requests), 2);
});

test('the positive cache is off by default and on with opaqueTokenCacheTtlMs', async () => {
  const valid = (await setup.m2m.createToken()).token;
  const twice = async (c) => (await ctx.requestsDuring(async () => {
    await c.m2m.verify({ token: valid });
    await c.m2m.verify({ token: valid });
  })).requests;
  assert.equal(verifies(await twice(client())), 2);
  assert.equal(verifies(await twice(client({ opaqueTokenCacheTtlMs: 60_000 }))), 1);
});

test('the options are validated with a TypeError naming them', () => {
  for (const key of ['opaqueNegativeCacheTtlMs', 'opaqueTokenCacheTtlMs']) {
    for (const bad of [-1, 1.5, '10', Infinity]) {
      assert.throws(() => client({ [key]: bad }), (e) => e instanceof TypeError && e.message.includes(key), `${key}: ${bad}`);
    }
  }
});

test('the same flood through a Worker in workerd: one isolate, concurrent requests, at most 2 verify requests', async () => {
  const dir = installPacked('clerk-m2m-opaque-cache-');
  let mf;
  try {
    const out = join(dir, 'dist');
    mkdirSync(out);
    writeFileSync(join(dir, 'entry.mjs'), [
      "import { createClerkClient } from 'clerk-m2m-edge';",
      'let client;',
      'export default {',
      '  async fetch(request, env) {',
      '    client ??= createClerkClient({ apiUrl: env.CLERK_API_URL, machineSecretKey: env.CLERK_MACHINE_SECRET_KEY });',
      "    const token = new URL(request.url).searchParams.get('token');",
      '    try {',
      '      const t = await client.m2m.verify({ token });',
      '      return Response.json({ subject: t.subject });',
      '    } catch (e) {',
      '      return Response.json({ status: e.status ?? null, name: e.name }, { status: 401 });',
      '    }',
      '  },',
      '};',
    ].join('\n'));
    await bundleWorker(join(dir, 'entry.mjs'), out);
    mf = await startWorker(out, { bindings: { CLERK_API_URL: ctx.url, CLERK_MACHINE_SECRET_KEY: B.secretKey } });
    const valid = (await setup.m2m.createToken()).token;
    const bad = unknown();
    const call = async (token) => {
      const res = await mf.dispatchFetch(`http://opaque.test/?token=${encodeURIComponent(token)}`);
      return { status: res.status, body: await res.json() };
    };
    // Warm the isolate (and its client) first, so that the flood meets one module-scope client.
    await call(unknown());
    await ctx.admin('POST', '/faults', { route: 'verify', fault: { kind: 'latency', ms: 50 } });
    let value, requests;
    try {
      ({ value, requests } = await ctx.requestsDuring(() => Promise.all([
        ...Array.from({ length: 30 }, () => call(bad)),
        ...Array.from({ length: 20 }, () => call(valid)),
      ])));
    } finally {
      await ctx.admin('DELETE', '/faults');
    }
    assert.ok(value.slice(0, 30).every((r) => r.status === 401 && r.body.status === 404), JSON.stringify(value.slice(0, 30)));
    assert.ok(value.slice(30).every((r) => r.status === 200 && r.body.subject === A.id), JSON.stringify(value.slice(30)));
    assert.ok(verifies(requests) <= 2, `${verifies(requests)} verify requests`);
  } finally {
    await mf?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
