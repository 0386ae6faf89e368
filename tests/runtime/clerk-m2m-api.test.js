// Every case of Clerk's own `packages/backend/src/api/__tests__/M2MTokenApi.test.ts` (clerk/javascript), in every
// runtime lane. Clerk answers with msw handlers; here the client's `fetch` option is a fake Backend API that
// does the same, so no network is used. create/revoke/verify cases run under the current names (`m2m.*`) and
// under the deprecated names of the changeset that introduced M2M (`m2mTokens.*`); list has no such alias.
import { assert } from './harness.js';

const API_URL = 'https://api.clerk.test';
const MACHINE_SECRET_KEY = 'ak_xxxxx';
const INSTANCE_SECRET_KEY = 'sk_xxxxx';
const TOKEN_ID = 'mt_1xxxxxxxxxxxxx';
const OPAQUE_TOKEN = 'mt_secret_1xxxxxxxxxxxxx';
const MACHINE_ID = 'mch_1xxxxxxxxxxxxx';
const SCOPES = ['mch_1xxxxxxxxxxxxx', 'mch_2xxxxxxxxxxxxx'];
const JWT_SHAPE = /^[a-zA-Z0-9\-_]+\.[a-zA-Z0-9\-_]+\.[a-zA-Z0-9\-_]+$/;
const MACHINE_SECRET_KEY_INVALID = 'The provided Machine Secret Key is invalid. Make sure that your Machine Secret Key is correct.';
const MISSING_AUTHORIZATION = 'Missing Authorization header';

/** An M2M token as the Backend API sends it (snake_case). */
const tokenJson = (fields = {}) => ({
  object: 'machine_to_machine_token',
  id: TOKEN_ID,
  subject: MACHINE_ID,
  scopes: SCOPES,
  claims: { foo: 'bar' },
  token: OPAQUE_TOKEN,
  revoked: false,
  revocation_reason: null,
  expired: false,
  expiration: 1753746916590,
  created_at: 1753743316590,
  updated_at: 1753743316590,
  ...fields,
});

/** The revoke answer: revoked, with a reason, and no `token` (the Backend API sends it only on create and verify). */
const revokedTokenJson = () => {
  const { token: _omitted, ...rest } = tokenJson({ revoked: true, revocation_reason: 'revoked by test' });
  return rest;
};

// The M2M JWT fixture of Clerk's test (`mockM2MJwtPayload`, header `typ: JWT` and a kid, no `cat`), signed by a
// key this suite generates. Clerk freezes the clock at the fixture's `iat`; the WASM module reads the real clock,
// so the same window is built around now.
const JWT_KID = 'ins_2GIoQhbUpy0hX7B2cVkuTMinXoD';
const JWT_SUBJECT = 'mch_2vYVtestTESTtestTESTtestTESTtest';
const JWT_ID = 'mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE';
const m2mJwtPayload = (extra = {}) => {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'https://clerk.m2m.example.test',
    sub: JWT_SUBJECT,
    aud: ['mch_1xxxxx', 'mch_2xxxxx'],
    exp: now + 300,
    iat: now,
    nbf: now - 10,
    jti: JWT_ID,
    scopes: 'mch_1xxxxx mch_2xxxxx',
    ...extra,
  };
};

const encoder = new TextEncoder();
const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const jwtSegment = (json) => base64url(encoder.encode(JSON.stringify(json)));

/** An RS256 key pair: the public half as a JWKS entry, and a signer of compact JWTs. */
async function rs256Signer(kid) {
  const keys = await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
  const { n, e } = await crypto.subtle.exportKey('jwk', keys.publicKey);
  return {
    jwks: { keys: [{ use: 'sig', kty: 'RSA', kid, alg: 'RS256', n, e }] },
    async sign(payload) {
      const signingInput = `${jwtSegment({ alg: 'RS256', typ: 'JWT', kid })}.${jwtSegment(payload)}`;
      const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, encoder.encode(signingInput));
      return `${signingInput}.${base64url(signature)}`;
    },
  };
}

export const jsonResponse = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/**
 * A fake Backend API at API_URL in place of Clerk's msw server. `routes` maps `METHOD /path` to a handler that
 * gets the recorded request and returns a Response. Like Clerk's `validateHeaders`, a request without
 * `Authorization` (401), without `Clerk-API-Version` or with another `User-Agent` (400) never reaches its
 * handler. Every request is recorded in `requests`, so a case can assert what was sent after the call.
 */
export function fakeBackendApi(routes, { lane, userAgent }) {
  const requests = [];
  // The package calls fetch(url, init); a Request built from whatever arrives reads the same either way.
  const fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const text = await request.text();
    const recorded = {
      method: request.method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
    requests.push(recorded);
    const handler = url.origin === API_URL ? routes[`${recorded.method} ${recorded.path}`] : undefined;
    if (!handler) return jsonResponse({ errors: [{ code: 'resource_not_found', message: `no route for ${recorded.method} ${request.url}` }] }, 404);
    if (!request.headers.get('authorization')) return jsonResponse({ errors: [{ code: 'unauthorized', message: MISSING_AUTHORIZATION }] }, 401);
    if (!request.headers.get('clerk-api-version')) return jsonResponse({ errors: [{ code: 'bad_request', message: 'Missing Clerk-API-Version header' }] }, 400);
    // Browsers do not let a page set User-Agent (docs/compat.md, "Packaging and runtimes").
    if (lane !== 'chromium' && request.headers.get('user-agent') !== userAgent) {
      return jsonResponse({ errors: [{ code: 'bad_request', message: 'Missing or invalid User-Agent header' }] }, 400);
    }
    return handler(recorded);
  };
  return { fetch, requests };
}

// The calls under test, by name: [name, (client, ...args) => promise].
const CREATE = [
  ['m2m.createToken', (client, ...args) => client.m2m.createToken(...args)],
  ['m2mTokens.create', (client, ...args) => client.m2mTokens.create(...args)],
];
const REVOKE = [
  ['m2m.revokeToken', (client, params) => client.m2m.revokeToken(params)],
  ['m2mTokens.revoke', (client, params) => client.m2mTokens.revoke(params)],
];
const VERIFY = [
  ['m2m.verify', (client, params) => client.m2m.verify(params)],
  ['m2mTokens.verifyToken', (client, params) => client.m2mTokens.verifyToken(params)],
  ['m2mTokens.verifySecret', (client, { token, ...rest }) => client.m2mTokens.verifySecret({ secret: token, ...rest })],
];
const LIST = [['m2m.list', (client, params) => client.m2m.list(params)]];

export async function register(test, lib, ctx) {
  const { createClerkClient, ClerkAPIResponseError, MachineTokenVerificationError } = lib;
  const userAgent = `clerk-m2m-edge@${lib.version()}`;
  const signer = await rs256Signer(JWT_KID);

  /** One test per name the call has: `describe › it [name]`. */
  const each = (describe, it, names, body) => {
    for (const [name, call] of names) test(`Clerk M2MTokenApi › ${describe} › ${it} [${name}]`, () => body(call));
  };
  /** A fake Backend API with these routes, and a client that talks to it with these options. */
  const setup = (routes, options = {}) => {
    const api = fakeBackendApi(routes, { lane: ctx.lane, userAgent });
    return { api, client: createClerkClient({ apiUrl: API_URL, ...options, fetch: api.fetch }) };
  };
  /** The case made exactly one request, to this route, with this Authorization (undefined: none); returns it. */
  const onlyRequest = (api, method, path, authorization) => {
    assert.deepEqual(api.requests.map((r) => `${r.method} ${r.path}`), [`${method} ${path}`], 'requests made');
    const [request] = api.requests;
    assert.equal(request.headers.get('authorization') ?? undefined, authorization, 'Authorization');
    return request;
  };
  const assertApiError = (status) => (e) => {
    assert.ok(e instanceof ClerkAPIResponseError, `expected ClerkAPIResponseError, got ${e}`);
    assert.equal(e.status, status, 'status');
  };
  /** Clerk's `validateHeaders` 401: the request carried no Authorization header. */
  const assertNoAuthorization401 = (e) => {
    assertApiError(401)(e);
    assert.equal(e.errors[0]?.message, MISSING_AUTHORIZATION, 'refused for the missing Authorization header');
  };
  const assertVerificationError = (code, message) => (e) => {
    assert.ok(e instanceof MachineTokenVerificationError, `expected MachineTokenVerificationError, got ${e}`);
    assert.equal(e.code, code, 'code');
    // A RegExp where this package adds what to do after the reference's message (docs/compat.md).
    if (message instanceof RegExp) assert.match(e.message, message);
    else assert.equal(e.message, message, 'message');
  };

  // describe('create')

  each('create', 'creates a m2m token using machine secret key in backend client', CREATE, async (create) => {
    const { api, client } = setup({ 'POST /m2m_tokens': () => jsonResponse(tokenJson()) }, { machineSecretKey: MACHINE_SECRET_KEY });
    const token = await create(client, { secondsUntilExpiration: 3600, minRemainingTtlSeconds: 240 });
    const request = onlyRequest(api, 'POST', '/m2m_tokens', `Bearer ${MACHINE_SECRET_KEY}`);
    assert.deepEqual(request.body, { seconds_until_expiration: 3600, claims: null, min_remaining_ttl_seconds: 240, token_format: 'opaque' });
    assert.equal(token.id, TOKEN_ID);
    assert.equal(token.token, OPAQUE_TOKEN);
    assert.deepEqual(token.scopes, SCOPES);
    assert.deepEqual(token.claims, { foo: 'bar' });
  });

  each('create', 'creates a m2m token using machine secret key option', CREATE, async (create) => {
    const { api, client } = setup({ 'POST /m2m_tokens': () => jsonResponse(tokenJson()) });
    const token = await create(client, { machineSecretKey: MACHINE_SECRET_KEY, secondsUntilExpiration: 3600, minRemainingTtlSeconds: 240 });
    const request = onlyRequest(api, 'POST', '/m2m_tokens', `Bearer ${MACHINE_SECRET_KEY}`);
    // The per-call key authenticates the request and is never part of the body.
    assert.deepEqual(request.body, { seconds_until_expiration: 3600, claims: null, min_remaining_ttl_seconds: 240, token_format: 'opaque' });
    assert.equal(token.id, TOKEN_ID);
    assert.equal(token.token, OPAQUE_TOKEN);
    assert.deepEqual(token.scopes, SCOPES);
    assert.deepEqual(token.claims, { foo: 'bar' });
  });

  each('create', 'does not accept an instance secret as authorization header', CREATE, async (create) => {
    const { api, client } = setup(
      { 'POST /m2m_tokens': () => jsonResponse({ errors: [{ message: MACHINE_SECRET_KEY_INVALID, code: 'machine_secret_key_invalid' }] }, 401) },
      { secretKey: INSTANCE_SECRET_KEY },
    );
    await assert.rejects(create(client), (e) => {
      assertApiError(401)(e);
      assert.equal(e.errors[0].code, 'machine_secret_key_invalid');
      assert.equal(e.errors[0].message, MACHINE_SECRET_KEY_INVALID);
    });
    // With no machine key, the instance key is what is sent (and what the Backend API refuses).
    onlyRequest(api, 'POST', '/m2m_tokens', `Bearer ${INSTANCE_SECRET_KEY}`);
  });

  each('create', 'creates a jwt format m2m token', CREATE, async (create) => {
    const mintedJwt = `${jwtSegment({ alg: 'RS256', typ: 'JWT', kid: 'ins_xxxxx' })}.${jwtSegment(m2mJwtPayload())}.signature`;
    const { api, client } = setup({ 'POST /m2m_tokens': () => jsonResponse(tokenJson({ token: mintedJwt })) }, { machineSecretKey: MACHINE_SECRET_KEY });
    const token = await create(client, { tokenFormat: 'jwt' });
    const request = onlyRequest(api, 'POST', '/m2m_tokens', `Bearer ${MACHINE_SECRET_KEY}`);
    assert.equal(request.body.token_format, 'jwt');
    assert.equal(token.id, TOKEN_ID);
    assert.match(token.token, JWT_SHAPE);
    assert.equal(token.token, mintedJwt);
    assert.deepEqual(token.scopes, SCOPES);
  });

  each('create', 'creates a jwt m2m token with custom claims and scopes', CREATE, async (create) => {
    const customClaims = { role: 'service', tier: 'gold' };
    const mintedJwt = `${jwtSegment({ alg: 'RS256', typ: 'JWT', kid: 'ins_xxxxx' })}.${jwtSegment(m2mJwtPayload(customClaims))}.signature`;
    const { api, client } = setup(
      { 'POST /m2m_tokens': () => jsonResponse(tokenJson({ claims: customClaims, token: mintedJwt })) },
      { machineSecretKey: MACHINE_SECRET_KEY },
    );
    const token = await create(client, { tokenFormat: 'jwt', claims: customClaims });
    const request = onlyRequest(api, 'POST', '/m2m_tokens', `Bearer ${MACHINE_SECRET_KEY}`);
    assert.equal(request.body.token_format, 'jwt');
    assert.deepEqual(request.body.claims, customClaims);
    assert.equal(token.id, TOKEN_ID);
    assert.match(token.token, JWT_SHAPE);
    assert.deepEqual(token.claims, customClaims);
    assert.deepEqual(token.scopes, SCOPES);
  });

  each('create', 'creates an opaque format m2m token when explicitly specified', CREATE, async (create) => {
    const { api, client } = setup({ 'POST /m2m_tokens': () => jsonResponse(tokenJson()) }, { machineSecretKey: MACHINE_SECRET_KEY });
    const token = await create(client, { tokenFormat: 'opaque' });
    const request = onlyRequest(api, 'POST', '/m2m_tokens', `Bearer ${MACHINE_SECRET_KEY}`);
    assert.equal(request.body.token_format, 'opaque');
    assert.equal(token.id, TOKEN_ID);
    assert.equal(token.token, OPAQUE_TOKEN);
    assert.match(token.token, /^mt_.+$/);
  });

  each('create', 'creates an opaque m2m token by default when tokenFormat is omitted', CREATE, async (create) => {
    const { api, client } = setup({ 'POST /m2m_tokens': () => jsonResponse(tokenJson()) }, { machineSecretKey: MACHINE_SECRET_KEY });
    const token = await create(client, { secondsUntilExpiration: 3600 });
    const request = onlyRequest(api, 'POST', '/m2m_tokens', `Bearer ${MACHINE_SECRET_KEY}`);
    assert.equal(request.body.token_format, 'opaque');
    assert.equal(token.id, TOKEN_ID);
    assert.equal(token.token, OPAQUE_TOKEN);
  });

  // describe('revoke')

  const revokePath = `/m2m_tokens/${TOKEN_ID}/revoke`;
  const revokeRoute = { [`POST ${revokePath}`]: () => jsonResponse(revokedTokenJson()) };

  each('revoke', 'revokes a m2m token using machine secret', REVOKE, async (revoke) => {
    const { api, client } = setup(revokeRoute, { machineSecretKey: MACHINE_SECRET_KEY });
    const token = await revoke(client, { m2mTokenId: TOKEN_ID, revocationReason: 'revoked by test' });
    const request = onlyRequest(api, 'POST', revokePath, `Bearer ${MACHINE_SECRET_KEY}`);
    assert.deepEqual(request.body, { revocation_reason: 'revoked by test' });
    assert.equal(token.revoked, true);
    assert.equal(token.token, undefined);
    assert.equal(token.revocationReason, 'revoked by test');
    assert.deepEqual(token.scopes, SCOPES);
    assert.deepEqual(token.claims, { foo: 'bar' });
  });

  each('revoke', 'revokes a m2m token using instance secret', REVOKE, async (revoke) => {
    const { api, client } = setup(revokeRoute, { secretKey: INSTANCE_SECRET_KEY });
    const token = await revoke(client, { m2mTokenId: TOKEN_ID, revocationReason: 'revoked by test' });
    onlyRequest(api, 'POST', revokePath, `Bearer ${INSTANCE_SECRET_KEY}`);
    assert.equal(token.revoked, true);
    assert.equal(token.token, undefined);
    assert.equal(token.revocationReason, 'revoked by test');
  });

  each('revoke', 'requires a machine secret or instance secret to revoke a m2m token', REVOKE, async (revoke) => {
    const { api, client } = setup(revokeRoute);
    await assert.rejects(revoke(client, { m2mTokenId: TOKEN_ID, revocationReason: 'revoked by test' }), assertNoAuthorization401);
    onlyRequest(api, 'POST', revokePath, undefined);
  });

  // describe('verify'), and the older describe('verifyToken') / describe('verifySecret (deprecated)') with the
  // same three cases under the changeset's names.

  const verifyRoute = { 'POST /m2m_tokens/verify': () => jsonResponse(tokenJson()) };

  each('verify', 'verifies a m2m token using machine secret', VERIFY, async (verify) => {
    const { api, client } = setup(verifyRoute, { machineSecretKey: MACHINE_SECRET_KEY });
    const token = await verify(client, { token: OPAQUE_TOKEN });
    const request = onlyRequest(api, 'POST', '/m2m_tokens/verify', `Bearer ${MACHINE_SECRET_KEY}`);
    assert.deepEqual(request.body, { token: OPAQUE_TOKEN });
    assert.equal(token.id, TOKEN_ID);
    assert.equal(token.token, OPAQUE_TOKEN);
    assert.deepEqual(token.scopes, SCOPES);
    assert.deepEqual(token.claims, { foo: 'bar' });
  });

  each('verify', 'verifies a m2m token using instance secret', VERIFY, async (verify) => {
    const { api, client } = setup(verifyRoute, { secretKey: INSTANCE_SECRET_KEY });
    const token = await verify(client, { token: OPAQUE_TOKEN });
    const request = onlyRequest(api, 'POST', '/m2m_tokens/verify', `Bearer ${INSTANCE_SECRET_KEY}`);
    assert.deepEqual(request.body, { token: OPAQUE_TOKEN });
    assert.equal(token.id, TOKEN_ID);
    assert.equal(token.token, OPAQUE_TOKEN);
    assert.deepEqual(token.scopes, SCOPES);
    assert.deepEqual(token.claims, { foo: 'bar' });
  });

  each('verify', 'requires a machine secret or instance secret to verify a m2m token', VERIFY, async (verify) => {
    const { api, client } = setup(verifyRoute);
    await assert.rejects(verify(client, { token: OPAQUE_TOKEN }), assertNoAuthorization401);
    onlyRequest(api, 'POST', '/m2m_tokens/verify', undefined);
  });

  // describe('verify — JWT format'): verified locally against the instance JWKS, never by POST /m2m_tokens/verify.
  // Clerk sets `skipJwksCache: true` on the client; here it is a per-call verify option (docs/compat.md, "Claims
  // and result": the JWT path can set skipJwksCache per call).

  const jwksRoute = (jwks) => ({ 'GET /v1/jwks': () => jsonResponse(jwks) });
  const JWKS_SECRET_KEY = 'sk_test_xxxxx';

  each('verify — JWT format', 'verifies a JWT M2M token using secretKey (JWKS lookup)', VERIFY, async (verify) => {
    const { api, client } = setup(jwksRoute(signer.jwks), { secretKey: JWKS_SECRET_KEY });
    const token = await verify(client, { token: await signer.sign(m2mJwtPayload()), skipJwksCache: true });
    onlyRequest(api, 'GET', '/v1/jwks', `Bearer ${JWKS_SECRET_KEY}`);
    assert.equal(token.id, JWT_ID);
    assert.equal(token.subject, JWT_SUBJECT);
    assert.deepEqual(token.scopes, ['mch_1xxxxx', 'mch_2xxxxx']);
  });

  each('verify — JWT format', 'preserves custom claims embedded in a JWT M2M token', VERIFY, async (verify) => {
    const { api, client } = setup(jwksRoute(signer.jwks), { secretKey: JWKS_SECRET_KEY });
    const jwt = await signer.sign(m2mJwtPayload({ permissions: ['read:users', 'read:orders'], role: 'service' }));
    const token = await verify(client, { token: jwt, skipJwksCache: true });
    onlyRequest(api, 'GET', '/v1/jwks', `Bearer ${JWKS_SECRET_KEY}`);
    // `aud` and `scopes` are kept in `claims` as sent; `scopes` also fills the dedicated field.
    assert.deepEqual(token.claims, {
      aud: ['mch_1xxxxx', 'mch_2xxxxx'],
      scopes: 'mch_1xxxxx mch_2xxxxx',
      permissions: ['read:users', 'read:orders'],
      role: 'service',
    });
    assert.deepEqual(token.scopes, ['mch_1xxxxx', 'mch_2xxxxx']);
  });

  each('verify — JWT format', 'throws when JWT signature cannot be verified', VERIFY, async (verify) => {
    const jwt = await signer.sign(m2mJwtPayload());
    // In Clerk's suite the JWKS cache of this apiUrl and secretKey (per process there, per isolate here) already
    // holds the kid when this case runs: the cases before it put it there. Another client warms it the same way
    // here, so the case does not depend on their order; skipJwksCache must still make the empty answer final.
    const warm = setup(jwksRoute(signer.jwks), { secretKey: JWKS_SECRET_KEY });
    assert.equal((await verify(warm.client, { token: jwt, skipJwksCache: true })).subject, JWT_SUBJECT);
    const { api, client } = setup(jwksRoute({ keys: [] }), { secretKey: JWKS_SECRET_KEY });
    // Clerk asserts only that it throws; the reference's error for a JWKS without keys is this one.
    await assert.rejects(verify(client, { token: jwt, skipJwksCache: true }), assertVerificationError('token-verification-failed',
      'The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.'));
    onlyRequest(api, 'GET', '/v1/jwks', `Bearer ${JWKS_SECRET_KEY}`);
  });

  each('verify — JWT format', 'throws when no secretKey or jwtKey is provided', VERIFY, async (verify) => {
    const { api, client } = setup({});
    const jwt = await signer.sign(m2mJwtPayload());
    await assert.rejects(verify(client, { token: jwt }), assertVerificationError('token-verification-failed', /^Failed to resolve JWK during verification\./));
    assert.equal(api.requests.length, 0, 'no request without a key source');
  });

  // describe('list')

  const listJson = () => ({
    m2m_tokens: [tokenJson({ id: 'mt_1xxxxxxxxxxxxx' }), tokenJson({ id: 'mt_2xxxxxxxxxxxxx', revoked: true })],
    total_count: 2,
  });
  const listRoute = { 'GET /m2m_tokens': () => jsonResponse(listJson()) };

  each('list', 'lists m2m tokens with machine secret key', LIST, async (list) => {
    const { api, client } = setup(listRoute, { machineSecretKey: MACHINE_SECRET_KEY });
    const page = await list(client, { subject: MACHINE_ID, limit: 10 });
    const request = onlyRequest(api, 'GET', '/m2m_tokens', `Bearer ${MACHINE_SECRET_KEY}`);
    assert.equal(request.query.get('subject'), MACHINE_ID);
    assert.equal(request.query.get('limit'), '10');
    assert.deepEqual(page.data.map((t) => t.id), ['mt_1xxxxxxxxxxxxx', 'mt_2xxxxxxxxxxxxx']);
    assert.equal(page.data[1].revoked, true);
    assert.equal(page.totalCount, 2);
  });

  each('list', 'lists m2m tokens with instance secret key', LIST, async (list) => {
    const { api, client } = setup(listRoute, { secretKey: INSTANCE_SECRET_KEY });
    const page = await list(client, { subject: MACHINE_ID });
    onlyRequest(api, 'GET', '/m2m_tokens', `Bearer ${INSTANCE_SECRET_KEY}`);
    assert.equal(page.data.length, 2);
    assert.equal(page.totalCount, 2);
  });

  each('list', 'lists m2m tokens with revoked filter', LIST, async (list) => {
    const { api, client } = setup(listRoute, { secretKey: INSTANCE_SECRET_KEY });
    const page = await list(client, { subject: MACHINE_ID, revoked: true });
    const request = onlyRequest(api, 'GET', '/m2m_tokens', `Bearer ${INSTANCE_SECRET_KEY}`);
    assert.equal(request.query.get('revoked'), 'true');
    assert.equal(page.data.length, 2);
  });

  each('list', 'lists m2m tokens with expired filter', LIST, async (list) => {
    const { api, client } = setup(listRoute, { secretKey: INSTANCE_SECRET_KEY });
    const page = await list(client, { subject: MACHINE_ID, expired: true });
    const request = onlyRequest(api, 'GET', '/m2m_tokens', `Bearer ${INSTANCE_SECRET_KEY}`);
    assert.equal(request.query.get('expired'), 'true');
    assert.equal(page.data.length, 2);
  });

  each('list', 'lists m2m tokens with pagination', LIST, async (list) => {
    const { api, client } = setup(listRoute, { secretKey: INSTANCE_SECRET_KEY });
    const page = await list(client, { subject: MACHINE_ID, limit: 5, offset: 10 });
    const request = onlyRequest(api, 'GET', '/m2m_tokens', `Bearer ${INSTANCE_SECRET_KEY}`);
    assert.equal(request.query.get('limit'), '5');
    assert.equal(request.query.get('offset'), '10');
    assert.equal(page.data.length, 2);
    assert.equal(page.totalCount, 2);
  });

  each('list', 'lists m2m tokens using machine secret key option', LIST, async (list) => {
    const { api, client } = setup(listRoute);
    const page = await list(client, { machineSecretKey: MACHINE_SECRET_KEY, subject: MACHINE_ID });
    const request = onlyRequest(api, 'GET', '/m2m_tokens', `Bearer ${MACHINE_SECRET_KEY}`);
    assert.equal(request.query.get('subject'), MACHINE_ID);
    assert.equal(request.query.has('machineSecretKey'), false);
    assert.equal(request.query.has('machine_secret_key'), false);
    assert.deepEqual(page.data.map((t) => t.id), ['mt_1xxxxxxxxxxxxx', 'mt_2xxxxxxxxxxxxx']);
    assert.equal(page.totalCount, 2);
  });

  each('list', 'requires a machine secret or instance secret to list m2m tokens', LIST, async (list) => {
    const { api, client } = setup({ 'GET /m2m_tokens': () => jsonResponse({ errors: [{ message: 'Unauthorized', code: 'unauthorized' }] }, 401) });
    await assert.rejects(list(client, { subject: MACHINE_ID }), assertNoAuthorization401);
    onlyRequest(api, 'GET', '/m2m_tokens', undefined);
  });
}
