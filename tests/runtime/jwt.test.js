// Local verification of JWT-format M2M tokens (reference §4), in every runtime lane: tokens minted by the local
// Backend API (JWKS path) and by this suite with WebCrypto (networkless jwtKey path), every §4.6 row that can be
// produced from outside, and the JWKS cache behaviour.
import { assert } from './harness.js';
import { localBapi } from './bapi.js';

const enc = new TextEncoder();
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const part = (obj) => b64url(enc.encode(typeof obj === 'string' ? obj : JSON.stringify(obj)));

async function signer(hash = 'SHA-256') {
  const keys = await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash }, true, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
  return {
    jwk: { kty: 'RSA', n: jwk.n, e: jwk.e },
    async sign(header, payload) {
      const input = `${part(header)}.${part(payload)}`;
      const sig = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, enc.encode(input));
      return `${input}.${b64url(sig)}`;
    },
  };
}

export async function register(test, lib, ctx) {
  const bapi = localBapi(ctx);
  if (!bapi) return;
  const { createClerkClient, MachineTokenVerificationError } = lib;
  const apiUrl = bapi.url;
  const receiver = await bapi.machine(`${ctx.lane}-jwt-receiver`);
  const sender = await bapi.machine(`${ctx.lane}-jwt-sender`, [receiver.id]);
  const senderClient = createClerkClient({ apiUrl, machineSecretKey: sender.secretKey });
  // The per-isolate JWKS cache is what this suite checks; tests/runtime/shared-cache.test.js checks the shared one.
  const verifier = createClerkClient({ apiUrl, secretKey: bapi.secretKey, sharedCache: false });
  const rs256 = await signer('SHA-256');
  const rs384 = await signer('SHA-384');
  const localVerifier = createClerkClient({ jwtKey: JSON.stringify(rs256.jwk), apiUrl: 'http://127.0.0.1:9' });
  const now = () => Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: 'ins_test', cat: 'cl_B7d4PD333AAA' };
  const payload = (extra = {}) => ({ iss: 'https://clerk.test', sub: 'mch_2vYVtestTESTtestTESTtestTESTtest', aud: ['mch_1xxxxx', 'mch_2xxxxx'],
    exp: now() + 300, iat: now() - 1, nbf: now() - 10, jti: 'mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE', scopes: 'mch_1xxxxx mch_2xxxxx', ...extra });

  const rejectsWith = async (promise, code, message) => assert.rejects(promise, (e) => {
    assert.ok(e instanceof MachineTokenVerificationError, `expected MachineTokenVerificationError, got ${e}`);
    assert.equal(e.code, code, 'code');
    if (message instanceof RegExp) assert.match(e.message, message);
    else if (message !== undefined) assert.equal(e.message, message);
  });

  test('§7.A 14, 46: a JWT minted by the Backend API verifies through /v1/jwks, with no /m2m_tokens/verify call', async () => {
    const minted = await senderClient.m2m.createToken({ tokenFormat: 'jwt', claims: { role: 'service' }, secondsUntilExpiration: 600 });
    const log = await bapi.requestsDuring(async () => {
      const v = await verifier.m2m.verify({ token: minted.token });
      assert.equal(v.id, minted.id);
      assert.equal(v.subject, sender.id);
      assert.deepEqual(v.scopes, [receiver.id]);
      assert.equal(v.claims.role, 'service');
      assert.deepEqual(v.claims.aud, [receiver.id]);
      assert.equal(v.revoked, false);
      assert.equal(v.expired, false);
      assert.equal(v.token, undefined);
      assert.ok(Math.abs(v.expiration - minted.expiration) < 2000, 'expiration in ms');
    });
    assert.deepEqual(log.map((r) => `${r.method} ${r.path}`), ['GET /v1/jwks']);
    assert.equal(log[0].headers.authorization, `Bearer ${bapi.secretKey}`);
    const again = await bapi.requestsDuring(() => verifier.m2m.verify({ token: minted.token }));
    assert.equal(again.length, 0, 'the JWKS is cached');
  });

  test('networkless: jwtKey as a PEM from the instance verifies with no request at all', async () => {
    const { current } = await bapi.admin('GET', '/keys');
    const pemClient = createClerkClient({ jwtKey: current.pem, apiUrl: 'http://127.0.0.1:9' });
    const minted = await senderClient.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 });
    const log = await bapi.requestsDuring(async () => assert.equal((await pemClient.m2m.verify({ token: minted.token })).subject, sender.id));
    assert.equal(log.length, 0);
  });

  test('§7.B 118, §7.A 15, 25–29: result mapping of a suite-minted token (jwtKey as a JWK)', async () => {
    const v = await localVerifier.m2m.verify({ token: await rs256.sign(header, payload({ permissions: ['read:users'], role: 'service' })) });
    assert.equal(v.id, 'mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE');
    assert.deepEqual(v.scopes, ['mch_1xxxxx', 'mch_2xxxxx']);
    assert.deepEqual(v.claims, { aud: ['mch_1xxxxx', 'mch_2xxxxx'], scopes: 'mch_1xxxxx mch_2xxxxx', permissions: ['read:users'], role: 'service' });
    const minimal = await localVerifier.m2m.verify({ token: await rs256.sign({ alg: 'RS256' }, { sub: 'mch_x', exp: now() + 60, iat: now() }) });
    assert.equal(minimal.id, '');
    assert.deepEqual(minimal.scopes, []);
    assert.equal(minimal.claims, null);
    const audOnly = await localVerifier.m2m.verify({ token: await rs256.sign(header, payload({ scopes: undefined, aud: 'mch_b' })) });
    assert.deepEqual(audOnly.scopes, ['mch_b'], 'a string aud becomes a one-element array (docs/compat.md)');
  });

  test('§4.6 rows through the public API, with exact codes and messages', async () => {
    const t = (h, p) => rs256.sign(h, p);
    await rejectsWith(localVerifier.m2m.verify({ token: await t({ ...header, cat: 'cl_B7d4PD111AAA' }, payload()) }), 'token-invalid', 'Invalid M2M JWT category.');
    await rejectsWith(localVerifier.m2m.verify({ token: await t({ ...header, cat: 'cl_I7d4PD111III' }, payload()) }), 'token-invalid', 'Invalid M2M JWT category.');
    await rejectsWith(localVerifier.m2m.verify({ token: await t({ ...header, typ: 'jwt' }, payload()) }), 'token-verification-failed', 'Invalid JWT type "jwt". Expected "JWT".');
    await rejectsWith(localVerifier.m2m.verify({ token: await t({ ...header, alg: 'HS256' }, payload()) }), 'token-verification-failed', 'Invalid JWT algorithm "HS256". Supported: RS256,RS384,RS512.');
    await rejectsWith(localVerifier.m2m.verify({ token: await t({ ...header, alg: 'none' }, payload()) }), 'token-verification-failed', /Invalid JWT algorithm/);
    const good = await t(header, payload());
    const tampered = good.slice(0, -6) + (good.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    await rejectsWith(localVerifier.m2m.verify({ token: tampered }), 'token-verification-failed', 'JWT signature is invalid.');
    await rejectsWith(localVerifier.m2m.verify({ token: await t(header, payload({ exp: String(now() + 60) })) }), 'token-verification-failed', /^Invalid JWT expiry date claim \(exp\) ".*"\. Expected number\.$/);
    // The reference's E16, and what to do about it (docs/compat.md).
    await rejectsWith(localVerifier.m2m.verify({ token: await t(header, payload({ exp: undefined })) }), 'token-verification-failed',
      /^Invalid JWT expiry date claim \(exp\) undefined\. Expected number\. A JWT without `exp` never verifies: mint JWT-format tokens with `secondsUntilExpiration`/);
    await rejectsWith(localVerifier.m2m.verify({ token: await t(header, payload({ exp: now() - 10 })) }), 'token-verification-failed', /^JWT is expired\. Expiry date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT, Current date: .* GMT\.$/);
    assert.equal((await localVerifier.m2m.verify({ token: await t(header, payload({ exp: now() - 3 })) })).expired, false, 'within the 5 s skew');
    await rejectsWith(localVerifier.m2m.verify({ token: await t(header, payload({ nbf: now() + 60 })) }), 'token-verification-failed', /^JWT cannot be used prior to not before date claim \(nbf\)\./);
    await rejectsWith(localVerifier.m2m.verify({ token: await t(header, payload({ iat: now() + 60 })) }), 'token-verification-failed', /^JWT issued at date claim \(iat\) is in the future\./);
    await rejectsWith(localVerifier.m2m.verify({ token: await t(header, payload({ scopes: ['a', 'b'] })) }), 'token-invalid');
    const rs384Token = await rs384.sign({ ...header, alg: 'RS384' }, payload());
    await rejectsWith(localVerifier.m2m.verify({ token: rs384Token }), 'token-verification-failed', /^Error verifying JWT signature\.|JWT signature is invalid\./);
  });

  test('audience and clockSkewInMs per call (§9.2: the way to bind a JWT to the receiving machine)', async () => {
    const token = await rs256.sign(header, payload({ aud: ['mch_recv'] }));
    assert.equal((await localVerifier.m2m.verify({ token, audience: 'mch_recv' })).subject, 'mch_2vYVtestTESTtestTESTtestTESTtest');
    await rejectsWith(localVerifier.m2m.verify({ token, audience: ['mch_other'] }), 'token-verification-failed',
      'Invalid JWT audience claim array (aud) ["mch_recv"]. Is not included in "["mch_other"]".');
    const justExpired = await rs256.sign(header, payload({ exp: now() - 3 }));
    await rejectsWith(localVerifier.m2m.verify({ token: justExpired, clockSkewInMs: 0 }), 'token-verification-failed', /JWT is expired/);
  });

  test('§7.A 95: clockSkewInMs NaN and ±Infinity mean 5000 (per call and per client); a negative skew is stricter', async () => {
    const expiredBy = async (s) => rs256.sign(header, payload({ exp: now() - s }));
    const [oneSecond, aMinute, anHour] = [await expiredBy(1), await expiredBy(60), await expiredBy(3600)];
    for (const clockSkewInMs of [NaN, Infinity, -Infinity]) {
      assert.equal((await localVerifier.m2m.verify({ token: oneSecond, clockSkewInMs })).subject, 'mch_2vYVtestTESTtestTESTtestTESTtest', `${clockSkewInMs}: 1 s passes`);
      await rejectsWith(localVerifier.m2m.verify({ token: aMinute, clockSkewInMs }), 'token-verification-failed', /JWT is expired/);
      await rejectsWith(localVerifier.m2m.verify({ token: anHour, clockSkewInMs }), 'token-verification-failed', /JWT is expired/);
      const client = createClerkClient({ jwtKey: JSON.stringify(rs256.jwk), apiUrl: 'http://127.0.0.1:9', clockSkewInMs });
      assert.equal((await client.m2m.verify({ token: oneSecond })).expired, false, `client ${clockSkewInMs}: 1 s passes`);
      await rejectsWith(client.m2m.verify({ token: aMinute }), 'token-verification-failed', /JWT is expired/);
    }
    const stillValid = await rs256.sign(header, payload({ exp: now() + 5 }));
    await rejectsWith(localVerifier.m2m.verify({ token: stillValid, clockSkewInMs: -10_000 }), 'token-verification-failed', /JWT is expired/);
    assert.equal((await localVerifier.m2m.verify({ token: stillValid, clockSkewInMs: -1_000 })).expired, false);
    await assert.rejects(localVerifier.m2m.verify({ token: stillValid, clockSkewInMs: '5000' }), (e) => {
      assert.ok(e instanceof TypeError, `a string is a TypeError, got ${e}`);
      assert.match(e.message, /clockSkewInMs/);
    });
  });

  test('E2: neither jwtKey nor secretKey (a machine key is no use for JWTs)', async () => {
    const machineOnly = createClerkClient({ apiUrl, machineSecretKey: receiver.secretKey });
    const minted = await senderClient.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 });
    await assert.rejects(machineOnly.m2m.verify({ token: minted.token }), (e) => {
      assert.equal(e.code, 'token-verification-failed');
      // The reference's E2, and the fix: the instance secretKey or jwtKey (docs/compat.md).
      assert.match(e.message, /^Failed to resolve JWK during verification\. JWT-format M2M tokens are verified with the instance's public keys: give the client the instance secretKey \(CLERK_SECRET_KEY, for the JWKS\) or jwtKey \(CLERK_JWT_KEY\)/);
      assert.equal(e.action, 'Set the CLERK_JWT_KEY environment variable.');
    });
  });

  test('§7.B 123: a JWT whose sub is not mch_ goes to the Backend API', async () => {
    const userJwt = await rs256.sign(header, payload({ sub: 'user_1' }));
    const log = await bapi.requestsDuring(() => verifier.m2m.verify({ token: userJwt }).catch(() => {}));
    assert.deepEqual(log.map((r) => `${r.method} ${r.path}`), ['POST /m2m_tokens/verify']);
  });

  test('JWKS cache: 50 concurrent cold verifications make exactly one JWKS request', async () => {
    const cold = createClerkClient({ apiUrl: apiUrl.replace('127.0.0.1', 'localhost'), secretKey: bapi.secretKey });
    const minted = await senderClient.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 });
    const log = await bapi.requestsDuring(async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => cold.m2m.verify({ token: minted.token })));
      assert.ok(results.every((r) => r.subject === sender.id));
    });
    assert.equal(log.filter((r) => r.path === '/v1/jwks').length, 1);
  });

  test('JWKS cache: a flood of unknown kids causes at most one request (cooldown), each failing E4', async () => {
    const flood = createClerkClient({ apiUrl: apiUrl.replace('127.0.0.1', 'localhost'), secretKey: bapi.secretKey });
    const log = await bapi.requestsDuring(async () => {
      for (let i = 0; i < 20; i++) {
        const kid = `ins_unknown${i}`;
        await rejectsWith(flood.m2m.verify({ token: await rs256.sign({ ...header, kid }, payload()) }), 'token-verification-failed',
          `Unable to find a signing key in JWKS that matches the kid='${kid}' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT.`);
      }
    });
    assert.ok(log.filter((r) => r.path === '/v1/jwks').length <= 1, `${log.length} JWKS requests`);
  });

  test('key rotation at the Backend API is picked up; an expired JWT (time travel) is refused', async () => {
    await bapi.admin('POST', '/rotate-key', { drop_old: false });
    const minted = await senderClient.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 });
    assert.equal((await verifier.m2m.verify({ token: minted.token })).subject, sender.id);
    const old = await bapi.travel(-3_600_000, () => senderClient.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 60 }));
    await rejectsWith(verifier.m2m.verify({ token: old.token }), 'token-verification-failed', /JWT is expired/);
  });

  test('JWKS failures: a 500 and a hang end in a clear error within the timeout', async () => {
    // A trailing slash names the same endpoints but a JWKS cache scope of its own (the reference keys the cache by
    // the apiUrl string too), so this client starts with no keys and nothing stale to fall back on.
    const failing = createClerkClient({ apiUrl: `${apiUrl}/`, secretKey: bapi.secretKey, jwksTimeoutMs: 300 });
    const minted = await senderClient.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 });
    await bapi.fault('jwks', { kind: 'status', status: 500 }, { count: 10 });
    await rejectsWith(failing.m2m.verify({ token: minted.token, skipJwksCache: true }), 'token-verification-failed', /^Error loading Clerk JWKS from .*\/v1\/jwks with code=500$/);
    await bapi.clearFaults();
    await bapi.fault('jwks', { kind: 'hang' }, { count: 10 });
    const started = Date.now();
    await assert.rejects(failing.m2m.verify({ token: minted.token, skipJwksCache: true }), () => {});
    assert.ok(Date.now() - started < 5000, 'bounded by jwksTimeoutMs and the retry budget');
    await bapi.clearFaults();
  });
}
