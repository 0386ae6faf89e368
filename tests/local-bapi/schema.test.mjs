// Every route's success and error responses, validated against the OpenAPI schema of that route and status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { ROOT, START_TIMEOUT_MS, startBapi, call } from './bapi-process.mjs';

const spec = YAML.parse(readFileSync(join(ROOT, 'crates/local-bapi/openapi/bapi-2026-05-12.yml'), 'utf8'));

function resolveRef(ref) {
  assert.ok(ref.startsWith('#/'), ref);
  return ref
    .slice(2)
    .split('/')
    .reduce((node, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
}

/** OpenAPI 3.0 schema → JSON Schema: inline $refs, nullable → type unions, boolean exclusiveMinimum. */
function toJsonSchema(node, seen = new Set()) {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, seen));
  if (node === null || typeof node !== 'object') return node;
  if (node.$ref) {
    assert.ok(!seen.has(node.$ref), `cyclic ${node.$ref}`);
    return toJsonSchema(resolveRef(node.$ref), new Set([...seen, node.$ref]));
  }
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'description' || key.startsWith('x-')) continue;
    // `properties` maps names to schemas: convert each value, keep every name.
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v, seen)]))
        : toJsonSchema(value, seen);
  }
  if (out.nullable === true) {
    if (out.type) out.type = [out.type, 'null'];
    if (out.enum) out.enum = [...out.enum, null];
  }
  delete out.nullable;
  if (out.exclusiveMinimum === true) {
    out.exclusiveMinimum = out.minimum;
    delete out.minimum;
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const compiled = new Map();
const clerkErrors = ajv.compile(toJsonSchema({ $ref: '#/components/schemas/ClerkErrors' }));

/** The JSON Schema of a response: the route's documented one, or ClerkErrors for undocumented errors. */
function responseSchema(route, method, status) {
  const operation = spec.paths[route]?.[method];
  assert.ok(operation, `${method} ${route} is in the OpenAPI file`);
  let response = operation.responses[String(status)];
  if (!response) {
    assert.ok(status >= 400, `success status ${status} is documented for ${method} ${route}`);
    return { $ref: '#/components/schemas/ClerkErrors' };
  }
  if (response.$ref) response = resolveRef(response.$ref);
  const schema = response.content?.['application/json']?.schema;
  assert.ok(schema, `${method} ${route} ${status} has a JSON schema`);
  return schema;
}

function validator(route, method, status) {
  const id = `${method} ${route} ${status}`;
  if (!compiled.has(id)) compiled.set(id, ajv.compile(toJsonSchema(responseSchema(route, method, status))));
  return compiled.get(id);
}

/** Asserts that `res` has `status`, `application/json`, and a body valid for the route's schema. */
function check(res, route, method, status) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.ok(res.json !== undefined, `JSON body: ${res.text}`);
  const validate = validator(route, method, status);
  assert.ok(validate(res.json), `${method} ${route} ${status}: ${ajv.errorsText(validate.errors)}\n${res.text}`);
  if (status >= 400) {
    // Clerk's error shape (ClerkErrors: meta, clerk_trace_id), also where the route schema leaves fields out.
    assert.ok(clerkErrors(res.json), `ClerkErrors: ${ajv.errorsText(clerkErrors.errors)}\n${res.text}`);
    assert.equal(typeof res.json.clerk_trace_id, 'string');
    for (const e of res.json.errors) assert.equal(typeof e.meta, 'object');
  }
  return res.json;
}

let bapi;
let url;
let sk;
let A;
let B;
let C;
before(
  async () => {
    bapi = await startBapi(['--seed', '4242']);
    ({ url, secretKey: sk } = bapi.info);
    [A, B, C] = bapi.info.machines;
  },
  { timeout: START_TIMEOUT_MS },
);
after(async () => {
  assert.equal(await bapi?.stop(), 0, 'clean exit on SIGTERM');
});

test('the validator is not vacuous: broken bodies fail', () => {
  const token = {
    object: 'machine_to_machine_token',
    id: 'mt_' + 'a'.repeat(32),
    subject: 'mch_' + 'b'.repeat(27),
    scopes: [],
    claims: null,
    revoked: false,
    revocation_reason: null,
    expired: false,
    expiration: null,
    last_used_at: null,
    created_at: 1,
    updated_at: 1,
  };
  const verify = validator('/m2m_tokens/verify', 'post', 200);
  assert.ok(verify(token), ajv.errorsText(verify.errors));
  assert.ok(!verify({ ...token, token: 'mt_x' }), 'additionalProperties: false');
  assert.ok(!verify({ ...token, id: 'mt_short' }), 'id pattern');
  assert.ok(!verify({ ...token, revoked: 'no' }), 'boolean');
  assert.ok(!verify({ ...token, revocation_reason: 5 }), 'nullable string');
  const { last_used_at, ...missing } = token;
  assert.ok(!verify(missing), 'required last_used_at');
  const create = validator('/m2m_tokens', 'post', 201);
  assert.ok(!create(token), 'create requires token');
  assert.ok(create({ ...token, token: 'mt_x' }));
  const list = validator('/m2m_tokens', 'get', 200);
  assert.ok(!list({ m2m_tokens: [token] }), 'total_count required');
  assert.ok(!validator('/jwks', 'get', 200)({ keys: [{ kid: 'k', kty: 'RSA' }] }), 'JWK fields required');
  assert.ok(!validator('/m2m_tokens', 'post', 400)({ errors: [{ code: 'x', message: 'y' }] }), 'long_message required');
  assert.ok(!clerkErrors({ errors: [{ code: 'x', message: 'y', long_message: 'z', meta: 'no' }] }), 'meta is an object');
});

test('POST /m2m_tokens: 201 opaque, 201 jwt, 201 reused, 400, 401', async () => {
  const route = '/m2m_tokens';
  const opaque = check(
    await call(url, 'POST', route, { key: A.secretKey, body: { seconds_until_expiration: 60, claims: { a: 1 } } }),
    route,
    'post',
    201,
  );
  assert.equal(opaque.subject, A.id);
  const jwt = check(
    await call(url, 'POST', route, { key: A.secretKey, body: { token_format: 'jwt', claims: { r: 'x' } } }),
    route,
    'post',
    201,
  );
  assert.equal(jwt.token.split('.').length, 3);
  const reused = check(
    await call(url, 'POST', route, {
      key: A.secretKey,
      body: { seconds_until_expiration: 60, claims: { a: 1 }, min_remaining_ttl_seconds: 10 },
    }),
    route,
    'post',
    201,
  );
  assert.equal(reused.id, opaque.id);
  // The body @clerk/backend sends by default.
  check(
    await call(url, 'POST', route, {
      key: C.secretKey,
      body: { seconds_until_expiration: null, claims: null, token_format: 'opaque' },
    }),
    route,
    'post',
    201,
  );
  for (const body of [{ nope: 1 }, { token_format: 'x' }, { seconds_until_expiration: 0 }, '{"bad json']) {
    const err = check(await call(url, 'POST', route, { key: A.secretKey, body }), route, 'post', 400);
    assert.ok(err.errors[0].code.length > 0);
  }
  const err = check(await call(url, 'POST', route, { key: sk, body: {} }), route, 'post', 401);
  assert.equal(err.errors[0].code, 'machine_secret_key_invalid');
});

test('GET /m2m_tokens: 200, 400, 401, 403, 404', async () => {
  const route = '/m2m_tokens';
  const t = check(await call(url, 'POST', route, { key: B.secretKey, body: { seconds_until_expiration: 1 } }), route, 'post', 201);
  await call(url, 'POST', `/m2m_tokens/${t.id}/revoke`, { key: sk, body: { revocation_reason: 'why' } });
  const all = check(
    await call(url, 'GET', `${route}?subject=${B.id}&revoked=true&expired=true&limit=100`, { key: sk }),
    route,
    'get',
    200,
  );
  assert.ok(all.total_count >= 1);
  assert.equal(all.m2m_tokens[0].revocation_reason, 'why');
  check(await call(url, 'GET', `/v1${route}?subject=${A.id}`, { key: A.secretKey }), route, 'get', 200);
  check(await call(url, 'GET', `${route}?subject=${A.id}&limit=0`, { key: sk }), route, 'get', 400);
  check(await call(url, 'GET', `${route}?subject=nope`, { key: sk }), route, 'get', 400);
  check(await call(url, 'GET', `${route}?subject=${A.id}`, {}), route, 'get', 401);
  check(await call(url, 'GET', `${route}?subject=${A.id}`, { key: B.secretKey }), route, 'get', 403);
  check(await call(url, 'GET', `${route}?subject=mch_${'0'.repeat(27)}`, { key: sk }), route, 'get', 404);
});

test('POST /m2m_tokens/{id}/revoke: 200, 400, 401, 404', async () => {
  const route = '/m2m_tokens/{m2m_token_id}/revoke';
  const t = (await call(url, 'POST', '/m2m_tokens', { key: A.secretKey, body: {} })).json;
  const revoked = check(
    await call(url, 'POST', `/m2m_tokens/${t.id}/revoke`, { key: A.secretKey, body: { revocation_reason: null } }),
    route,
    'post',
    200,
  );
  assert.equal(revoked.revoked, true);
  check(await call(url, 'POST', '/m2m_tokens/mt_1/revoke', { key: sk, body: {} }), route, 'post', 400);
  check(await call(url, 'POST', `/m2m_tokens/${t.id}/revoke`, { key: sk, body: { x: 1 } }), route, 'post', 400);
  check(await call(url, 'POST', `/m2m_tokens/${t.id}/revoke`, { body: {} }), route, 'post', 401);
  check(await call(url, 'POST', `/m2m_tokens/${t.id}/revoke`, { key: B.secretKey, body: {} }), route, 'post', 404);
  check(await call(url, 'POST', `/m2m_tokens/mt_${'f'.repeat(32)}/revoke`, { key: sk, body: {} }), route, 'post', 404);
});

test('POST /m2m_tokens/verify: 200 opaque, 200 jwt, 400, 401, 404', async () => {
  const route = '/m2m_tokens/verify';
  const t = (await call(url, 'POST', '/m2m_tokens', { key: A.secretKey, body: { claims: { z: [1] } } })).json;
  const v = check(await call(url, 'POST', route, { key: B.secretKey, body: { token: t.token } }), route, 'post', 200);
  assert.equal(v.id, t.id);
  assert.equal(typeof v.last_used_at, 'number');
  const j = (await call(url, 'POST', '/m2m_tokens', { key: A.secretKey, body: { token_format: 'jwt', seconds_until_expiration: 60 } })).json;
  check(await call(url, 'POST', route, { key: sk, body: { token: j.token } }), route, 'post', 200);
  check(await call(url, 'POST', route, { key: sk, body: {} }), route, 'post', 400);
  check(await call(url, 'POST', route, { key: sk, body: { token: 1 } }), route, 'post', 400);
  check(await call(url, 'POST', route, { key: 'sk_test_wrong', body: { token: t.token } }), route, 'post', 401);
  check(await call(url, 'POST', route, { key: C.secretKey, body: { token: t.token } }), route, 'post', 404);
  check(await call(url, 'POST', route, { key: sk, body: { token: 'mt_unknown' } }), route, 'post', 404);
});

test('GET /v1/jwks: 200 (one key, then two after a rotation), 401', async () => {
  const one = check(await call(url, 'GET', '/v1/jwks', { key: sk }), '/jwks', 'get', 200);
  assert.equal(one.keys.length, 1);
  assert.equal(one.keys[0].kid, bapi.info.kid);
  const rotated = await call(url, 'POST', '/__admin/rotate-key', { body: { drop_old: false } });
  assert.equal(rotated.status, 200);
  const two = check(await call(url, 'GET', '/jwks', { key: sk }), '/jwks', 'get', 200);
  assert.deepEqual(
    two.keys.map((k) => k.kid),
    [rotated.json.kid, bapi.info.kid],
  );
  check(await call(url, 'GET', '/v1/jwks', { key: A.secretKey }), '/jwks', 'get', 401);
  check(await call(url, 'GET', '/v1/jwks', {}), '/jwks', 'get', 401);
});

test('the status fault answers in the route schema too', async () => {
  await call(url, 'POST', '/__admin/faults', { body: { route: 'list', count: 1, fault: { kind: 'status', status: 404 } } });
  check(await call(url, 'GET', `/m2m_tokens?subject=${A.id}`, { key: sk }), '/m2m_tokens', 'get', 404);
});

test('the machines schemas are not vacuous either', () => {
  const flat = {
    object: 'machine',
    id: 'mch_' + 'c'.repeat(27),
    name: 'm',
    instance_id: 'ins_x',
    created_at: 1,
    updated_at: 1,
    default_token_ttl: 3600,
  };
  const machine = { ...flat, scoped_machines: [flat] };
  const get = validator('/machines/{machine_id}', 'get', 200);
  assert.ok(get(machine), ajv.errorsText(get.errors));
  assert.ok(!get(flat), 'scoped_machines required');
  assert.ok(!get({ ...machine, object: 'machines' }), 'object enum');
  assert.ok(!get({ ...machine, default_token_ttl: 1.5 }), 'integer TTL');
  const { instance_id, ...noInstance } = machine;
  assert.ok(!get(noInstance), 'instance_id required');
  const create = validator('/machines', 'post', 200);
  assert.ok(!create(machine), 'secret_key required on create');
  assert.ok(create({ ...machine, secret_key: 'ak_x' }));
  assert.ok(!validator('/machines', 'get', 200)({ data: [machine] }), 'total_count required');
  assert.ok(!validator('/machines/{machine_id}', 'delete', 200)({ object: 'machine', id: flat.id }), 'deleted required');
  assert.ok(!validator('/machines/{machine_id}/secret_key', 'get', 200)({ object: 'machine_secret_key' }), 'secret required');
  const scope = validator('/machines/{machine_id}/scopes', 'post', 200);
  assert.ok(!scope({ object: 'machine_scope', from_machine_id: 'a', to_machine_id: 'b' }), 'created_at required');
  const unscope = validator('/machines/{machine_id}/scopes/{other_machine_id}', 'delete', 200);
  assert.ok(!unscope({ object: 'machine_scope', from_machine_id: 'a', to_machine_id: 'b', deleted: false }), 'deleted: true');
});

test('POST /machines: 200, 400, 401, 422; GET /machines: 200, 401, 422', async () => {
  const route = '/machines';
  const m = check(
    await call(url, 'POST', `/v1${route}`, { key: sk, body: { name: 'schema', scoped_machines: [A.id, B.id] } }),
    route,
    'post',
    200,
  );
  assert.match(m.secret_key, /^ak_/);
  assert.equal(m.scoped_machines.length, 2);
  check(await call(url, 'POST', `/v1${route}`, { key: sk, body: { name: 'ttl', default_token_ttl: 5 } }), route, 'post', 200);
  check(await call(url, 'POST', `/v1${route}`, { key: sk, body: '{"name"' }), route, 'post', 400);
  check(await call(url, 'POST', `/v1${route}`, { key: A.secretKey, body: { name: 'x' } }), route, 'post', 401);
  for (const body of [{}, { name: '' }, { name: 'x', scoped_machines: ['mch_nope'] }, { name: 'x', default_token_ttl: 0 }, { name: 'x', y: 1 }]) {
    check(await call(url, 'POST', `/v1${route}`, { key: sk, body }), route, 'post', 422);
  }
  const list = check(await call(url, 'GET', `/v1${route}?limit=500`, { key: sk }), route, 'get', 200);
  assert.ok(list.data.some((x) => x.id === m.id));
  assert.ok(list.data.some((x) => x.default_token_ttl === undefined), 'seeded machines: no default TTL');
  check(await call(url, 'GET', `/v1${route}?query=schema&order_by=-name&offset=0`, { key: sk }), route, 'get', 200);
  check(await call(url, 'GET', `${route}`, {}), route, 'get', 401);
  check(await call(url, 'GET', `/v1${route}?order_by=nope`, { key: sk }), route, 'get', 422);
  check(await call(url, 'GET', `/v1${route}?limit=0`, { key: sk }), route, 'get', 422);
});

test('GET, PATCH, DELETE /machines/{machine_id}: 200, 400, 401, 404, 422', async () => {
  const route = '/machines/{machine_id}';
  const m = (await call(url, 'POST', '/v1/machines', { key: sk, body: { name: 'one', scoped_machines: [C.id] } })).json;
  const path = `/v1/machines/${m.id}`;
  const got = check(await call(url, 'GET', path, { key: sk }), route, 'get', 200);
  assert.equal(got.secret_key, undefined);
  check(await call(url, 'GET', `/v1/machines/${A.id}`, { key: sk }), route, 'get', 200);
  check(await call(url, 'GET', path, { key: C.secretKey }), route, 'get', 401);
  check(await call(url, 'GET', '/v1/machines/mch_nope', { key: sk }), route, 'get', 404);
  const patched = check(await call(url, 'PATCH', path, { key: sk, body: { name: 'two', default_token_ttl: 7 } }), route, 'patch', 200);
  assert.equal(patched.name, 'two');
  check(await call(url, 'PATCH', path, { key: sk, body: '[' }), route, 'patch', 400);
  check(await call(url, 'PATCH', path, { body: {} }), route, 'patch', 401);
  check(await call(url, 'PATCH', '/v1/machines/mch_nope', { key: sk, body: {} }), route, 'patch', 404);
  check(await call(url, 'PATCH', path, { key: sk, body: { default_token_ttl: 'x' } }), route, 'patch', 422);
  const deleted = check(await call(url, 'DELETE', path, { key: sk }), route, 'delete', 200);
  assert.deepEqual(deleted, { object: 'machine', id: m.id, deleted: true });
  check(await call(url, 'DELETE', path, { key: sk }), route, 'delete', 404);
  check(await call(url, 'DELETE', path, { key: 'sk_test_wrong' }), route, 'delete', 401);
});

test('GET /machines/{id}/secret_key and POST …/rotate: 200, 401, 404, 422', async () => {
  const m = (await call(url, 'POST', '/v1/machines', { key: sk, body: { name: 'keys' } })).json;
  const route = '/machines/{machine_id}/secret_key';
  const key = check(await call(url, 'GET', `/v1/machines/${m.id}/secret_key`, { key: sk }), route, 'get', 200);
  assert.deepEqual(key, { object: 'machine_secret_key', secret: m.secret_key });
  check(await call(url, 'GET', `/v1/machines/${m.id}/secret_key`, { key: m.secret_key }), route, 'get', 401);
  check(await call(url, 'GET', '/v1/machines/mch_nope/secret_key', { key: sk }), route, 'get', 404);
  const rotate = '/machines/{machine_id}/secret_key/rotate';
  const path = `/v1/machines/${m.id}/secret_key/rotate`;
  const rotated = check(await call(url, 'POST', path, { key: sk, body: { previous_token_ttl: 0 } }), rotate, 'post', 200);
  assert.notEqual(rotated.secret, m.secret_key);
  check(await call(url, 'POST', path, { key: sk, body: 'x' }), rotate, 'post', 400);
  check(await call(url, 'POST', path, { body: { previous_token_ttl: 0 } }), rotate, 'post', 401);
  check(await call(url, 'POST', '/v1/machines/mch_nope/secret_key/rotate', { key: sk, body: { previous_token_ttl: 0 } }), rotate, 'post', 404);
  check(await call(url, 'POST', path, { key: sk, body: {} }), rotate, 'post', 422);
  check(await call(url, 'POST', path, { key: sk, body: { previous_token_ttl: 28_801 } }), rotate, 'post', 422);
});

test('POST /machines/{id}/scopes: 200, 401, 404, 409, 422; DELETE …/scopes/{other}: 200, 401, 404', async () => {
  const m = (await call(url, 'POST', '/v1/machines', { key: sk, body: { name: 'scopes' } })).json;
  const route = '/machines/{machine_id}/scopes';
  const path = `/v1/machines/${m.id}/scopes`;
  const scope = check(await call(url, 'POST', path, { key: sk, body: { to_machine_id: A.id } }), route, 'post', 200);
  assert.equal(scope.from_machine_id, m.id);
  check(await call(url, 'POST', path, { key: A.secretKey, body: { to_machine_id: B.id } }), route, 'post', 401);
  check(await call(url, 'POST', path, { key: sk, body: { to_machine_id: 'mch_nope' } }), route, 'post', 404);
  check(await call(url, 'POST', '/v1/machines/mch_nope/scopes', { key: sk, body: { to_machine_id: A.id } }), route, 'post', 404);
  check(await call(url, 'POST', path, { key: sk, body: { to_machine_id: A.id } }), route, 'post', 409);
  check(await call(url, 'POST', path, { key: sk, body: {} }), route, 'post', 422);
  const other = '/machines/{machine_id}/scopes/{other_machine_id}';
  const removed = check(await call(url, 'DELETE', `${path}/${A.id}`, { key: sk }), other, 'delete', 200);
  assert.deepEqual(removed, { object: 'machine_scope', from_machine_id: m.id, to_machine_id: A.id, deleted: true });
  check(await call(url, 'DELETE', `${path}/${A.id}`, { key: sk }), other, 'delete', 404);
  check(await call(url, 'DELETE', `${path}/${A.id}`, { key: B.secretKey }), other, 'delete', 401);
});

test('a status fault on a machines route answers in its schema', async () => {
  await call(url, 'POST', '/__admin/faults', {
    body: { route: 'machines', count: 1, fault: { kind: 'status', status: 403 } },
  });
  check(await call(url, 'GET', '/v1/machines', { key: sk }), '/machines', 'get', 403);
});
