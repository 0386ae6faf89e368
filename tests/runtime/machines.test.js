// `clerkClient.machines` over real HTTP against the local Backend API's `/v1/machines…` routes, in every runtime
// lane: what goes on the wire, the result shapes, and what machines, scopes and key rotation do to the M2M tokens
// of `clerkClient.m2m`. Machine names carry the lane, so each lane's `query` sees only its own machines.
import { assert } from './harness.js';
import { localBapi } from './bapi.js';

const MACHINE_ID = /^mch_\w+$/;
const MACHINE_KEYS = ['id', 'name', 'instanceId', 'createdAt', 'updatedAt', 'scopedMachines', 'defaultTokenTtl'];

export async function register(test, lib, ctx) {
  const bapi = localBapi(ctx);
  if (!bapi) return;
  const { createClerkClient, ClerkAPIResponseError, ClerkConfigurationError } = lib;
  const apiUrl = bapi.url;
  const lane = ctx.lane;
  // Other suites name their machines after the lane too: this prefix is this suite's own.
  const prefix = `${lane}-machines-`;
  const instance = createClerkClient({ apiUrl, secretKey: bapi.secretKey });
  const asMachine = (machineSecretKey) => createClerkClient({ apiUrl, machineSecretKey });
  /** Every key a test saw (instance and machine keys): none may show up in an error. */
  const secrets = [bapi.secretKey];
  const created = [];
  /** A machine of this lane, deleted again at the end of the suite. */
  const machine = async (name, params = {}) => {
    const m = await instance.machines.create({ name: `${prefix}${name}`, ...params });
    created.push(m.id);
    secrets.push(m.secretKey);
    return m;
  };

  const assertApiError = (status, code) => (e) => {
    assert.ok(e instanceof ClerkAPIResponseError, `expected ClerkAPIResponseError, got ${e}`);
    assert.equal(e.status, status, 'status');
    if (code) assert.equal(e.errors[0]?.code, code, 'errors[0].code');
    const texts = [e.message, String(e), e.stack ?? '', JSON.stringify(e), JSON.stringify(e.errors ?? [])];
    for (const secret of secrets) for (const text of texts) assert.ok(!text.includes(secret), 'a secret key leaked into an error');
  };

  test('machines: create, get, update and delete send the reference requests and return camelCase machines', async () => {
    const target = await machine('target');
    let id;
    const log = await bapi.requestsDuring(async () => {
      const m = await instance.machines.create({ name: `${prefix}orders`, scopedMachines: [target.id], defaultTokenTtl: 900 });
      id = m.id;
      created.push(m.id);
      secrets.push(m.secretKey);
      assert.match(m.id, MACHINE_ID);
      assert.deepEqual(Object.keys(m), [...MACHINE_KEYS, 'secretKey'], 'keys in the order of @clerk/backend');
      assert.equal(m.name, `${prefix}orders`);
      assert.match(m.instanceId, /^ins_/);
      assert.equal(m.updatedAt, m.createdAt);
      assert.equal(m.defaultTokenTtl, 900);
      assert.match(m.secretKey, /^ak_/);
      assert.deepEqual(m.scopedMachines.map((x) => [x.id, x.name]), [[target.id, `${prefix}target`]]);
      assert.deepEqual(Object.keys(m.scopedMachines[0]), MACHINE_KEYS, 'a nested machine has no secret key');
      assert.deepEqual(m.scopedMachines[0].scopedMachines, []);

      const got = await instance.machines.get(m.id);
      assert.deepEqual(Object.keys(got), MACHINE_KEYS, 'only create returns the secret key');
      assert.deepEqual(got.scopedMachines.map((x) => x.id), [target.id]);
      const renamed = await instance.machines.update({ defaultTokenTtl: 60, machineId: m.id, name: `${prefix}orders-2` });
      assert.equal(renamed.name, `${prefix}orders-2`);
      assert.equal(renamed.defaultTokenTtl, 60);
      const deleted = await instance.machines.delete(m.id);
      assert.equal(JSON.stringify(deleted), JSON.stringify({ object: 'machine', id: m.id, slug: null, deleted: true }));
      await assert.rejects(instance.machines.get(m.id), assertApiError(404, 'resource_not_found'));
    });
    const wire = log.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(wire, ['POST /v1/machines', `GET /v1/machines/${id}`, `PATCH /v1/machines/${id}`, `DELETE /v1/machines/${id}`, `GET /v1/machines/${id}`]);
    assert.equal(log[0].body, JSON.stringify({ name: `${prefix}orders`, scoped_machines: [target.id], default_token_ttl: 900 }));
    assert.equal(log[2].body, JSON.stringify({ default_token_ttl: 60, name: `${prefix}orders-2` }), 'the caller\'s key order');
    for (const r of log) {
      assert.equal(r.headers.authorization, `Bearer ${bapi.secretKey}`);
      assert.equal(r.headers['clerk-api-version'], '2026-05-12');
      if (lane !== 'chromium') assert.match(r.headers['user-agent'], /^clerk-m2m-edge@/);
      if (r.method === 'GET' || r.method === 'DELETE') assert.ok(!r.body, `${r.method} has no body`);
    }
  });

  test('machines: list filters, orders and pages, and iterates over every page', async () => {
    const names = ['list-b', 'list-a', 'list-c'];
    const ms = [];
    for (const name of names) ms.push(await machine(name));
    const query = `${prefix}list-`;
    const log = await bapi.requestsDuring(async () => {
      const page = await instance.machines.list({ query, orderBy: '+name', limit: 2, offset: 0 });
      assert.equal(page.totalCount, 3);
      assert.deepEqual(page.data.map((m) => m.name), [`${query}a`, `${query}b`]);
      assert.deepEqual(Object.keys(page), ['data', 'totalCount']);
      const newest = await instance.machines.list({ query });
      assert.deepEqual(newest.data.map((m) => m.id), [ms[2].id, ms[1].id, ms[0].id], 'newest first by default');
      const exact = await instance.machines.list({ query: ms[1].id });
      assert.deepEqual(exact.data.map((m) => m.id), [ms[1].id]);
    });
    assert.equal(log[0].query, `query=${encodeURIComponent(query)}&order_by=%2Bname&limit=2`, 'the caller\'s order, offset 0 left out');
    assert.equal(log[0].path, '/v1/machines');
    const seen = [];
    const pages = await bapi.requestsDuring(async () => {
      for await (const m of instance.machines.list({ query, orderBy: '-name', limit: 1 })) seen.push(m.name);
    });
    assert.deepEqual(seen, [`${query}c`, `${query}b`, `${query}a`]);
    assert.equal(pages.length, 3, 'one request per page');
    assert.deepEqual(pages.map((r) => new URLSearchParams(r.query).get('offset')), [null, '1', '2']);
  });

  test('machines: a new machine mints at once, and its scopes decide who may verify its tokens', async () => {
    const receiver = await machine('receiver');
    const sender = await machine('sender', { scopedMachines: [receiver.id] });
    const bystander = await machine('bystander');
    const t = await asMachine(sender.secretKey).m2m.createToken({ secondsUntilExpiration: 300 });
    assert.equal(t.subject, sender.id);
    assert.deepEqual(t.scopes, [receiver.id]);
    assert.equal((await asMachine(receiver.secretKey).m2m.verify({ token: t.token })).subject, sender.id);
    await assert.rejects(asMachine(bystander.secretKey).m2m.verify({ token: t.token }), assertApiError(404));

    // Grant the bystander: the sender's tokens name it from now on, and it may verify them.
    const scope = await instance.machines.createScope(sender.id, bystander.id);
    assert.deepEqual(Object.keys(scope), ['fromMachineId', 'toMachineId', 'createdAt']);
    assert.deepEqual([scope.fromMachineId, scope.toMachineId], [sender.id, bystander.id]);
    assert.equal(typeof scope.createdAt, 'number');
    await assert.rejects(instance.machines.createScope(sender.id, bystander.id), assertApiError(409, 'duplicate_record'));
    const t2 = await asMachine(sender.secretKey).m2m.createToken({ secondsUntilExpiration: 300 });
    assert.deepEqual([...t2.scopes].sort(), [receiver.id, bystander.id].sort());
    assert.equal((await asMachine(bystander.secretKey).m2m.verify({ token: t2.token })).id, t2.id);

    // Remove the receiver: it may no longer verify even the token minted before.
    const removed = await instance.machines.deleteScope(sender.id, receiver.id);
    assert.equal(JSON.stringify(removed), JSON.stringify({ fromMachineId: sender.id, toMachineId: receiver.id, deleted: true }),
      'the scope, with its ids (docs/compat.md: @clerk/backend returns a DeletedObject without them)');
    await assert.rejects(asMachine(receiver.secretKey).m2m.verify({ token: t.token }), assertApiError(404));
    assert.deepEqual((await instance.machines.get(sender.id)).scopedMachines.map((m) => m.id), [bystander.id]);
    await assert.rejects(instance.machines.deleteScope(sender.id, receiver.id), assertApiError(404));

    // A deleted machine cannot mint, and its id is gone.
    await instance.machines.delete(sender.id);
    await assert.rejects(asMachine(sender.secretKey).m2m.createToken(), assertApiError(401, 'machine_secret_key_invalid'));
    await assert.rejects(instance.machines.getSecretKey(sender.id), assertApiError(404, 'resource_not_found'));
  });

  test('machines: getSecretKey and rotateSecretKey, the old key valid for previousTokenTtl seconds', async () => {
    const m = await machine('rotating');
    const current = await instance.machines.getSecretKey(m.id);
    assert.equal(JSON.stringify(current), JSON.stringify({ secret: m.secretKey }));
    const log = await bapi.requestsDuring(async () => {
      const rotated = await instance.machines.rotateSecretKey({ machineId: m.id, previousTokenTtl: 30 });
      secrets.push(rotated.secret);
      assert.match(rotated.secret, /^ak_/);
      assert.ok(rotated.secret !== m.secretKey, 'a new key');
      assert.equal((await instance.machines.getSecretKey(m.id)).secret, rotated.secret);
      assert.equal((await asMachine(m.secretKey).m2m.createToken()).subject, m.id, 'the old key mints during the grace period');
      await bapi.travel(31_000, async () => {
        await assert.rejects(asMachine(m.secretKey).m2m.createToken(), assertApiError(401, 'machine_secret_key_invalid'));
        assert.equal((await asMachine(rotated.secret).m2m.createToken()).subject, m.id);
      });
      const next = await instance.machines.rotateSecretKey({ machineId: m.id, previousTokenTtl: 0 });
      secrets.push(next.secret);
      await assert.rejects(asMachine(rotated.secret).m2m.createToken(), assertApiError(401, 'machine_secret_key_invalid'));
      assert.equal((await asMachine(next.secret).m2m.createToken()).subject, m.id);
    });
    const rotations = log.filter((r) => r.path === `/v1/machines/${m.id}/secret_key/rotate`);
    assert.deepEqual(rotations.map((r) => [r.method, r.body]), [['POST', '{"previous_token_ttl":30}'], ['POST', '{"previous_token_ttl":0}']]);
    // Out of the spec's range: refused before any request.
    const none = await bapi.requestsDuring(() =>
      assert.rejects(instance.machines.rotateSecretKey({ machineId: m.id, previousTokenTtl: 28_801 }), (e) => assert.ok(e instanceof TypeError, `${e}`)));
    assert.equal(none.length, 0);
  });

  test('machines: only the instance key works; bad arguments and a missing key fail before any request', async () => {
    const seeded = ctx.machines?.[0];
    // A machine key given as the instance key is sent, and refused by the Backend API.
    const wrong = createClerkClient({ apiUrl, secretKey: seeded?.secretKey ?? 'ak_unknown' });
    await assert.rejects(wrong.machines.list(), assertApiError(401, 'clerk_key_invalid'));
    await assert.rejects(wrong.machines.create({ name: `${prefix}never` }), assertApiError(401, 'clerk_key_invalid'));
    const none = await bapi.requestsDuring(async () => {
      await assert.rejects(asMachine(seeded?.secretKey ?? 'ak_x').machines.list(), (e) => {
        assert.ok(e instanceof ClerkConfigurationError, `expected ClerkConfigurationError, got ${e}`);
        assert.match(e.message, /^Missing Clerk Secret Key\./);
      });
      for (const call of [
        () => instance.machines.get(''),
        () => instance.machines.create({ name: '' }),
        () => instance.machines.create({ name: 'x', defaultTokenTtl: 0 }),
        () => instance.machines.update({ machineId: 'mch_x', scopedMachines: [] }),
        () => instance.machines.list({ orderBy: 'updated_at' }),
        () => instance.machines.list({ limit: 501 }),
        () => instance.machines.createScope('mch_x'),
        () => instance.machines.get('mch_x', { machineId: 'mch_y' }),
      ]) {
        await assert.rejects(call(), (e) => assert.ok(e instanceof TypeError, `expected a TypeError, got ${e}`));
      }
    });
    assert.equal(none.length, 0, 'no request');
  });

  test('machines: reads are retried on 429/503, writes are sent once', async () => {
    await bapi.fault('machines.list', { kind: 'status', status: 503 });
    const list = await bapi.requestsDuring(() => instance.machines.list({ query: prefix, limit: 1 }));
    assert.equal(list.length, 2, 'one failure, one retry');
    const m = await machine('retry');
    await bapi.fault('machines.get', { kind: 'rate_limit', retry_after: 0 });
    const get = await bapi.requestsDuring(() => instance.machines.get(m.id));
    assert.equal(get.length, 2);
    for (const [route, call] of [
      ['machines.create', () => instance.machines.create({ name: `${prefix}once` })],
      ['machines.update', () => instance.machines.update({ machineId: m.id, name: `${prefix}once` })],
      ['machines.rotate_secret_key', () => instance.machines.rotateSecretKey({ machineId: m.id, previousTokenTtl: 0 })],
      ['machines.delete', () => instance.machines.delete(m.id)],
    ]) {
      await bapi.fault(route, { kind: 'status', status: 503 });
      const once = await bapi.requestsDuring(() => assert.rejects(call(), assertApiError(503)));
      assert.equal(once.length, 1, `${route} is not retried`);
    }
    await bapi.clearFaults();
  });

  test('machines: a per-call timeout and an AbortSignal, also for the calls that take ids', async () => {
    await bapi.fault('machines.get', { kind: 'hang' });
    await assert.rejects(createClerkClient({ apiUrl, secretKey: bapi.secretKey, retry: false }).machines.get('mch_hang', { timeoutMs: 200 }), (e) => {
      assert.ok(e instanceof ClerkAPIResponseError, `got ${e}`);
      assert.match(e.message, /timed out/);
    });
    await bapi.fault('machines.list', { kind: 'hang' });
    const controller = new AbortController();
    const pending = instance.machines.list({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await assert.rejects(pending, (e) => assert.equal(e.message, 'caller gave up'));
    await bapi.clearFaults();
  });

  test('machines: the lane\'s machines are deleted again', async () => {
    for (const id of created) await instance.machines.delete(id).catch(() => {});
    const left = await instance.machines.list({ query: prefix });
    assert.equal(left.totalCount, 0, JSON.stringify(left.data.map((m) => m.name)));
  });
}
