// Compatibility: the published @clerk/backend 3.25.0's `clerkClient.machines.*` against the local Backend API's
// `/v1/machines…` routes, through `apiUrl`, and what those routes do to the M2M tokens of `clerkClient.m2m`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClerkClient } from '@clerk/backend';
import { START_TIMEOUT_MS, startBapi, call } from './bapi-process.mjs';

const MACHINE_ID = /^mch_\w{27}$/;
/** Every method of @clerk/backend's MachineApi; the last test checks that each one reached the server. */
const METHODS = ['create', 'createScope', 'delete', 'deleteScope', 'get', 'getSecretKey', 'list', 'rotateSecretKey', 'update'];

let bapi;
let url;
let sk;
let A;
let B;
let C;
let instance;

before(
  async () => {
    bapi = await startBapi();
    ({ url, secretKey: sk } = bapi.info);
    [A, B, C] = bapi.info.machines;
    instance = createClerkClient({ secretKey: sk, apiUrl: url });
  },
  { timeout: START_TIMEOUT_MS },
);
after(async () => {
  assert.equal(await bapi?.stop(), 0);
});

/** A client that authenticates with a machine secret key (for `m2m.*`). */
const asMachine = (machineSecretKey) => createClerkClient({ machineSecretKey, apiUrl: url });

/** The @clerk/backend resource class of a result (its bundle names them `_Machine`, `_MachineScope`, …). */
const className = (value) => value.constructor.name.replace(/^_/, '');

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

async function advanceClock(ms) {
  const res = await call(url, 'POST', '/__admin/clock', { body: { advance_ms: ms } });
  assert.equal(res.status, 200, res.text);
}

test('MachineApi has the methods this file covers', () => {
  const names = Object.getOwnPropertyNames(Object.getPrototypeOf(instance.machines)).filter((n) => n !== 'constructor');
  assert.deepEqual(names.sort(), METHODS);
});

test('create, get, list, update, delete', async () => {
  const before = Date.now();
  const m = await instance.machines.create({ name: 'orders-api', scopedMachines: [A.id], defaultTokenTtl: 900 });
  assert.match(m.id, MACHINE_ID);
  assert.equal(m.name, 'orders-api');
  assert.equal(m.instanceId, bapi.info.instanceId);
  assert.match(m.instanceId, /^ins_/);
  assert.ok(m.createdAt >= before - 1000 && m.createdAt <= Date.now() + 1000, `${m.createdAt}`);
  assert.equal(m.updatedAt, m.createdAt);
  assert.equal(m.defaultTokenTtl, 900);
  assert.match(m.secretKey, /^ak_/);
  assert.equal(m.scopedMachines.length, 1);
  assert.equal(m.scopedMachines[0].id, A.id);
  assert.equal(m.scopedMachines[0].name, 'machine-a');
  assert.deepEqual(m.scopedMachines[0].scopedMachines, []);
  assert.equal(className(m), 'Machine');

  const got = await instance.machines.get(m.id);
  assert.equal(got.id, m.id);
  assert.equal(got.secretKey, undefined, 'only the create response has the secret key');
  assert.deepEqual(
    got.scopedMachines.map((x) => x.id),
    [A.id],
  );
  // Without defaultTokenTtl: the spec's 3600 s.
  const plain = await instance.machines.create({ name: 'Orders worker' });
  assert.equal(plain.defaultTokenTtl, 3600);
  assert.deepEqual(plain.scopedMachines, []);

  const all = await instance.machines.list();
  assert.equal(all.totalCount, 5);
  assert.deepEqual(
    all.data.slice(0, 2).map((x) => x.id),
    [plain.id, m.id],
    'newest first',
  );
  assert.ok(all.data.every((x) => className(x) === 'Machine'));
  const orders = await instance.machines.list({ query: 'ORDERS', orderBy: '+name' });
  assert.equal(orders.totalCount, 2);
  assert.deepEqual(
    orders.data.map((x) => x.name),
    ['Orders worker', 'orders-api'],
    'case ignored: "orders " sorts before "orders-"',
  );
  const byName = await instance.machines.list({ orderBy: '-name', limit: 2, offset: 1 });
  assert.equal(byName.totalCount, 5);
  assert.deepEqual(
    byName.data.map((x) => x.name),
    ['Orders worker', 'machine-c'],
  );
  const exact = await instance.machines.list({ query: A.id });
  assert.deepEqual(
    exact.data.map((x) => x.id),
    [A.id],
  );
  const oldest = await instance.machines.list({ orderBy: 'created_at', limit: 1 });
  assert.equal(oldest.data[0].id, A.id);

  const renamed = await instance.machines.update({ machineId: plain.id, name: 'orders-worker' });
  assert.equal(renamed.name, 'orders-worker');
  assert.equal(renamed.defaultTokenTtl, 3600);
  const ttl = await instance.machines.update({ machineId: plain.id, defaultTokenTtl: 60 });
  assert.equal(ttl.name, 'orders-worker');
  assert.equal(ttl.defaultTokenTtl, 60);
  const token = await asMachine(plain.secretKey).m2m.createToken();
  assert.equal(token.expiration - token.createdAt, 60_000, 'the default TTL when secondsUntilExpiration is null');

  const deleted = await instance.machines.delete(plain.id);
  assert.equal(className(deleted), 'DeletedObject');
  assert.equal(deleted.object, 'machine');
  assert.equal(deleted.id, plain.id);
  assert.equal(deleted.deleted, true);
  const gone = await rejection(instance.machines.get(plain.id));
  assert.equal(gone.status, 404);
  assert.equal(gone.errors[0].code, 'resource_not_found');
  assert.equal((await instance.machines.list()).totalCount, 4);
  await instance.machines.delete(m.id);
});

test('a created machine mints at once; its scopes decide who may verify its tokens', async () => {
  const receiver = await instance.machines.create({ name: 'receiver' });
  const sender = await instance.machines.create({ name: 'sender', scopedMachines: [receiver.id] });
  const bystander = await instance.machines.create({ name: 'bystander' });

  const t = await asMachine(sender.secretKey).m2m.createToken({ secondsUntilExpiration: 300 });
  assert.equal(t.subject, sender.id);
  assert.deepEqual(t.scopes, [receiver.id]);
  const v = await asMachine(receiver.secretKey).m2m.verify({ token: t.token });
  assert.equal(v.subject, sender.id);
  const denied = await rejection(asMachine(bystander.secretKey).m2m.verify({ token: t.token }));
  assert.equal(denied.status, 404);

  // A JWT names the scoped machines in aud; @clerk/backend verifies it locally with the instance key.
  const jwt = await asMachine(sender.secretKey).m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 300 });
  const local = await instance.m2m.verify({ token: jwt.token });
  assert.equal(local.subject, sender.id);
  assert.deepEqual(local.scopes, [receiver.id]);
  assert.deepEqual(local.claims.aud, [receiver.id]);

  // authenticateRequest on the receiver, as a service would.
  const service = createClerkClient({ secretKey: sk, machineSecretKey: receiver.secretKey, apiUrl: url });
  const req = (token) => new Request('http://svc.test/', { headers: { authorization: `Bearer ${token}` } });
  const ok = await service.authenticateRequest(req(t.token), { acceptsToken: 'm2m_token' });
  assert.equal(ok.isAuthenticated, true);
  assert.equal(ok.toAuth().machineId, sender.id);

  // Deleting the sender: it cannot mint any more, and its tokens no longer verify.
  await instance.machines.delete(sender.id);
  const cannotMint = await rejection(asMachine(sender.secretKey).m2m.createToken());
  assert.equal(cannotMint.status, 401);
  assert.equal(cannotMint.errors[0].code, 'machine_secret_key_invalid');
  const after = await service.authenticateRequest(req(t.token), { acceptsToken: 'm2m_token' });
  assert.equal(after.isAuthenticated, false);
  assert.equal(after.reason, 'token-invalid');
  await instance.machines.delete(receiver.id);
  await instance.machines.delete(bystander.id);
});

test('createScope and deleteScope', async () => {
  const target = await instance.machines.create({ name: 'target' });
  const before = Date.now();
  const scope = await instance.machines.createScope(C.id, target.id);
  assert.equal(className(scope), 'MachineScope');
  assert.equal(scope.fromMachineId, C.id);
  assert.equal(scope.toMachineId, target.id);
  assert.ok(scope.createdAt >= before - 1000, `${scope.createdAt}`);
  assert.deepEqual(
    (await instance.machines.get(C.id)).scopedMachines.map((x) => x.id),
    [target.id],
  );
  const t = await asMachine(C.secretKey).m2m.createToken({ secondsUntilExpiration: 600 });
  assert.deepEqual(t.scopes, [target.id]);
  assert.equal((await asMachine(target.secretKey).m2m.verify({ token: t.token })).id, t.id);

  const dup = await rejection(instance.machines.createScope(C.id, target.id));
  assert.equal(dup.status, 409);
  assert.equal(dup.errors[0].code, 'duplicate_record');
  const unknown = await rejection(instance.machines.createScope(C.id, `mch_${'0'.repeat(27)}`));
  assert.equal(unknown.status, 404);

  // The spec's MachineScope.Deleted has `object` and `deleted`, so @clerk/backend makes it a DeletedObject.
  const removed = await instance.machines.deleteScope(C.id, target.id);
  assert.equal(className(removed), 'DeletedObject');
  assert.equal(removed.object, 'machine_scope');
  assert.equal(removed.deleted, true);
  const log = (await call(url, 'GET', '/__admin/requests')).json;
  const last = log.filter((r) => r.route === 'machines.delete_scope').at(-1);
  assert.equal(last.method, 'DELETE');
  assert.equal(last.path, `/v1/machines/${C.id}/scopes/${target.id}`);
  // The removal reaches the token minted before: the target may no longer verify it.
  const denied = await rejection(asMachine(target.secretKey).m2m.verify({ token: t.token }));
  assert.equal(denied.status, 404);
  assert.deepEqual((await asMachine(C.secretKey).m2m.createToken()).scopes, []);
  const again = await rejection(instance.machines.deleteScope(C.id, target.id));
  assert.equal(again.status, 404);
  await instance.machines.delete(target.id);
});

test('getSecretKey and rotateSecretKey, with the old key valid for previousTokenTtl seconds', async () => {
  const m = await instance.machines.create({ name: 'rotating' });
  const current = await instance.machines.getSecretKey(m.id);
  assert.equal(className(current), 'MachineSecretKey');
  assert.equal(current.secret, m.secretKey);
  assert.equal((await instance.machines.getSecretKey(A.id)).secret, A.secretKey);

  const rotated = await instance.machines.rotateSecretKey({ machineId: m.id, previousTokenTtl: 30 });
  assert.equal(className(rotated), 'MachineSecretKey');
  assert.match(rotated.secret, /^ak_/);
  assert.notEqual(rotated.secret, m.secretKey);
  assert.equal((await instance.machines.getSecretKey(m.id)).secret, rotated.secret);
  const before = await asMachine(m.secretKey).m2m.createToken();
  assert.equal(before.subject, m.id, 'the old key still mints during the grace period');
  assert.equal((await asMachine(rotated.secret).m2m.createToken()).subject, m.id);

  await advanceClock(31_000);
  try {
    const expired = await rejection(asMachine(m.secretKey).m2m.createToken());
    assert.equal(expired.status, 401);
    assert.equal(expired.errors[0].code, 'machine_secret_key_invalid');
    assert.equal((await asMachine(rotated.secret).m2m.createToken()).subject, m.id);
    // A token minted with the old key belongs to the machine: it outlives the key.
    assert.equal((await instance.m2m.verify({ token: before.token })).id, before.id);
  } finally {
    await call(url, 'POST', '/__admin/clock', { body: { offset_ms: 0 } });
  }

  // previousTokenTtl 0: the old key stops at once.
  const next = await instance.machines.rotateSecretKey({ machineId: m.id, previousTokenTtl: 0 });
  const stopped = await rejection(asMachine(rotated.secret).m2m.createToken());
  assert.equal(stopped.status, 401);
  assert.equal((await asMachine(next.secret).m2m.createToken()).subject, m.id);
  const tooLong = await rejection(instance.machines.rotateSecretKey({ machineId: m.id, previousTokenTtl: 28_801 }));
  assert.equal(tooLong.status, 422);
  assert.equal(tooLong.errors[0].code, 'form_param_value_invalid');
  assert.equal(tooLong.errors[0].meta.paramName, 'previous_token_ttl');
  await instance.machines.delete(m.id);
});

test('errors: machine keys get 401, unknown ids 404, invalid parameters 422', async () => {
  // A machine secret key is not a Clerk Secret Key (@clerk/backend sends whatever `secretKey` it is given).
  for (const key of [A.secretKey, 'ak_unknown', 'sk_test_unknown']) {
    const client = createClerkClient({ secretKey: key, apiUrl: url });
    const calls = [
      client.machines.list(),
      client.machines.get(A.id),
      client.machines.create({ name: 'x' }),
      client.machines.update({ machineId: A.id, name: 'x' }),
      client.machines.delete(A.id),
      client.machines.getSecretKey(A.id),
      client.machines.rotateSecretKey({ machineId: A.id, previousTokenTtl: 0 }),
      client.machines.createScope(A.id, C.id),
      client.machines.deleteScope(A.id, B.id),
    ];
    for (const err of await Promise.all(calls.map(rejection))) {
      assert.equal(className(err), 'ClerkAPIResponseError');
      assert.equal(err.status, 401);
      assert.equal(err.errors[0].code, 'clerk_key_invalid');
      assert.equal(err.errors[0].message, 'The provided Clerk Secret Key is invalid.');
    }
  }
  // Nothing changed.
  assert.equal((await instance.machines.getSecretKey(A.id)).secret, A.secretKey);
  assert.deepEqual(
    (await instance.machines.get(A.id)).scopedMachines.map((x) => x.id),
    [B.id],
  );
  // Without any secret key @clerk/backend refuses before sending anything.
  await assert.rejects(asMachine(A.secretKey).machines.list(), /Missing Clerk Secret Key/);

  const nobody = `mch_${'1'.repeat(27)}`;
  for (const attempt of [
    () => instance.machines.get(nobody),
    () => instance.machines.update({ machineId: nobody, name: 'x' }),
    () => instance.machines.delete(nobody),
    () => instance.machines.getSecretKey(nobody),
    () => instance.machines.rotateSecretKey({ machineId: nobody, previousTokenTtl: 0 }),
    () => instance.machines.createScope(nobody, A.id),
    () => instance.machines.deleteScope(nobody, A.id),
  ]) {
    const err = await rejection(attempt());
    assert.equal(err.status, 404);
    assert.equal(err.errors[0].code, 'resource_not_found');
  }

  const noName = await rejection(instance.machines.create({}));
  assert.equal(noName.status, 422);
  assert.equal(noName.errors[0].code, 'form_param_missing');
  assert.equal(noName.errors[0].meta.paramName, 'name');
  const badTtl = await rejection(instance.machines.create({ name: 'x', defaultTokenTtl: 0 }));
  assert.equal(badTtl.status, 422);
  assert.equal(badTtl.errors[0].meta.paramName, 'default_token_ttl');
  const badScope = await rejection(instance.machines.create({ name: 'x', scopedMachines: [nobody] }));
  assert.equal(badScope.status, 422);
  assert.equal(badScope.errors[0].meta.paramName, 'scoped_machines');
  const badOrder = await rejection(instance.machines.list({ orderBy: 'updated_at' }));
  assert.equal(badOrder.status, 422);
  assert.equal(badOrder.errors[0].meta.paramName, 'order_by');
  const badLimit = await rejection(instance.machines.list({ limit: 501 }));
  assert.equal(badLimit.status, 422);
  // @clerk/backend's own check: an empty id never leaves the client.
  await assert.rejects(instance.machines.get(''), /A valid resource ID is required/);

  // Faults reach these routes too.
  await call(url, 'POST', '/__admin/faults', {
    body: { route: 'machines.list', count: 1, fault: { kind: 'rate_limit', retry_after: 2 } },
  });
  const limited = await rejection(instance.machines.list());
  assert.equal(limited.status, 429);
  assert.equal(limited.retryAfter, 2);
  assert.equal((await instance.machines.list()).totalCount, 3);
});

test('every MachineApi method reached the server, with /v1 and the instance key', async () => {
  const log = (await call(url, 'GET', '/__admin/requests')).json;
  const names = {
    create: 'machines.create',
    createScope: 'machines.create_scope',
    delete: 'machines.delete',
    deleteScope: 'machines.delete_scope',
    get: 'machines.get',
    getSecretKey: 'machines.get_secret_key',
    list: 'machines.list',
    rotateSecretKey: 'machines.rotate_secret_key',
    update: 'machines.update',
  };
  assert.deepEqual(Object.keys(names), METHODS);
  for (const [method, route] of Object.entries(names)) {
    const ok = log.filter((r) => r.route === route && r.headers.authorization === `Bearer ${sk}`);
    assert.ok(ok.length > 0, `${method}: no request on ${route}`);
    for (const r of ok) {
      assert.match(r.path, /^\/v1\/machines/);
      assert.equal(r.headers['clerk-api-version'], '2026-05-12');
    }
  }
  const update = log.find((r) => r.route === 'machines.update');
  assert.equal(update.method, 'PATCH');
  const create = log.find((r) => r.route === 'machines.create' && r.body?.includes('orders-api'));
  assert.deepEqual(JSON.parse(create.body), { name: 'orders-api', scoped_machines: [A.id], default_token_ttl: 900 });
  const rotate = log.find((r) => r.route === 'machines.rotate_secret_key');
  assert.deepEqual(JSON.parse(rotate.body), { previous_token_ttl: 30 });
  const scope = log.find((r) => r.route === 'machines.create_scope');
  assert.deepEqual(Object.keys(JSON.parse(scope.body)), ['to_machine_id']);
});
