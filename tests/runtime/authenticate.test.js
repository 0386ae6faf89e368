// authenticateRequest for edge handlers (reference §5, §7.A 54–65, §7.B 125–133, §7.C 135–140), over real HTTP.
import { assert } from './harness.js';
import { localBapi } from './bapi.js';

export async function register(test, lib, ctx) {
  const bapi = localBapi(ctx);
  if (!bapi) return;
  const { createClerkClient, ClerkConfigurationError } = lib;
  const apiUrl = bapi.url;
  const receiver = await bapi.machine(`${ctx.lane}-auth-receiver`);
  const sender = await bapi.machine(`${ctx.lane}-auth-sender`, [receiver.id]);
  const unscoped = await bapi.machine(`${ctx.lane}-auth-unscoped`);
  const mint = (machine, params) => createClerkClient({ apiUrl, machineSecretKey: machine.secretKey }).m2m.createToken(params);
  // The receiving service: its machine key for opaque tokens, the instance key for the JWKS.
  const server = createClerkClient({ apiUrl, machineSecretKey: receiver.secretKey, secretKey: bapi.secretKey });
  const req = (authorization, headers = {}) =>
    new Request('https://service.test/api', { headers: authorization === undefined ? headers : { authorization, ...headers } });
  const m2m = { acceptsToken: 'm2m_token' };

  const signedOut = (state, tokenType, reason, message) => {
    assert.equal(state.status, 'signed-out');
    assert.equal(state.isAuthenticated, false);
    assert.equal(state.tokenType, tokenType, 'tokenType');
    assert.equal(state.reason, reason, 'reason');
    if (message instanceof RegExp) assert.match(state.message, message);
    else assert.equal(state.message, message, 'message');
    assert.equal(state.token, null);
    assert.equal(state.headers.get('x-clerk-auth-status'), 'signed-out');
    assert.equal(state.headers.get('x-clerk-auth-reason'), reason);
    assert.equal(state.headers.get('x-clerk-auth-message'), message === '' ? null : state.message);
    const auth = state.toAuth();
    assert.equal(auth.isAuthenticated, false);
    assert.equal(auth.id, null);
    assert.equal(auth.machineId, null);
  };

  test('per-call keys are checked like client keys: a TypeError naming the option, never the key, and no request', async () => {
    const token = (await mint(sender, { secondsUntilExpiration: 600 })).token;
    const cases = [
      [{ secretKey: 'sk_LEAK\r\nME' }, 'secretKey'],
      [{ machineSecretKey: 'ak_LEAK\u00e9ME' }, 'machineSecretKey'],
      [{ machineSecretKey: 'ak_LEAK ME' }, 'machineSecretKey'],
      [{ secretKey: 42 }, 'secretKey'],
      [{ jwtKey: { pem: 'LEAK' } }, 'jwtKey'],
    ];
    const log = await bapi.requestsDuring(async () => {
      for (const [keys, named] of cases) {
        await assert.rejects(server.authenticateRequest(req(`Bearer ${token}`), { ...m2m, ...keys }), (e) => {
          assert.ok(e instanceof TypeError, `${named}: a TypeError, got ${e}`);
          assert.ok(e.message.startsWith(named), e.message);
          assert.ok(!e.message.includes('LEAK') && !String(e.stack).includes('LEAK'), 'the key is not quoted');
        });
      }
    });
    assert.equal(log.length, 0, 'no request was made');
  });

  test('§7.C 135, §7.B 128: no token, bearer in lower case, and a double space', async () => {
    signedOut(await server.authenticateRequest(req(undefined), m2m), 'm2m_token', 'No token in header', '');
    signedOut(await server.authenticateRequest(req('bearer mt_abc'), m2m), 'm2m_token', 'No token in header', '');
    signedOut(await server.authenticateRequest(req('Bearer  mt_abc'), m2m), 'm2m_token', 'token-type-mismatch',
      "Found a token of type session_token, but acceptsToken is 'm2m_token'. clerk-m2m-edge verifies M2M tokens only.");
  });

  test('token-type-mismatch says what was found and how to accept it (the reference leaves the message empty)', async () => {
    const t = await mint(sender);
    // Clerk's default is session_token, and stays so: an M2M handler must say acceptsToken: 'm2m_token'.
    signedOut(await server.authenticateRequest(req(`Bearer ${t.token}`)), 'session_token', 'token-type-mismatch',
      "Found a token of type m2m_token, but acceptsToken is 'session_token' (the default when it is not given). "
      + "Pass acceptsToken: 'm2m_token' (or include it in the list, or 'any') to accept it.");
  });

  test('§7.C 138, §7.B 125: a scoped sender\'s opaque token signs in', async () => {
    const t = await mint(sender, { claims: { tier: 'gold' } });
    const state = await server.authenticateRequest(req(`Bearer ${t.token}`), m2m);
    assert.equal(state.status, 'signed-in');
    assert.equal(state.isAuthenticated, true);
    assert.equal(state.tokenType, 'm2m_token');
    assert.equal(state.reason, null);
    assert.equal(state.token, t.token);
    assert.equal([...state.headers].length, 0);
    const auth = state.toAuth();
    assert.equal(auth.id, t.id);
    assert.equal(auth.subject, sender.id);
    assert.equal(auth.machineId, sender.id);
    assert.deepEqual(auth.scopes, [receiver.id]);
    assert.deepEqual(auth.claims, { tier: 'gold' });
    assert.equal(auth.tokenType, 'm2m_token');
    assert.equal(await auth.getToken(), t.token);
    assert.equal(auth.has({ scope: receiver.id }), true);
    assert.equal(auth.has({ scope: unscoped.id }), false);
    // A missing scope (an unset RECEIVER_MACHINE_ID) is a TypeError naming `scope`, not a quiet false.
    for (const bad of [undefined, {}, { scope: undefined }, { scope: '' }, { scope: 7 }]) {
      assert.throws(() => auth.has(bad), (e) => assert.ok(e instanceof TypeError && /scope/.test(e.message), String(e)));
    }
    assert.ok(!JSON.stringify(auth.debug()).includes(t.token), 'debug() never shows the token');
  });

  test('§7.B 128: a header value without a scheme is the token itself', async () => {
    const t = await mint(sender);
    assert.equal((await server.authenticateRequest(req(t.token), m2m)).status, 'signed-in');
  });

  test('§7.C 136–137, §7.A 55: unknown, unscoped and revoked opaque tokens are refused', async () => {
    signedOut(await server.authenticateRequest(req('Bearer mt_0123456789abcdef0123456789abcdef'), m2m), 'm2m_token', 'token-invalid',
      'Machine token not found (code=token-invalid, status=404)');
    const other = await mint(unscoped);
    const state = await server.authenticateRequest(req(`Bearer ${other.token}`), m2m);
    assert.equal(state.status, 'signed-out');
    assert.ok(['token-invalid', 'unexpected-error', 'secret-key-invalid'].includes(state.reason), state.reason);
    const t = await mint(sender);
    await createClerkClient({ apiUrl, secretKey: bapi.secretKey }).m2m.revokeToken({ m2mTokenId: t.id });
    assert.equal((await server.authenticateRequest(req(`Bearer ${t.token}`), m2m)).status, 'signed-out');
  });

  test('§7.C 139: a JWT is verified locally through the JWKS; with jwtKey alone too', async () => {
    const t = await mint(sender, { tokenFormat: 'jwt', secondsUntilExpiration: 600 });
    const log = await bapi.requestsDuring(async () => {
      const state = await server.authenticateRequest(req(`Bearer ${t.token}`), m2m);
      assert.equal(state.status, 'signed-in');
      assert.equal(state.toAuth().subject, sender.id);
      assert.equal(state.toAuth().has({ scope: receiver.id }), true);
    });
    assert.ok(log.every((r) => r.path === '/v1/jwks'), 'no /m2m_tokens/verify call');
    const { current } = await bapi.admin('GET', '/keys');
    const networkless = createClerkClient({ jwtKey: current.pem });
    assert.equal((await networkless.authenticateRequest(req(`Bearer ${t.token}`), m2m)).status, 'signed-in');
  });

  test('§7.B 127: audience binds a JWT to the receiving machine', async () => {
    const t = await mint(sender, { tokenFormat: 'jwt', secondsUntilExpiration: 600 });
    assert.equal((await server.authenticateRequest(req(`Bearer ${t.token}`), { ...m2m, audience: receiver.id })).status, 'signed-in');
    const state = await server.authenticateRequest(req(`Bearer ${t.token}`), { ...m2m, audience: 'mch_someone_else' });
    signedOut(state, 'm2m_token', 'token-verification-failed',
      `Invalid JWT audience claim array (aud) ["${receiver.id}"]. Is not included in "["mch_someone_else"]". (code=token-verification-failed, status=n/a)`);
  });

  test('§7.B 130: an expired JWT signs out with the x-clerk-auth-* headers', async () => {
    const old = await bapi.travel(-3_600_000, () => mint(sender, { tokenFormat: 'jwt', secondsUntilExpiration: 60 }));
    signedOut(await server.authenticateRequest(req(`Bearer ${old.token}`), m2m), 'm2m_token', 'token-verification-failed',
      /^JWT is expired\. .* \(code=token-verification-failed, status=n\/a\)$/);
  });

  test('§7.A 59–63, §7.C 140: token types and acceptsToken arrays', async () => {
    const found = (type) => `Found a token of type ${type}, but acceptsToken is 'm2m_token'. clerk-m2m-edge verifies M2M tokens only.`;
    signedOut(await server.authenticateRequest(req('Bearer oat_abc'), m2m), 'm2m_token', 'token-type-mismatch', found('oauth_token'));
    signedOut(await server.authenticateRequest(req('Bearer ak_test_mismatch'), m2m), 'm2m_token', 'token-type-mismatch', found('api_key'));
    signedOut(await server.authenticateRequest(req('Bearer session.jwt.value'), m2m), 'm2m_token', 'token-type-mismatch', found('session_token'));
    const t = await mint(sender);
    assert.equal((await server.authenticateRequest(req(`Bearer ${t.token}`), { acceptsToken: 'any' })).status, 'signed-in');
    assert.equal((await server.authenticateRequest(req(`Bearer ${t.token}`), { acceptsToken: ['session_token', 'm2m_token'] })).status, 'signed-in');
    const mismatch = await server.authenticateRequest(req(`Bearer ${t.token}`), { acceptsToken: ['api_key', 'oauth_token'] });
    signedOut(mismatch, null, 'token-type-mismatch', "Found a token of type m2m_token, but acceptsToken is ['api_key', 'oauth_token']. "
      + "Pass acceptsToken: 'm2m_token' (or include it in the list, or 'any') to accept it.");
    assert.equal(mismatch.toAuth().tokenType, null);
    await assert.rejects(server.authenticateRequest(req(`Bearer ${t.token}`), { acceptsToken: 'machine_token' }), (e) => assert.ok(e instanceof TypeError));
  });

  test('§7.A 57: without any key it rejects; a jwtKey alone is enough (deviation)', async () => {
    const keyless = createClerkClient({ apiUrl });
    await assert.rejects(keyless.authenticateRequest(req('Bearer mt_abc'), m2m), (e) => {
      assert.ok(e instanceof ClerkConfigurationError, `got ${e}`);
      assert.equal(e.message, 'Machine token authentication requires either a Machine secret key or a Clerk secret key. Ensure a Clerk secret key or Machine secret key is set.');
    });
    await assert.rejects(keyless.authenticateRequest({}, m2m), (e) => assert.ok(e instanceof TypeError));
  });

  test('§7.B 133 (deviation): the incoming User-Agent is not forwarded to the Backend API', async () => {
    if (ctx.lane === 'chromium') return; // a page cannot set User-Agent at all
    const t = await mint(sender);
    const log = await bapi.requestsDuring(() => server.authenticateRequest(req(`Bearer ${t.token}`, { 'user-agent': 'IncomingAgent/1.0' }), m2m));
    assert.match(log[0].headers['user-agent'], /^clerk-m2m-edge@/);
  });
}
