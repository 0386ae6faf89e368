// Side by side: the published @clerk/backend and this package make the same Backend API requests and return the
// same results for the nine `machines.*` calls, against the local Backend API (its request log records both).
// Results and request bodies are compared as `JSON.stringify` text, so key order counts. The differences are the
// ones docs/compat.md lists ("Machines"), each asserted here as such.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClerkClient as createReference } from '@clerk/backend';
import { admin, assertSameJson, localBapi, plain, requestsDuring, root } from './context.mjs';

const ours = await import(`${root}/pkg/node.mjs`);
let ctx;
/** This file's machines: names start with it, so `query` lists only them whatever else the server holds. */
const PREFIX = `conf-machines-${process.pid}-`;
const made = [];
before(async () => {
  ctx = await localBapi();
});
after(async () => {
  const [, edge] = clients();
  for (const id of made) await edge.machines.delete(id).catch(() => {});
  await ctx.stop();
});

const clients = (options = { secretKey: ctx.secretKey }) => [
  createReference({ apiUrl: ctx.url, ...options }),
  ours.createClerkClient({ apiUrl: ctx.url, ...options }),
];

/** The parts of a logged request both clients must agree on (User-Agent names each client, by design). */
function wire(r) {
  const h = r.headers;
  return { method: r.method, path: r.path, query: r.query, body: r.body === null || r.body === '' ? null : r.body,
    authorization: h.authorization, clerkApiVersion: h['clerk-api-version'], contentType: h['content-type'] };
}

/** `call(client)` through each client in turn: the machines requests each made, and its result as plain JSON. */
async function both(call, options) {
  const [reference, edge] = clients(options);
  const run = async (client) => {
    const { value, requests } = await requestsDuring(ctx, () => call(client).catch((error) => ({ error })));
    return { value, requests: requests.filter((r) => r.route?.startsWith('machines.')) };
  };
  const a = await run(reference);
  const b = await run(edge);
  for (const r of [...a.requests.slice(0, 1), ...b.requests.slice(0, 1)]) assert.equal(r.headers['clerk-api-version'], '2026-05-12');
  if (a.requests[0]) assert.match(a.requests[0].headers['user-agent'], /^@clerk\/backend@/);
  if (b.requests[0]) assert.match(b.requests[0].headers['user-agent'], /^clerk-m2m-edge@/);
  return { a, b };
}

/** Same requests and the same result; returns the result. */
async function same(call, message, options) {
  const { a, b } = await both(call, options);
  assert.ok(!a.value?.error, `the reference failed: ${a.value?.error}`);
  assertSameJson(b.requests.map(wire), a.requests.map(wire), `${message}: same requests on the wire`);
  assertSameJson(plain(b.value), plain(a.value), `${message}: same result`);
  return plain(b.value);
}

/** `value` with `to` for every `from` (ids that differ by construction) and the volatile fields blanked. */
function normalised(value, replacements = []) {
  let text = JSON.stringify(value);
  for (const [from, to] of replacements) text = text.split(from).join(to);
  return JSON.parse(text, (key, v) => (['createdAt', 'updatedAt'].includes(key) ? typeof v : key === 'secretKey' || key === 'secret' ? typeof v : v));
}

const machine = async (name, params = {}) => {
  const [, edge] = clients();
  const m = await edge.machines.create({ name: `${PREFIX}${name}`, ...params });
  made.push(m.id);
  return m;
};

test('get, getSecretKey: same request and result', async () => {
  const target = await machine('get-target');
  const m = await machine('get', { scopedMachines: [target.id], defaultTokenTtl: 120 });
  const got = await same((c) => c.machines.get(m.id), 'get');
  assert.deepEqual(Object.keys(got), ['id', 'name', 'instanceId', 'createdAt', 'updatedAt', 'scopedMachines', 'defaultTokenTtl']);
  // A seeded machine: no default_token_ttl on the wire, so neither result has the key.
  const seeded = await same((c) => c.machines.get(ctx.machines[0].id), 'get (seeded)');
  assert.equal('defaultTokenTtl' in seeded, false);
  assertSameJson(await same((c) => c.machines.getSecretKey(m.id), 'getSecretKey'), { secret: m.secretKey });
});

test('list: same query and the same page, for every parameter and their order', async () => {
  for (const name of ['list-b', 'list-a', 'list-c']) await machine(name);
  const query = `${PREFIX}list-`;
  for (const params of [{ query }, { query, limit: 2, offset: 1 }, { offset: 1, limit: 2, query }, { query, orderBy: '+name' },
    { orderBy: '-name', query, limit: 1, offset: 0 }, { query, orderBy: 'created_at' }, { query, order_by: '-created_at' },
    { query, limit: 500 }, { query: ctx.machines[1].id }]) {
    await same((c) => c.machines.list(params), `list ${JSON.stringify(params)}`);
  }
  // No params, or empty ones: no query string at all (the whole instance, so only the requests are compared).
  for (const params of [undefined, {}, { query: '', offset: 0 }]) {
    const { a, b } = await both((c) => c.machines.list(params));
    assertSameJson(b.requests.map(wire), a.requests.map(wire), `list ${JSON.stringify(params)}`);
    assert.equal(a.requests[0].query, '');
    assert.deepEqual(Object.keys(plain(b.value)), ['data', 'totalCount']);
  }
});

test('create: same body (the caller\'s key order, camelCase or snake_case) and the same machine', async () => {
  const target = await machine('create-target');
  for (const params of [{}, { scopedMachines: [target.id], defaultTokenTtl: 900 }, { defaultTokenTtl: 60, scopedMachines: [] },
    { scoped_machines: [target.id], default_token_ttl: 7200 }]) {
    const name = `${PREFIX}create`;
    const { a, b } = await both((c) => c.machines.create({ ...params, name }));
    made.push(a.value.id, b.value.id);
    assertSameJson(b.requests.map(wire), a.requests.map(wire), `create ${JSON.stringify(params)}: same requests`);
    assert.ok(a.requests[0].body.startsWith('{'));
    assertSameJson(normalised(plain(b.value), [[b.value.id, a.value.id]]), normalised(plain(a.value)), `create ${JSON.stringify(params)}`);
    assert.match(b.value.secretKey, /^ak_/);
  }
});

test('update: same body (none when there is nothing to change) and the same machine', async () => {
  const m = await machine('update');
  for (const params of [{ name: `${PREFIX}update-2` }, { defaultTokenTtl: 30 }, { defaultTokenTtl: 45, name: `${PREFIX}update-3` }, {}]) {
    const { a, b } = await both((c) => c.machines.update({ machineId: m.id, ...params }));
    assertSameJson(b.requests.map(wire), a.requests.map(wire), `update ${JSON.stringify(params)}: same requests`);
    assertSameJson(normalised(plain(b.value)), normalised(plain(a.value)), `update ${JSON.stringify(params)}`);
  }
});

test('rotateSecretKey: same request, a new secret each time', async () => {
  const m = await machine('rotate');
  for (const previousTokenTtl of [0, 30]) {
    const { a, b } = await both((c) => c.machines.rotateSecretKey({ machineId: m.id, previousTokenTtl }));
    assertSameJson(b.requests.map(wire), a.requests.map(wire));
    assertSameJson(normalised(plain(b.value)), normalised(plain(a.value)));
    assert.notEqual(b.value.secret, a.value.secret);
  }
});

test('createScope: same request and result; deleteScope: same request, and ours keeps the scope\'s ids', async () => {
  const target = await machine('scope-target');
  const [fromA, fromB] = [await machine('scope-a'), await machine('scope-b')];
  let turn = 0;
  const from = () => (turn++ % 2 === 0 ? fromA : fromB).id;
  const created = await both((c) => c.machines.createScope(from(), target.id));
  assertSameJson(created.b.requests.map(wire), created.a.requests.map(wire).map((r) => ({ ...r, path: r.path.replace(fromA.id, fromB.id) })));
  assertSameJson(normalised(plain(created.b.value), [[fromB.id, fromA.id]]), normalised(plain(created.a.value)));
  assert.deepEqual(Object.keys(plain(created.b.value)), ['fromMachineId', 'toMachineId', 'createdAt']);

  const deleted = await both((c) => c.machines.deleteScope(from(), target.id));
  assertSameJson(deleted.b.requests.map(wire), deleted.a.requests.map(wire).map((r) => ({ ...r, path: r.path.replace(fromA.id, fromB.id) })));
  // docs/compat.md: the spec's MachineScope.Deleted has `object` and `deleted`, so the reference makes it a
  // DeletedObject and drops both ids; ours is the MachineScope its types promise.
  assertSameJson(plain(deleted.a.value), { object: 'machine_scope', id: null, slug: null, deleted: true });
  assertSameJson(plain(deleted.b.value), { fromMachineId: fromB.id, toMachineId: target.id, deleted: true });
});

test('delete: same request and the same DeletedObject', async () => {
  const [x, y] = [await machine('delete-x'), await machine('delete-y')];
  let turn = 0;
  const { a, b } = await both((c) => c.machines.delete(turn++ === 0 ? x.id : y.id));
  assertSameJson(b.requests.map(wire), a.requests.map(wire).map((r) => ({ ...r, path: r.path.replace(x.id, y.id) })));
  assertSameJson(plain(b.value), { ...plain(a.value), id: y.id });
  assertSameJson(plain(a.value), { object: 'machine', id: x.id, slug: null, deleted: true });
});

const apiError = (e) => ({ name: e.constructor.name.replace(/^_/, ''), status: e.status, errors: e.errors?.map((x) => [x.code, x.message, x.longMessage, x.meta]) });

test('errors: the same 404, 401 and 409, with the same codes and messages', async () => {
  const nobody = `mch_${'1'.repeat(27)}`;
  const m = await machine('errors');
  for (const [label, call, options] of [
    ['get 404', (c) => c.machines.get(nobody)],
    ['update 404', (c) => c.machines.update({ machineId: nobody, name: 'x' })],
    ['getSecretKey 404', (c) => c.machines.getSecretKey(nobody)],
    ['deleteScope 404', (c) => c.machines.deleteScope(m.id, nobody)],
    ['createScope 409', (c) => c.machines.createScope(ctx.machines[0].id, ctx.machines[1].id)],
    ['list 401, a machine key as secretKey', (c) => c.machines.list(), { secretKey: ctx.machines[0].secretKey }],
    ['create 401', (c) => c.machines.create({ name: 'x' }), { secretKey: 'sk_test_unknown' }],
  ]) {
    const { a, b } = await both(call, options);
    assert.ok(a.value.error && b.value.error, `${label}: both fail`);
    assertSameJson(b.requests.map(wire), a.requests.map(wire), `${label}: same requests`);
    assertSameJson(apiError(b.value.error), apiError(a.value.error), label);
    assert.equal(b.value.error.name, 'ClerkAPIResponseError');
  }
});

test('documented differences: checks before any request, errors as classes, reads retried', async () => {
  // An empty id: the reference's `requireId` Error, ours a TypeError starting with the same text; neither sends.
  const empty = await both((c) => c.machines.get(''));
  assert.deepEqual([empty.a.requests.length, empty.b.requests.length], [0, 0]);
  assert.equal(empty.a.value.error.message, 'A valid resource ID is required.');
  assert.ok(empty.b.value.error instanceof TypeError);
  assert.ok(empty.b.value.error.message.startsWith('A valid resource ID is required'));
  // No instance key: the same message; ours is a ClerkConfigurationError.
  const keyless = await both((c) => c.machines.list(), { machineSecretKey: ctx.machines[0].secretKey });
  assert.deepEqual([keyless.a.requests.length, keyless.b.requests.length], [0, 0]);
  assert.equal(keyless.b.value.error.message, keyless.a.value.error.message);
  assert.equal(keyless.b.value.error.name, 'ClerkConfigurationError');
  // Out of the spec's range: the reference sends it and gets the Backend API's 422, ours refuses it first.
  const ttl = await both((c) => c.machines.create({ name: `${PREFIX}bad`, defaultTokenTtl: 0 }));
  assert.equal(ttl.a.value.error.status, 422);
  assert.equal(ttl.a.value.error.errors[0].meta.paramName, 'default_token_ttl');
  assert.ok(ttl.b.value.error instanceof TypeError);
  assert.equal(ttl.b.requests.length, 0);
  // A 503 on a read: the reference fails at once, ours retries (as m2m.list).
  const query = `${PREFIX}none`;
  await admin(ctx, 'POST', '/faults', { route: 'machines.list', fault: { kind: 'status', status: 503 }, count: 1 });
  const [reference, edge] = clients();
  const a = await requestsDuring(ctx, () => reference.machines.list({ query }).catch((e) => e));
  await admin(ctx, 'POST', '/faults', { route: 'machines.list', fault: { kind: 'status', status: 503 }, count: 1 });
  const b = await requestsDuring(ctx, () => edge.machines.list({ query }));
  assert.equal(a.value.status, 503);
  assert.deepEqual(plain(b.value), { data: [], totalCount: 0 });
  assert.equal(b.requests.filter((r) => r.route === 'machines.list').length, 2);
});
