// m2m.verify has two paths for a local JWT: the synchronous one (Rust runs every check but RSA, js/api.js awaits
// crypto.subtle.verify once, Rust finishes) once the key's CryptoKey is imported, and the all-Rust async one
// before that or when I/O is needed. These tests hold the synchronous path to the same results and errors,
// including a WebCrypto that throws or says no (injected by replacing crypto.subtle.verify for one test), and
// many verifications in flight at once (each gets its own answer back).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { root, plain } from './context.mjs';
import { jwt, makeKeys, HEADER, payload } from './reliability-jwt-corpus.mjs';

const { createClerkClient, MachineTokenVerificationError } = await import(`${root}/pkg/node.mjs`);

let keys;
const now = () => Math.floor(Date.now() / 1000);
const token = (jti, extra = {}) => jwt(keys, HEADER, payload(now(), { jti, ...extra }));
const tamper = (t) => `${t.slice(0, -6)}${t.slice(-6, -5) === 'A' ? 'B' : 'A'}${t.slice(-5)}`;

before(() => {
  keys = makeKeys();
});

/** A client with a fresh verified-token cache of `size`, its key imported by one first verification. */
async function warmClient(size = 0) {
  const client = createClerkClient({ jwtKey: keys.rsa.pem, verifiedTokenCacheSize: size });
  await client.m2m.verify({ token: token('mt_warmup') });
  return client;
}

const original = globalThis.crypto.subtle.verify;

/** Runs `fn` with crypto.subtle.verify replaced by `fake` (restored after). */
async function withSubtleVerify(fake, fn) {
  const subtle = globalThis.crypto.subtle;
  subtle.verify = fake;
  try {
    return await fn();
  } finally {
    subtle.verify = original;
  }
}

test('the synchronous path gives the same result as the first (async) verification, for every param shape', async () => {
  const t = token('mt_same');
  const cold = createClerkClient({ jwtKey: keys.rsa.pem, verifiedTokenCacheSize: 0 });
  const first = await cold.m2m.verify({ token: t }); // imports the key, then steps again
  const again = await cold.m2m.verify({ token: t }); // CryptoKey cached: the synchronous path
  const withOptions = await cold.m2m.verify({ token: t, clockSkewInMs: 5000, audience: [] });
  const signal = new AbortController().signal;
  const withSignal = await cold.m2m.verify({ token: t, signal });
  assert.deepEqual(plain(again), plain(first));
  assert.deepEqual(plain(withOptions), plain(first));
  assert.deepEqual(plain(withSignal), plain(first));
  assert.equal(first.id, 'mt_same');
});

/** Runs `fn` with crypto.subtle.importKey wrapped by `wrap(original)`; resolves to [fn's result, import count]. */
async function countingImports(fn, wrap = (f) => f) {
  const subtle = globalThis.crypto.subtle;
  const importKey = subtle.importKey;
  const wrapped = wrap(importKey.bind(subtle));
  let calls = 0;
  subtle.importKey = (...args) => {
    calls++;
    return wrapped(...args);
  };
  try {
    return [await fn(), calls];
  } finally {
    subtle.importKey = importKey;
  }
}

test('a first verification imports its key once and then takes the synchronous path; a failed import is the async path\'s error', async () => {
  const fresh = makeKeys();
  const t = jwt(fresh, HEADER, payload(now(), { jti: 'mt_first' }));
  const [first, imports] = await countingImports(() => createClerkClient({ jwtKey: fresh.rsa.pem }).m2m.verify({ token: t }));
  assert.equal(first.id, 'mt_first');
  assert.equal(imports, 1);
  // The import fails: the step gives up and the all-Rust path tries it again, and fails the way it always did.
  const failing = () => () => Promise.reject(new DOMException('no import', 'DataError'));
  const [failure, attempts] = await countingImports(
    () => createClerkClient({ jwtKey: makeKeys().rsa.pem }).m2m.verify({ token: t }).then(() => assert.fail('verified'), (e) => e),
    failing,
  );
  assert.ok(failure instanceof MachineTokenVerificationError);
  assert.equal(failure.message, 'Error verifying JWT signature. Error: DataError: no import');
  assert.equal(attempts, 2);
  // authenticateRequest's first call takes the same way.
  // (A key of its own: imported keys are shared by the clients of one instance.)
  const other = makeKeys();
  const otherToken = jwt(other, HEADER, payload(now(), { jti: 'mt_first_state' }));
  const [state, stateImports] = await countingImports(() => createClerkClient({ jwtKey: other.rsa.pem })
    .authenticateRequest(new Request('https://api.example.test/', { headers: { authorization: `Bearer ${otherToken}` } }), { acceptsToken: 'm2m_token' }));
  assert.equal(state.isAuthenticated, true);
  assert.equal(stateImports, 1);
});

test('64 distinct tokens in flight, some tampered, each get their own answer', async () => {
  const client = await warmClient();
  const tokens = Array.from({ length: 64 }, (_, i) => (i % 5 === 3 ? tamper(token(`mt_flight_${i}`)) : token(`mt_flight_${i}`)));
  const settled = await Promise.allSettled(tokens.map((t) => client.m2m.verify({ token: t })));
  settled.forEach((s, i) => {
    if (i % 5 === 3) {
      assert.equal(s.status, 'rejected', `token ${i}`);
      assert.ok(s.reason instanceof MachineTokenVerificationError);
      assert.equal(s.reason.message, 'JWT signature is invalid.');
    } else {
      assert.equal(s.status, 'fulfilled', `token ${i}: ${s.reason?.message}`);
      assert.equal(s.value.id, `mt_flight_${i}`);
    }
  });
});

test('claims are still checked after the signature on the synchronous path', async () => {
  const client = await warmClient();
  const expired = token('mt_expired', { exp: now() - 60 });
  await assert.rejects(client.m2m.verify({ token: expired }), (e) => e instanceof MachineTokenVerificationError && /JWT is expired/.test(e.message));
  await assert.rejects(client.m2m.verify({ token: token('mt_aud'), audience: 'mch_someone_else' }), MachineTokenVerificationError);
});

test('a WebCrypto that throws is E10 with its error, one that says no is E11, and neither is cached', async () => {
  const client = await warmClient(100);
  const t = token('mt_webcrypto');
  await withSubtleVerify(async () => {
    throw new DOMException('boom', 'OperationError');
  }, async () => {
    await assert.rejects(client.m2m.verify({ token: t }), (e) => {
      assert.ok(e instanceof MachineTokenVerificationError);
      assert.equal(e.message, 'Error verifying JWT signature. Error: OperationError: boom');
      return true;
    });
  });
  await withSubtleVerify(() => {
    throw new TypeError('sync throw');
  }, async () => {
    await assert.rejects(client.m2m.verify({ token: t }), { message: 'Error verifying JWT signature. Error: TypeError: sync throw' });
  });
  await withSubtleVerify(async () => false, async () => {
    await assert.rejects(client.m2m.verify({ token: t }), { message: 'JWT signature is invalid.' });
  });
  // Nothing above was cached: the real check now runs and passes; then a hit needs no WebCrypto at all.
  assert.equal((await client.m2m.verify({ token: t })).id, 'mt_webcrypto');
  await withSubtleVerify(async () => {
    throw new Error('a cache hit must not call crypto.subtle.verify');
  }, async () => {
    assert.equal((await client.m2m.verify({ token: t })).id, 'mt_webcrypto');
  });
});

test('bad params are typed errors (rejections, never synchronous throws) on every path', async () => {
  const client = await warmClient();
  for (const params of [{ token: token('mt_x'), audience: 5 }, { token: token('mt_y'), clockSkewInMs: 'x' }, { token: token('mt_z'), signal: {} }]) {
    const p = client.m2m.verify(params);
    assert.ok(p instanceof Promise);
    await assert.rejects(p, TypeError);
  }
});

test('more than 1024 signature checks left waiting: the oldest are dropped and redone by the all-Rust path', async () => {
  // 1024 = MAX_PENDING_SIGNATURES in src/lib.rs. Every JS-side check is held, then answered "invalid": the
  // handles still held fail with E11; the dropped ones are verified again by Rust's own WebCrypto call.
  const client = await warmClient();
  const held = [];
  const tokens = Array.from({ length: 1100 }, (_, i) => token(`mt_held_${i}`));
  const settled = await withSubtleVerify(function (...args) {
    if (held.length >= tokens.length) return original.apply(this, args); // the all-Rust path's own calls
    return new Promise((resolve) => held.push(resolve));
  }, async () => {
    const pending = tokens.map((t) => client.m2m.verify({ token: t }));
    while (held.length < tokens.length) await new Promise((r) => setImmediate(r));
    for (const resolve of held) resolve(false);
    return Promise.allSettled(pending);
  });
  const fulfilled = settled.map((s) => s.status === 'fulfilled');
  assert.equal(fulfilled.filter(Boolean).length, tokens.length - 1024);
  assert.ok(fulfilled.slice(0, tokens.length - 1024).every(Boolean), 'the oldest were redone');
  for (const s of settled.slice(tokens.length - 1024)) assert.equal(s.reason?.message, 'JWT signature is invalid.');
});

test('authenticateRequest: the synchronous path gives the state the first (async) call gave, failures included', async () => {
  const { generateKeyPairSync } = await import('node:crypto');
  // A key no test imported yet, so that the first call takes the all-Rust path (it imports the CryptoKey).
  const fresh = () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { rsa: { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) } };
  };
  const req = (t) => new Request('https://service.test/api', { headers: { authorization: `Bearer ${t}` } });
  const view = (state) => ({ ...plain(state), headers: [...state.headers], auth: plain(state.toAuth()) });
  const cases = [
    ['valid', (k) => jwt(k, HEADER, payload(now(), { jti: 'mt_auth' })), undefined],
    ['expired', (k) => jwt(k, HEADER, payload(now(), { exp: now() - 60 })), undefined],
    ['WebCrypto throws', (k) => jwt(k, HEADER, payload(now())), async () => { throw new DOMException('boom', 'OperationError'); }],
  ];
  for (const [name, make, fake] of cases) {
    const k = fresh();
    const client = createClerkClient({ jwtKey: k.rsa.pem, verifiedTokenCacheSize: 0 });
    const t = make(k);
    const run = () => client.authenticateRequest(req(t), { acceptsToken: 'm2m_token' });
    const [first, second] = fake ? await withSubtleVerify(fake, async () => [await run(), await run()]) : [await run(), await run()];
    assert.deepEqual(view(second), view(first), name);
    assert.equal(first.isAuthenticated, name === 'valid', name);
    if (name === 'WebCrypto throws') assert.match(first.message, /Error verifying JWT signature\. Error: OperationError: boom/);
  }
});

test('cache hits hand out fresh copies of the first result, with the same keys in the same order', async () => {
  const client = await warmClient(100);
  const nested = { list: [1, 0.5, { deep: [null, true, 'x'] }], n: 1.5e300, s: 'é\u2028' };
  const t = token('mt_copies', { nested, ['__proto__']: { polluted: true }, 7: 'seven' });
  const first = await client.m2m.verify({ token: t });
  const hits = [await client.m2m.verify({ token: t }), await client.m2m.verify({ token: t })];
  const text = JSON.stringify(first);
  for (const hit of hits) {
    assert.deepStrictEqual(hit, first);
    assert.equal(JSON.stringify(hit), text);
    assert.notEqual(hit, first);
    assert.notEqual(hit.claims, first.claims);
    assert.equal(Object.getPrototypeOf(hit.claims), Object.prototype);
    assert.ok(Object.hasOwn(hit.claims, '__proto__'), 'a __proto__ claim stays an own key');
    assert.equal({}.polluted, undefined);
  }
  // Changing what one call got changes nothing for the next.
  hits[0].claims.nested.list[2].deep.push('changed');
  hits[0].scopes.push('mch_changed');
  hits[0].id = 'mt_changed';
  const later = await client.m2m.verify({ token: t });
  assert.equal(JSON.stringify(later), text);
});

test('more cached tokens than kept parsed hits: every hit is still its own token', async () => {
  const client = await warmClient(1000);
  const tokens = Array.from({ length: 300 }, (_, i) => token(`mt_many_${i}`));
  for (const t of tokens) await client.m2m.verify({ token: t });
  for (const round of [0, 1]) {
    const order = round === 0 ? tokens.keys() : [...tokens.keys()].reverse();
    for (const i of order) {
      const hit = await client.m2m.verify({ token: tokens[i] });
      assert.equal(hit.id, `mt_many_${i}`);
    }
  }
  // A hit re-checks the claims with this call's options (here an audience the token lacks).
  await assert.rejects(client.m2m.verify({ token: tokens[0], audience: 'mch_someone_else' }), MachineTokenVerificationError);
});
