// The M2M API over real HTTP against the local Backend API: reference §7.A 1–13 and 18–24, the documented
// examples, bad input, errors and secrets. Runs unchanged in every runtime lane.
import { assert } from './harness.js';
import { localBapi } from './bapi.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export async function register(test, lib, ctx) {
  const bapi = localBapi(ctx);
  if (!bapi) return;
  const { createClerkClient, ClerkAPIResponseError } = lib;
  const apiUrl = bapi.url;
  // Per lane: a receiver, a sender scoped to it, and a sender with no scopes.
  const receiver = await bapi.machine(`${ctx.lane}-receiver`);
  const sender = await bapi.machine(`${ctx.lane}-sender`, [receiver.id]);
  const loner = await bapi.machine(`${ctx.lane}-loner`);
  const senderClient = createClerkClient({ apiUrl, machineSecretKey: sender.secretKey });
  const receiverClient = createClerkClient({ apiUrl, machineSecretKey: receiver.secretKey });
  const instanceClient = createClerkClient({ apiUrl, secretKey: bapi.secretKey });
  const keylessClient = createClerkClient({ apiUrl });
  const secrets = [bapi.secretKey, sender.secretKey, receiver.secretKey, loner.secretKey];

  const assertApiError = (status, code) => (e) => {
    assert.ok(e instanceof ClerkAPIResponseError, `expected ClerkAPIResponseError, got ${e}`);
    assert.equal(e.status, status, 'status');
    if (code) assert.equal(e.errors[0]?.code, code, 'errors[0].code');
    assert.equal(e.code, 'api_response_error');
    assert.ok(e.message.length > 0, 'a meaningful message');
    assertNoSecret(e);
  };
  const assertNoSecret = (e) => {
    const texts = [e.message, String(e), e.stack ?? '', JSON.stringify(e), JSON.stringify(e.errors ?? [])];
    for (const secret of secrets) for (const text of texts) assert.ok(!text.includes(secret), 'a secret key leaked into an error');
  };

  test('§7.A 1: createToken with the client machine key sends it as Bearer and returns an opaque token', async () => {
    const log = await bapi.requestsDuring(async () => {
      const t = await senderClient.m2m.createToken({ secondsUntilExpiration: 3600, minRemainingTtlSeconds: 240 });
      assert.match(t.token, /^mt_/);
      assert.match(t.id, /^mt_[0-9a-f]{32}$/i);
      assert.equal(t.subject, sender.id);
      assert.deepEqual(t.scopes, [receiver.id]);
      assert.equal(t.revoked, false);
      assert.equal(t.expired, false);
      assert.ok(t.expiration - t.createdAt >= 3_599_000 && t.expiration - t.createdAt <= 3_601_000, 'expiration in ms');
    });
    assert.equal(log.length, 1);
    assert.equal(log[0].method, 'POST');
    assert.equal(log[0].path, '/m2m_tokens');
    assert.equal(log[0].headers.authorization, `Bearer ${sender.secretKey}`);
    assert.equal(log[0].headers['clerk-api-version'], '2026-05-12');
    // Browsers do not let a page set User-Agent; everywhere else it is ours.
    if (ctx.lane !== 'chromium') assert.match(log[0].headers['user-agent'], /^clerk-m2m-edge@\d+\.\d+\.\d+$/);
    assert.deepEqual(JSON.parse(log[0].body), { seconds_until_expiration: 3600, claims: null, min_remaining_ttl_seconds: 240, token_format: 'opaque' });
  });

  test('§7.A 2: a per-call machineSecretKey authenticates a keyless client', async () => {
    const t = await keylessClient.m2m.createToken({ machineSecretKey: sender.secretKey, secondsUntilExpiration: 3600 });
    assert.equal(t.subject, sender.id);
  });

  test('§7.A 3: createToken with the instance key is refused with machine_secret_key_invalid', async () => {
    await assert.rejects(instanceClient.m2m.createToken(), assertApiError(401, 'machine_secret_key_invalid'));
  });

  test('§7.A 4–5: tokenFormat jwt returns a JWT carrying the claims', async () => {
    const t = await senderClient.m2m.createToken({ tokenFormat: 'jwt', claims: { role: 'service', tier: 'gold' } });
    assert.match(t.token, JWT);
    assert.deepEqual(t.claims, { role: 'service', tier: 'gold' });
    assert.deepEqual(t.scopes, [receiver.id]);
  });

  test('§7.A 6–7: opaque is the default format and matches ^mt_', async () => {
    const log = await bapi.requestsDuring(() => senderClient.m2m.createToken({ secondsUntilExpiration: 3600 }));
    assert.equal(JSON.parse(log[0].body).token_format, 'opaque');
    const explicit = await senderClient.m2m.createToken({ tokenFormat: 'opaque' });
    assert.match(explicit.token, /^mt_.+$/);
  });

  test('§7.B 103: createToken() sends exactly the reference body', async () => {
    const log = await bapi.requestsDuring(() => senderClient.m2m.createToken());
    assert.equal(log[0].body, '{"seconds_until_expiration":null,"claims":null,"token_format":"opaque"}');
    assert.equal(log[0].headers['content-type'], 'application/json');
  });

  test('§7.A 8–9: revokeToken with the machine key or the instance key', async () => {
    const a = await senderClient.m2m.createToken();
    const revoked = await senderClient.m2m.revokeToken({ m2mTokenId: a.id, revocationReason: 'revoked by test' });
    assert.equal(revoked.revoked, true);
    assert.equal(revoked.token, undefined);
    assert.equal(revoked.revocationReason, 'revoked by test');
    assert.deepEqual(revoked.scopes, [receiver.id]);
    const b = await senderClient.m2m.createToken({ claims: { k: 1 } });
    const log = await bapi.requestsDuring(async () => {
      const r = await instanceClient.m2m.revokeToken({ m2mTokenId: b.id });
      assert.equal(r.revoked, true);
      assert.deepEqual(r.claims, { k: 1 });
    });
    assert.equal(log[0].path, `/m2m_tokens/${b.id}/revoke`);
    assert.equal(log[0].headers.authorization, `Bearer ${bapi.secretKey}`);
    assert.equal(log[0].body, '{"revocation_reason":null}');
  });

  test('§7.A 10, 13, 24: a keyless client sends no Authorization and gets 401', async () => {
    const t = await senderClient.m2m.createToken();
    const log = await bapi.requestsDuring(async () => {
      await assert.rejects(keylessClient.m2m.revokeToken({ m2mTokenId: t.id }), assertApiError(401));
      await assert.rejects(keylessClient.m2m.verify({ token: t.token }), assertApiError(401));
      await assert.rejects(keylessClient.m2m.list({ subject: sender.id }), assertApiError(401));
    });
    assert.equal(log.length, 3);
    for (const entry of log) assert.equal(entry.headers.authorization, undefined);
  });

  test('§7.A 11–12: verify an opaque token with the receiver key or the instance key', async () => {
    const t = await senderClient.m2m.createToken({ claims: { foo: 'bar' } });
    for (const client of [receiverClient, instanceClient]) {
      const v = await client.m2m.verify({ token: t.token });
      assert.equal(v.id, t.id);
      assert.equal(v.subject, sender.id);
      assert.deepEqual(v.scopes, [receiver.id]);
      assert.deepEqual(v.claims, { foo: 'bar' });
    }
  });

  test('verify: a machine outside the token scopes, and a revoked token, are refused', async () => {
    const t = await senderClient.m2m.createToken();
    const lonerClient = createClerkClient({ apiUrl, machineSecretKey: loner.secretKey });
    const e = await assert.rejects(lonerClient.m2m.verify({ token: t.token }));
    assert.ok(e instanceof ClerkAPIResponseError && e.status >= 400 && e.status < 500, `refused: ${e}`);
    await senderClient.m2m.revokeToken({ m2mTokenId: t.id });
    const r = await assert.rejects(receiverClient.m2m.verify({ token: t.token }));
    assert.ok(r instanceof ClerkAPIResponseError && r.status >= 400 && r.status < 500, `refused: ${r}`);
  });

  test('§7.A 18–19, 22: list newest first with totalCount, limit and offset', async () => {
    const subject = (await bapi.machine(`${ctx.lane}-lister`, [receiver.id]));
    const client = createClerkClient({ apiUrl, machineSecretKey: subject.secretKey });
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await client.m2m.createToken());
    const log = await bapi.requestsDuring(async () => {
      const page = await client.m2m.list({ subject: subject.id, limit: 10 });
      assert.equal(page.totalCount, 3);
      assert.deepEqual(page.data.map((t) => t.id), made.map((t) => t.id).reverse());
      assert.equal(page.data[0].token, undefined);
    });
    assert.equal(log[0].method, 'GET');
    assert.equal(log[0].query, `subject=${subject.id}&limit=10`);
    const asInstance = await instanceClient.m2m.list({ subject: subject.id });
    assert.equal(asInstance.totalCount, 3);
    const second = await client.m2m.list({ subject: subject.id, limit: 2, offset: 2 });
    assert.equal(second.totalCount, 3);
    assert.deepEqual(second.data.map((t) => t.id), [made[0].id]);
  });

  test('§7.A 20–21: revoked and expired filters (time travel at the local Backend API)', async () => {
    const subject = await bapi.machine(`${ctx.lane}-filters`, [receiver.id]);
    const client = createClerkClient({ apiUrl, machineSecretKey: subject.secretKey });
    const live = await client.m2m.createToken();
    const gone = await client.m2m.createToken();
    await client.m2m.revokeToken({ m2mTokenId: gone.id });
    const short = await client.m2m.createToken({ secondsUntilExpiration: 60 });
    assert.deepEqual((await client.m2m.list({ subject: subject.id })).data.map((t) => t.id), [short.id, live.id]);
    const withRevoked = await client.m2m.list({ subject: subject.id, revoked: true });
    assert.ok(withRevoked.data.some((t) => t.id === gone.id && t.revoked), 'revoked=true includes the revoked token');
    await bapi.travel(120_000, async () => {
      const now = await client.m2m.list({ subject: subject.id });
      assert.deepEqual(now.data.map((t) => t.id), [live.id]);
      const log = await bapi.requestsDuring(async () => {
        const all = await client.m2m.list({ subject: subject.id, expired: true, revoked: true });
        assert.equal(all.totalCount, 3);
        assert.ok(all.data.find((t) => t.id === short.id).expired, 'expired is computed');
      });
      assert.equal(log[0].query, `subject=${subject.id}&revoked=true&expired=true`);
    });
  });

  test('§7.A 23: a per-call machineSecretKey on list is sent as Bearer and never in the query', async () => {
    const log = await bapi.requestsDuring(() => keylessClient.m2m.list({ machineSecretKey: sender.secretKey, subject: sender.id }));
    assert.equal(log[0].headers.authorization, `Bearer ${sender.secretKey}`);
    assert.ok(!log[0].query.includes('achine'), 'no machineSecretKey in the query');
  });

  test('documented examples run verbatim', async () => {
    const clerkClient = createClerkClient({ apiUrl, machineSecretKey: sender.secretKey });
    const machineId = sender.id;
    {
      const m2mTokens = await clerkClient.m2m.list({ subject: machineId });
      assert.ok(Array.isArray(m2mTokens.data) && typeof m2mTokens.totalCount === 'number');
    }
    {
      const m2mTokens = await clerkClient.m2m.list({ subject: machineId, revoked: true, expired: true });
      assert.ok(m2mTokens.totalCount >= 1);
    }
    {
      const m2mTokens = await clerkClient.m2m.list({ subject: machineId, limit: 20, offset: 0 });
      assert.ok(m2mTokens.data.length <= 20);
    }
    {
      const m2mToken = await clerkClient.m2m.createToken();
      assert.match(m2mToken.token, /^mt_/);
    }
    {
      const m2mToken = await clerkClient.m2m.createToken({ tokenFormat: 'jwt' });
      assert.match(m2mToken.token, JWT);
    }
    {
      const m2mToken = await clerkClient.m2m.createToken({ machineSecretKey: sender.secretKey });
      assert.equal(m2mToken.subject, machineId);
    }
  });

  test('auto-pagination: for await over list() and listAll() walk every page', async () => {
    const subject = await bapi.machine(`${ctx.lane}-pages`, [receiver.id]);
    const client = createClerkClient({ apiUrl, machineSecretKey: subject.secretKey });
    const ids = [];
    for (let i = 0; i < 5; i++) ids.unshift((await client.m2m.createToken()).id);
    const seen = [];
    for await (const t of client.m2m.list({ subject: subject.id, limit: 2 })) seen.push(t.id);
    assert.deepEqual(seen, ids);
    const again = [];
    for await (const t of client.m2m.listAll({ subject: subject.id, limit: 3 })) again.push(t.id);
    assert.deepEqual(again, ids);
  });

  test('bad input is a TypeError before any request', async () => {
    const cases = [
      () => senderClient.m2m.list({}),
      () => senderClient.m2m.list({ subject: 42 }),
      () => senderClient.m2m.list({ subject: sender.id, limit: 0 }),
      () => senderClient.m2m.list({ subject: sender.id, limit: 1.5 }),
      () => senderClient.m2m.list({ subject: sender.id, offset: -1 }),
      () => senderClient.m2m.list({ subject: sender.id, limit: NaN }),
      () => senderClient.m2m.list({ subject: sender.id, revokd: true }),
      () => senderClient.m2m.list(undefined),
      () => senderClient.m2m.createToken({ tokenFormat: 'pem' }),
      () => senderClient.m2m.createToken({ secondsUntilExpiration: -5 }),
      () => senderClient.m2m.createToken({ claims: [1, 2] }),
      () => senderClient.m2m.createToken({ claims: new Date() }),
      () => senderClient.m2m.createToken({ claims: { f: () => 1 } }),
      () => senderClient.m2m.revokeToken({ m2mTokenId: '' }),
      () => senderClient.m2m.revokeToken({ m2mTokenId: 'tok_123' }),
      () => senderClient.m2m.revokeToken({}),
      () => senderClient.m2m.verify({ token: '' }),
      () => senderClient.m2m.verify({ token: 7 }),
      () => senderClient.m2m.verify(''),
      () => senderClient.m2m.verify(7),
      () => senderClient.m2mTokens.verifySecret({ token: 'mt_token_is_not_the_name_here' }),
      () => senderClient.m2mTokens.verifySecret('mt_bare_string'),
    ];
    const log = await bapi.requestsDuring(async () => {
      for (const [i, call] of cases.entries()) {
        await assert.rejects(call, (e) => {
          assert.ok(e instanceof TypeError, `case ${i}: expected TypeError, got ${e}`);
          assert.ok(e.message.length > 5, `case ${i}: a clear message`);
          assertNoSecret(e);
        });
      }
    });
    assert.equal(log.length, 0, 'no request was made');
  });

  test('m2m.verify(token) is m2m.verify({ token }), and m2mTokens.* are the m2m.* calls', async () => {
    const created = await senderClient.m2m.createToken({ secondsUntilExpiration: 600 });
    const log = await bapi.requestsDuring(async () => {
      const byObject = await receiverClient.m2m.verify({ token: created.token });
      assert.equal(JSON.stringify(await receiverClient.m2m.verify(created.token)), JSON.stringify(byObject));
      assert.equal(JSON.stringify(await receiverClient.m2mTokens.verifyToken(created.token)), JSON.stringify(byObject));
      assert.equal(JSON.stringify(await receiverClient.m2mTokens.verifySecret({ secret: created.token })), JSON.stringify(byObject));
    });
    assert.equal(log.length, 4);
    for (const entry of log) assert.deepEqual(JSON.parse(entry.body), { token: created.token });
    const made = await senderClient.m2mTokens.create({ secondsUntilExpiration: 600, claims: { z: 1, a: 2 } });
    assert.equal(JSON.stringify(made.claims), '{"z":1,"a":2}');
    const revoked = await senderClient.m2mTokens.revoke({ m2mTokenId: made.id, revocationReason: 'alias' });
    assert.equal(revoked.revoked, true);
    assert.equal(revoked.revocationReason, 'alias');
  });

  test('an id with path characters is percent-encoded, never a new path', async () => {
    const log = await bapi.requestsDuring(() =>
      assert.rejects(senderClient.m2m.revokeToken({ m2mTokenId: 'mt_a/b?c#d' }), assertApiError(400)).catch(() => {}),
    );
    for (const entry of log) assert.ok(!entry.path.includes('/b'), `path stayed one segment: ${entry.path}`);
  });

  test('§7.B 113 via faults: status, errors, clerkTraceId and retryAfter of an API error', async () => {
    await bapi.fault('create', { kind: 'rate_limit', retry_after: 7 });
    await assert.rejects(senderClient.m2m.createToken(), (e) => {
      assertApiError(429)(e);
      assert.equal(e.retryAfter, 7);
      assert.ok(e.clerkTraceId.length > 0, 'clerkTraceId from the body');
    });
    await bapi.fault('verify', { kind: 'html', status: 502 });
    await assert.rejects(receiverClient.m2m.verify({ token: 'mt_whatever' }), (e) => {
      assertApiError(502)(e);
      assert.deepEqual(e.errors, []);
    });
  });

  test('list retries a 503 and succeeds; createToken never retries', async () => {
    await bapi.fault('list', { kind: 'status', status: 503 });
    const log = await bapi.requestsDuring(() => senderClient.m2m.list({ subject: sender.id }));
    assert.equal(log.length, 2, 'one failure, one retry');
    await bapi.fault('create', { kind: 'status', status: 503 });
    const once = await bapi.requestsDuring(() => assert.rejects(senderClient.m2m.createToken(), assertApiError(503)));
    assert.equal(once.length, 1, 'createToken is not retried');
  });

  test('a hanging Backend API ends in a timeout error; an AbortSignal rejects with its reason', async () => {
    const client = createClerkClient({ apiUrl, machineSecretKey: sender.secretKey, timeoutMs: 300 });
    await bapi.fault('verify', { kind: 'hang' });
    await assert.rejects(client.m2m.verify({ token: 'mt_x' }), (e) => {
      assert.ok(e instanceof ClerkAPIResponseError, `got ${e}`);
      assert.equal(e.status, undefined);
      assert.match(e.message, /timed out/);
    });
    await bapi.fault('verify', { kind: 'hang' });
    const controller = new AbortController();
    const pending = senderClient.m2m.verify({ token: 'mt_x', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await assert.rejects(pending, (e) => assert.equal(e.message, 'caller gave up'));
    await bapi.clearFaults();
  });

  test('Web API values are used by shape: a Response-like object, a thenable, an AbortSignal polyfill', async () => {
    const created = await senderClient.m2m.createToken({ secondsUntilExpiration: 600 });
    const body = JSON.stringify({ object: 'machine_to_machine_token', id: created.id, subject: sender.id, scopes: [], claims: null,
      revoked: false, revocation_reason: null, expired: false, expiration: null, created_at: 1, updated_at: 2 });
    // What a polyfill or another realm hands back: no Response class, only its shape.
    const responseLike = {
      status: 200, statusText: 'OK', headers: { get: (name) => (name === 'content-type' ? 'application/json' : null) },
      text: async () => body,
    };
    const asThenable = createClerkClient({ apiUrl, secretKey: bapi.secretKey, fetch: () => ({ then: (resolve) => resolve(responseLike) }) });
    assert.equal((await asThenable.m2m.verify({ token: created.token })).id, created.id);
    const asPlainValue = createClerkClient({ apiUrl, secretKey: bapi.secretKey, fetch: () => responseLike });
    assert.equal((await asPlainValue.m2m.verify({ token: created.token })).updatedAt, 2);
    // A getter that throws is a network failure, not an exception through the module.
    const throwing = createClerkClient({ apiUrl, secretKey: bapi.secretKey, fetch: async () => ({ get status() { throw new Error('boom'); } }) });
    await assert.rejects(throwing.m2m.verify({ token: created.token }), (e) => assert.ok(e instanceof ClerkAPIResponseError && e.cause?.message === 'boom', String(e)));
    // An AbortSignal polyfill: `aborted` and the listener methods are all it needs.
    const listeners = [];
    const polyfill = { aborted: false, reason: undefined, addEventListener: (t, f) => listeners.push(f), removeEventListener: () => {} };
    await bapi.fault('verify', { kind: 'latency', ms: 2000 });
    const pending = senderClient.m2m.verify({ token: created.token, signal: polyfill });
    setTimeout(() => { polyfill.aborted = true; polyfill.reason = new Error('polyfill abort'); for (const f of listeners) f(); }, 50);
    await assert.rejects(pending, (e) => assert.equal(e.message, 'polyfill abort'));
    await bapi.clearFaults();
  });

  test('a refused connection is a ClerkAPIResponseError with status undefined', async () => {
    const client = createClerkClient({ apiUrl: 'http://127.0.0.1:9', machineSecretKey: sender.secretKey });
    for (const call of [() => client.m2m.list({ subject: sender.id }), () => client.m2m.verify({ token: 'mt_opaque' })]) {
      await assert.rejects(call(), (e) => {
        assert.ok(e instanceof ClerkAPIResponseError, `got ${e}`);
        assert.equal(e.status, undefined);
        assert.equal(e.errors[0].code, 'unexpected_error');
        // Where it went and what to check; the runtime's own error as `cause`.
        assert.match(e.message, /^Clerk Backend API request to http:\/\/127\.0\.0\.1:9 failed: .+\. Check apiUrl \(CLERK_API_URL\) and that this runtime can reach that host\.$/);
        assert.ok(e.cause instanceof Error, `cause: ${e.cause}`);
        assert.equal(e.errors[0].message, e.cause.message, 'errors[0] has the runtime message, as in the reference');
        assertNoSecret(e);
      });
    }
  });

  test('an explicit key brings its pair: ambient CLERK_MACHINE_SECRET_KEY does not act for an explicit secretKey', async () => {
    const token = await senderClient.m2m.createToken({ secondsUntilExpiration: 600 });
    // A server holding both secrets in its env; the caller passes the instance key (seed 002, "instance secret").
    const env = { CLERK_API_URL: apiUrl, CLERK_SECRET_KEY: 'sk_test_not_this_one', CLERK_MACHINE_SECRET_KEY: loner.secretKey };
    const explicitInstance = createClerkClient({ secretKey: bapi.secretKey, env });
    const explicitMachine = createClerkClient({ machineSecretKey: receiver.secretKey, env });
    const fromEnv = createClerkClient({ env });
    const log = await bapi.requestsDuring(async () => {
      assert.equal((await explicitInstance.m2m.verify({ token: token.token })).id, token.id);
      assert.equal((await explicitMachine.m2m.verify({ token: token.token })).id, token.id);
      await fromEnv.m2m.verify({ token: token.token }).catch(() => {});
      // Per call, a machine key still wins over the client's.
      await explicitInstance.m2m.verify({ token: token.token, machineSecretKey: receiver.secretKey });
    });
    assert.deepEqual(log.map((r) => r.headers.authorization), [
      `Bearer ${bapi.secretKey}`, `Bearer ${receiver.secretKey}`, `Bearer ${loner.secretKey}`, `Bearer ${receiver.secretKey}`,
    ]);
  });

  test('key order: the caller\'s in request bodies, the response\'s and the reference\'s in results', async () => {
    const claims = { role: 'service', nested_key: { z: 1, a: [{ y: true, b: null }] }, aa: 0, '10': 'x', '2': 'y' };
    const log = await bapi.requestsDuring(async () => {
      const t = await senderClient.m2m.createToken({ claims, tokenFormat: 'jwt', secondsUntilExpiration: 600 });
      // JSON.parse puts integer-like keys first, in JS and here alike.
      assert.equal(JSON.stringify(t.claims), JSON.stringify(claims));
      assert.deepEqual(Object.keys(t), ['id', 'subject', 'scopes', 'claims', 'revoked', 'revocationReason', 'expired', 'expiration',
        'createdAt', 'updatedAt', 'token']);
      // A JWKS cache scope of its own (scopes are keyed by the apiUrl text; the jwt suite counts its JWKS requests
      // on `apiUrl` and on its `localhost` spelling).
      const verifier = createClerkClient({ apiUrl: `${apiUrl}/`, secretKey: bapi.secretKey });
      const verified = await verifier.m2m.verify({ token: t.token });
      assert.equal(JSON.stringify(Object.keys(verified.claims).filter((k) => k in claims)), JSON.stringify(Object.keys(claims)));
    });
    assert.equal(log[0].body, JSON.stringify({ seconds_until_expiration: 600, claims, token_format: 'jwt' }));
    assert.deepEqual(log.map((r) => `${r.method} ${r.path}`), ['POST /m2m_tokens', 'GET /v1/jwks']);
  });

  test('configuration: env object, bad apiUrl, and no secret over plain http to a remote host', async () => {
    // A Worker's env also holds bindings that are not data (KV namespaces, service bindings): only CLERK_* is read.
    const fromEnv = createClerkClient({ env: { CLERK_API_URL: apiUrl, CLERK_MACHINE_SECRET_KEY: sender.secretKey, KV: new Map(), SERVICE: { fetch() {} } } });
    assert.equal((await fromEnv.m2m.createToken()).subject, sender.id);
    assert.throws(() => createClerkClient({ apiUrl: 'not a url', secretKey: 'sk_test_x' }), (e) => assert.ok(e instanceof Error && !e.message.includes('sk_test_x')));
    const remote = createClerkClient({ apiUrl: 'http://api.example.com', secretKey: 'sk_live_secret' });
    await assert.rejects(remote.m2m.list({ subject: sender.id }), (e) => {
      assert.equal(e.code, 'configuration-invalid');
      assert.ok(!String(e).includes('sk_live_secret'));
    });
  });
}
