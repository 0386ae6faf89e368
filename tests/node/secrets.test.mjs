// A secrets scan over everything a broad set of calls can produce: every thrown value (message, String(e), stack,
// JSON.stringify, util.inspect), every request state of authenticateRequest (JSON, inspect, headers, toAuth(),
// debug()), every result, and all console output during the run. It fails on any occurrence (substring) of a
// configured secret: the instance secret key, the machine secret keys (also their 12-character prefixes), keys the
// caller got wrong, the PEM bodies given as jwtKey (and a private key passed by mistake), and raw tokens.
// Also: secrets are never sent over plain http to a non-loopback host unless allowInsecureHttp is set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { createClerkClient as createReference } from '@clerk/backend';
import { root } from './context.mjs';
import { ownBapi } from './reliability-bapi.mjs';
import { jwt, makeKeys, payload as clerkPayload, HEADER } from './reliability-jwt-corpus.mjs';

const ours = await import(`${root}/pkg/node.mjs`);
const { ClerkConfigurationError } = ours;

let ctx, keys;
before(async () => { ctx = await ownBapi(51); keys = makeKeys(); });
after(async () => { await ctx?.admin('DELETE', '/faults').catch(() => {}); await ctx?.stop(); });

/** Secrets by label; `prefixes` adds the 12-character prefix of each key as a secret of its own. */
class Secrets {
  constructor() { this.list = []; }
  add(label, value, { prefix = false } = {}) {
    assert.ok(typeof value === 'string' && value.length >= 8, `secret ${label}`);
    this.list.push({ label, value });
    if (prefix) this.list.push({ label: `${label} (12-char prefix)`, value: value.slice(0, 12) });
  }
  pem(label, pem) {
    const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    this.add(`${label} body`, body, { prefix: true });
    for (const [i, line] of pem.split('\n').filter((l) => l && !l.startsWith('-----')).entries()) this.add(`${label} line ${i}`, line);
  }
  token(label, token) {
    this.add(label, token, { prefix: !token.includes('.') });
    if (token.includes('.')) for (const [i, part] of token.split('.').entries()) if (i > 0 && part.length >= 16) this.add(`${label} segment ${i}`, part);
  }
  /** The labels of the secrets found in `text` (never the secrets themselves). */
  scan(text) { return this.list.filter((s) => text.includes(s.value)).map((s) => s.label); }
}

/** Collects every string the calls produce, labelled by where it came from. */
class Sink {
  constructor() { this.items = []; }
  push(where, text, { tokensAllowed = false } = {}) { this.items.push({ where, text: String(text), tokensAllowed }); }
  thrown(where, e) {
    this.push(`${where}: message`, e?.message);
    this.push(`${where}: String(e)`, String(e));
    this.push(`${where}: stack`, e?.stack);
    this.push(`${where}: JSON.stringify(e)`, JSON.stringify(e));
    this.push(`${where}: inspect(e)`, inspect(e, { depth: 5 }));
    if (e?.getFullMessage) this.push(`${where}: getFullMessage()`, e.getFullMessage());
  }
  async state(where, state) {
    const signedIn = state.status === 'signed-in';
    // A signed-in state carries the bearer token by design (`token`, getToken()), as in the reference.
    const opts = { tokensAllowed: signedIn };
    this.push(`${where}: JSON.stringify(state)`, JSON.stringify(state), opts);
    this.push(`${where}: inspect(state)`, inspect(state, { depth: 5 }), opts);
    this.push(`${where}: headers`, JSON.stringify([...state.headers]));
    this.push(`${where}: message`, state.message);
    const auth = state.toAuth();
    this.push(`${where}: toAuth().debug()`, JSON.stringify(auth.debug()));
    this.push(`${where}: inspect(toAuth().debug())`, inspect(auth.debug(), { depth: 5 }));
    this.push(`${where}: JSON.stringify(toAuth())`, JSON.stringify(auth));
    this.push(`${where}: getToken()`, String(await auth.getToken()), opts);
  }
}

test('secrets scan: no key, PEM or token in any error, state, debug output or console line', { timeout: 85_000 }, async () => {
  const secrets = new Secrets();
  const sink = new Sink();
  const [A, B, C] = ctx.machines;
  secrets.add('instance secret key', ctx.secretKey, { prefix: true });
  for (const m of ctx.machines) secrets.add(`machine secret key ${m.name}`, m.secretKey, { prefix: true });
  const wrongMachineKey = 'ak_WRONGwrongWRONGwrongWRONGwrong0123456789';
  const wrongSecretKey = 'sk_test_WRONGwrongWRONGwrongWRONGwrong012345';
  const spacedKey = 'ak_spaced secret key value 0123456789';
  secrets.add('wrong machine key', wrongMachineKey, { prefix: true });
  secrets.add('wrong secret key', wrongSecretKey, { prefix: true });
  secrets.add('key with a space', spacedKey, { prefix: true });
  const { current } = await ctx.admin('GET', '/keys');
  secrets.pem('instance PEM', current.pem);
  secrets.pem('generated PEM', keys.rsa.pem);
  const privatePem = keys.rsa2.privateKey.export({ type: 'pkcs8', format: 'pem' });
  secrets.pem('private PEM passed as jwtKey', privatePem);
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
  secrets.pem('1024-bit PEM', weak);

  // Capture the console for the whole run.
  const original = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
    original[level] = console[level];
    console[level] = (...args) => sink.push(`console.${level}`, args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 5 }))).join(' '));
  }
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  let calls = 0;
  try {
    const apiUrl = ctx.url;
    const client = (opts) => ours.createClerkClient({ apiUrl, timeoutMs: 400, jwksTimeoutMs: 400, ...opts });
    const sender = client({ machineSecretKey: A.secretKey });
    const receiver = client({ machineSecretKey: B.secretKey, secretKey: ctx.secretKey });
    const opaque = await sender.m2m.createToken({ claims: { k: 'v' } });
    const opaque2 = await sender.m2m.createToken();
    const minted = await sender.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 });
    const unscopedJwt = await client({ machineSecretKey: C.secretKey }).m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 });
    for (const [label, t] of [['opaque token', opaque.token], ['opaque token 2', opaque2.token], ['minted JWT', minted.token], ['unscoped JWT', unscopedJwt.token]]) secrets.token(label, t);
    const now = Math.floor(Date.now() / 1000);
    const forged = {
      expired: jwt(keys, HEADER, clerkPayload(now, { exp: now - 60 })),
      badSignature: jwt(keys, HEADER, clerkPayload(now), { key: 'rsa2' }),
      scopesArray: jwt(keys, HEADER, clerkPayload(now, { scopes: ['a'] })),
      wrongCat: jwt(keys, { ...HEADER, cat: 'cl_B7d4PD111AAA' }, clerkPayload(now)),
      typ: jwt(keys, { ...HEADER, typ: 'at+jwt' }, clerkPayload(now)),
      good: jwt(keys, HEADER, clerkPayload(now)),
      userSub: jwt(keys, HEADER, clerkPayload(now, { sub: 'user_1' })),
    };
    for (const [label, t] of Object.entries(forged)) secrets.token(`forged JWT ${label}`, t);

    const attempt = async (where, fn) => {
      calls++;
      try {
        const value = await fn();
        const { token, ...rest } = value ?? {};
        // Results: createToken returns its own token by design; everything else must hold no secret at all.
        sink.push(`${where}: result`, inspect(rest, { depth: 6 }));
        if (token !== undefined && !where.startsWith('createToken')) sink.push(`${where}: result.token`, token);
        return value;
      } catch (e) {
        sink.thrown(where, e);
        return e;
      }
    };

    // Bad parameters and configurations (each rejected before any request).
    await attempt('createClerkClient apiUrl with credentials', () => ours.createClerkClient({ apiUrl: `https://user:${ctx.secretKey}@api.example.com` }));
    await attempt('createClerkClient apiUrl with the key in the query', () => ours.createClerkClient({ apiUrl: `https://api.example.com/?k=${ctx.secretKey}` }));
    await attempt('createClerkClient secretKey with a space', () => ours.createClerkClient({ secretKey: spacedKey }));
    await attempt('createClerkClient machineSecretKey with a newline', () => ours.createClerkClient({ machineSecretKey: `${A.secretKey}\n` }));
    await attempt('createClerkClient jwksTimeoutMs wrong type', () => ours.createClerkClient({ secretKey: ctx.secretKey, jwksTimeoutMs: ctx.secretKey }));
    await attempt('list per-call key with a space', () => sender.m2m.list({ subject: A.id, machineSecretKey: spacedKey }));
    await attempt('list subject wrong type', () => sender.m2m.list({ subject: 42 }));
    await attempt('list misspelt key parameter holding a key', () => sender.m2m.list({ subject: A.id, machineSecretkey: A.secretKey }));
    await attempt('createToken misspelt parameter holding a key', () => sender.m2m.createToken({ secretKey: ctx.secretKey }));
    await attempt('createToken tokenFormat', () => sender.m2m.createToken({ tokenFormat: ctx.secretKey }));
    await attempt('createToken claims wrong type', () => sender.m2m.createToken({ claims: ctx.secretKey }));
    await attempt('revokeToken id ..', () => sender.m2m.revokeToken({ m2mTokenId: '..' }));
    await attempt('revokeToken id is a token', () => sender.m2m.revokeToken({ m2mTokenId: opaque.token }));
    await attempt('revokeToken reason wrong type', () => sender.m2m.revokeToken({ m2mTokenId: opaque.id, revocationReason: { key: ctx.secretKey } }));
    await attempt('verify empty token', () => receiver.m2m.verify({ token: '' }));
    await attempt('verify token as a string', () => receiver.m2m.verify(opaque.token));
    await attempt('verify audience wrong type', () => receiver.m2m.verify({ token: minted.token, audience: 7 }));

    // 401/403/404 from the Backend API.
    await attempt('createToken with the instance key', () => client({ secretKey: ctx.secretKey }).m2m.createToken());
    await attempt('createToken with a wrong machine key', () => client({ machineSecretKey: wrongMachineKey }).m2m.createToken());
    await attempt('list with a wrong secret key', () => client({ secretKey: wrongSecretKey }).m2m.list({ subject: A.id }));
    await attempt('list of another machine (403)', () => client({ machineSecretKey: B.secretKey }).m2m.list({ subject: A.id }));
    await attempt('revokeToken of another machine (404)', () => client({ machineSecretKey: C.secretKey }).m2m.revokeToken({ m2mTokenId: opaque2.id }));
    await attempt('verify by an unscoped machine (404)', () => client({ machineSecretKey: C.secretKey }).m2m.verify({ token: opaque.token }));
    await attempt('verify with a wrong key (401)', () => client({ machineSecretKey: wrongMachineKey }).m2m.verify({ token: opaque.token }));
    await attempt('verify opaque (ok)', () => receiver.m2m.verify({ token: opaque.token }));
    await attempt('list (ok)', () => sender.m2m.list({ subject: A.id }));
    await attempt('verify JWT through JWKS with a wrong secret key (E5)', () => client({ secretKey: wrongSecretKey }).m2m.verify({ token: minted.token }));
    await attempt('verify JWT with only a machine key (E2)', () => client({ machineSecretKey: B.secretKey }).m2m.verify({ token: minted.token }));

    // Faults on every route.
    for (const [route, run] of [['list', () => sender.m2m.list({ subject: A.id })], ['create', () => sender.m2m.createToken()],
      ['revoke', () => sender.m2m.revokeToken({ m2mTokenId: opaque2.id })], ['verify', () => receiver.m2m.verify({ token: opaque.token })],
      ['jwks', () => client({ secretKey: ctx.secretKey, jwksCacheTtlMs: 0, jwksStaleIfErrorMs: 0, jwksCooldownMs: 0 }).m2m.verify({ token: minted.token })]]) {
      for (const fault of [{ kind: 'status', status: 503 }, { kind: 'html', status: 502 }, { kind: 'invalid_json' }, { kind: 'truncated_json' },
        { kind: 'content_type', content_type: 'text/plain' }, { kind: 'reset' }, { kind: 'hang' }, { kind: 'rate_limit', retry_after: 0 },
        { kind: 'status', status: 401, errors: [{ code: 'clerk_key_invalid', message: 'The provided Clerk Secret Key is invalid.' }] }]) {
        await ctx.admin('POST', '/faults', { route, fault });
        await attempt(`${route} × ${fault.kind} ${fault.status ?? ''}`, run);
        await ctx.admin('DELETE', '/faults');
      }
    }

    // JWT failures (networkless jwtKey, and bad jwtKeys).
    const local = client({ jwtKey: keys.rsa.pem, machineSecretKey: B.secretKey });
    for (const [label, t] of Object.entries(forged)) await attempt(`verify forged JWT ${label}`, () => local.m2m.verify({ token: t }));
    await attempt('verify audience mismatch', () => local.m2m.verify({ token: forged.good, audience: 'mch_someoneelse' }));
    await attempt('verify JWT with a private key as jwtKey', () => client({ jwtKey: privatePem }).m2m.verify({ token: forged.good }));
    await attempt('createClerkClient with a private key as jwtKey', () => ours.createClerkClient({ jwtKey: privatePem }));
    await attempt('verify JWT with a 1024-bit jwtKey', () => client({ jwtKey: weak }).m2m.verify({ token: forged.good }));
    await attempt('verify JWT with a garbled jwtKey', () => client({ jwtKey: keys.rsa.pem.replace('A', '!') }).m2m.verify({ token: forged.good }));
    await attempt('verify JWT with a truncated jwtKey', () => client({ jwtKey: keys.rsa.pem.slice(0, 200) }).m2m.verify({ token: forged.good }));

    // authenticateRequest: every signed-out state, and a signed-in one.
    const auth = async (where, c, authorization, options = {}) => {
      calls++;
      const headers = authorization === undefined ? {} : { authorization };
      try {
        const state = await c.authenticateRequest(new Request('https://receiver.example/api', { headers }), { acceptsToken: 'm2m_token', ...options });
        await sink.state(where, state);
        return state;
      } catch (e) {
        sink.thrown(where, e);
        return e;
      }
    };
    const receiverAuth = client({ machineSecretKey: B.secretKey, secretKey: ctx.secretKey, jwtKey: keys.rsa.pem });
    await auth('auth: no header', receiverAuth, undefined);
    await auth('auth: lower-case bearer', receiverAuth, `bearer ${opaque.token}`);
    await auth('auth: machine key as bearer token', receiverAuth, `Bearer ${A.secretKey}`);
    await auth('auth: instance key as bearer token', receiverAuth, `Bearer ${ctx.secretKey}`);
    await auth('auth: two spaces', receiverAuth, `Bearer  ${opaque.token}`);
    await auth('auth: opaque unknown', receiverAuth, 'Bearer mt_00000000000000000000000000000000');
    await auth('auth: opaque by unscoped receiver', client({ machineSecretKey: C.secretKey }), `Bearer ${opaque.token}`);
    await auth('auth: opaque with a wrong key', client({ machineSecretKey: wrongMachineKey }), `Bearer ${opaque.token}`);
    await auth('auth: opaque signed in', receiverAuth, `Bearer ${opaque.token}`);
    for (const [label, t] of Object.entries(forged)) await auth(`auth: forged JWT ${label}`, receiverAuth, `Bearer ${t}`);
    await auth('auth: JWT audience mismatch', receiverAuth, `Bearer ${forged.good}`, { audience: 'mch_someoneelse' });
    await auth('auth: JWT through JWKS with a wrong key', client({ secretKey: wrongSecretKey, machineSecretKey: B.secretKey }), `Bearer ${minted.token}`);
    await auth('auth: JWT with only a machine key', client({ machineSecretKey: B.secretKey }), `Bearer ${minted.token}`);
    await auth('auth: no keys at all', client({}), `Bearer ${opaque.token}`);
    await auth('auth: per-call key with a space', receiverAuth, `Bearer ${opaque.token}`, { machineSecretKey: spacedKey });
    await auth('auth: accepts session_token only', receiverAuth, `Bearer ${opaque.token}`, { acceptsToken: 'session_token' });
    for (const fault of [{ kind: 'hang' }, { kind: 'status', status: 500 }, { kind: 'reset' }]) {
      await ctx.admin('POST', '/faults', { route: 'verify', fault });
      await auth(`auth: opaque × ${fault.kind}`, receiverAuth, `Bearer ${opaque.token}`);
      await ctx.admin('DELETE', '/faults');
    }
  } finally {
    for (const [level, fn] of Object.entries(original)) console[level] = fn;
    process.off('warning', onWarning);
  }
  for (const w of warnings) sink.push('process warning', `${w.name}: ${w.message}\n${w.stack}`);

  // The scanner itself finds what it is looking for: a planted prefix, a PEM inside JSON, and the reference's
  // real leak (7.B 132: @clerk/backend's toAuth().debug() returns machineSecretKey in full).
  assert.ok(secrets.scan(`x${A.secretKey.slice(0, 12)}y`).length > 0, 'the scan detects a 12-char key prefix');
  assert.ok(secrets.scan(JSON.stringify({ pem: keys.rsa.pem })).length > 0, 'the scan detects a PEM line inside JSON');
  const refState = await createReference({ apiUrl: ctx.url, machineSecretKey: B.secretKey })
    .authenticateRequest(new Request('https://receiver.example/', { headers: { authorization: `Bearer ${(await createReference({ apiUrl: ctx.url, machineSecretKey: A.secretKey }).m2m.createToken()).token}` } }), { acceptsToken: 'm2m_token' });
  assert.ok(secrets.scan(JSON.stringify(refState.toAuth().debug())).includes(`machine secret key ${B.name}`), 'the scan catches the reference\'s debug() leak');

  const hits = [];
  const tokenLabel = /token|JWT/;
  for (const item of sink.items) {
    for (const label of secrets.scan(item.text)) {
      if (item.tokensAllowed && tokenLabel.test(label) && !/key/.test(label)) continue;
      hits.push(`${item.where} contains the ${label}`);
    }
  }
  console.log(`secrets: ${calls} calls, ${sink.items.length} strings scanned (${(sink.items.reduce((n, i) => n + i.text.length, 0) / 1024).toFixed(0)} KiB) `
    + `for ${secrets.list.length} secrets; ${sink.items.filter((i) => i.where.startsWith('console')).length} console lines; ${hits.length} hits`);
  assert.deepEqual(hits, [], 'secrets found in output');
  assert.ok(calls >= 100, `a broad run (${calls} calls)`);
});

test('plain http to a non-loopback host: no secret leaves before the refusal; allowInsecureHttp lets it through', async () => {
  const fetched = [];
  const recordingFetch = async (input, init) => {
    fetched.push({ url: String(input?.url ?? input), headers: new Headers(init?.headers ?? input?.headers), body: init?.body ?? null });
    return new Response('{"m2m_tokens":[],"total_count":0}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const sk = 'sk_test_insecureHttpSecretKey0123456789', ak = 'ak_insecureHttpMachineKey0123456789';
  const token = 'mt_0123456789abcdef0123456789abcdef';
  const jwtToken = jwt(makeKeysOnce(), HEADER, clerkPayload(Math.floor(Date.now() / 1000)));
  const run = (c) => ({
    list: () => c.m2m.list({ subject: 'mch_1' }),
    createToken: () => c.m2m.createToken(),
    revokeToken: () => c.m2m.revokeToken({ m2mTokenId: 'mt_1' }),
    'verify (opaque)': () => c.m2m.verify({ token }),
    'verify (JWT via JWKS)': () => c.m2m.verify({ token: jwtToken }),
    authenticateRequest: () => c.authenticateRequest(new Request('https://r.example/', { headers: { authorization: `Bearer ${token}` } }), { acceptsToken: 'm2m_token' }),
  });
  for (const apiUrl of ['http://api.example.com', 'http://10.0.0.8:8080', 'http://[2001:db8::1]', 'http://127.0.0.1.example.com']) {
    const refusing = ours.createClerkClient({ apiUrl, secretKey: sk, machineSecretKey: ak, fetch: recordingFetch });
    for (const [name, call] of Object.entries(run(refusing))) {
      // authenticateRequest throws it too (a configuration error, like its missing-key precondition).
      const e = await call().then((v) => v, (err) => err);
      assert.ok(e instanceof ClerkConfigurationError, `${apiUrl} ${name}: ClerkConfigurationError, got ${e?.stack ?? inspect(e)}`);
      assert.equal(e.code, 'configuration-invalid');
      assert.match(e.message, /plain http/);
      assert.match(e.message, /allowInsecureHttp/);
      for (const s of [sk, ak, token]) assert.ok(!`${e.message}${e.stack}`.includes(s), `${name}: the refusal does not quote a secret`);
      assert.equal(fetched.length, 0, `${apiUrl} ${name}: no fetch before the refusal`);
    }
  }
  // A verify body carries the token itself: also refused without any key configured.
  const keyless = ours.createClerkClient({ apiUrl: 'http://api.example.com', fetch: recordingFetch });
  await assert.rejects(keyless.m2m.verify({ token }), ClerkConfigurationError);
  assert.equal(fetched.length, 0, 'a token is not sent over plain http either');
  // Loopback stays allowed; allowInsecureHttp lets a remote plain-http URL through to the (recording) fetch.
  for (const [apiUrl, extra] of [['http://localhost:9', {}], ['http://api.example.com', { allowInsecureHttp: true }]]) {
    const c = ours.createClerkClient({ apiUrl, secretKey: sk, machineSecretKey: ak, fetch: recordingFetch, ...extra });
    const before = fetched.length;
    await c.m2m.list({ subject: 'mch_1' });
    await c.m2m.verify({ token }).catch(() => {});
    assert.equal(fetched.length - before, 2, `${apiUrl}: both requests reached fetch`);
    assert.equal(fetched[before].url, `${apiUrl}/m2m_tokens?subject=mch_1`);
    assert.equal(fetched[before].headers.get('authorization'), `Bearer ${ak}`);
    assert.equal(JSON.parse(fetched[before + 1].body).token, token);
  }
});

let keysOnce;
function makeKeysOnce() { return (keysOnce ??= keys ?? makeKeys()); }
