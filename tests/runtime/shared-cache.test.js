// The instance key set in a cache shared between isolates (issue 18), in every runtime lane: read before the
// network by a new instance, trusted only with its HMAC, skipped when it fails; automatic where `caches.default`
// exists (workerd) and absent elsewhere. A new isolate is modelled by a trap: the next call runs in a new WASM
// instance, whose own caches are empty (docs/reliability.md, "Restart after a trap").
import { assert } from './harness.js';
import { localBapi } from './bapi.js';

const INTERNAL = Symbol.for('clerk-m2m-edge.internal');
const enc = new TextEncoder();
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const part = (obj) => b64url(enc.encode(JSON.stringify(obj)));
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** A Cache-like store over a Map, with real `Response`s, for runtimes without the Cache API. */
function mapCache() {
  const entries = new Map();
  return {
    entries,
    async match(key) { return entries.has(key) ? new Response(entries.get(key)) : undefined; },
    async put(key, response) { entries.set(key, await response.text()); },
  };
}

export async function register(test, lib, ctx) {
  const bapi = localBapi(ctx);
  if (!bapi) return;
  const { createClerkClient, MachineTokenVerificationError } = lib;
  const apiUrl = bapi.url;
  const receiver = await bapi.machine(`${ctx.lane}-shared-receiver`);
  const sender = await bapi.machine(`${ctx.lane}-shared-sender`, [receiver.id]);
  const senderClient = createClerkClient({ apiUrl, machineSecretKey: sender.secretKey });
  const jwt = async () => (await senderClient.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 })).token;
  const jwksCalls = async (fn) => (await bapi.requestsDuring(fn)).filter((r) => r.path === '/v1/jwks').length;
  // A new isolate: the next call of any client runs in a new instance with empty caches.
  const newIsolate = async (client) => {
    await client[INTERNAL].trap(false).then(() => assert.fail('the trap returned'), () => {});
  };
  const cacheKey = async () => {
    const id = await crypto.subtle.digest('SHA-256', enc.encode(`clerk-m2m-edge shared key set: cache key v1\0${bapi.secretKey}`));
    return `${apiUrl}/v1/jwks?clerk_m2m_edge_key_set=${hex(id)}`;
  };

  test('a new isolate takes the key set from the shared cache, keyed without the secret', async () => {
    const cache = mapCache();
    const client = createClerkClient({ apiUrl, secretKey: bapi.secretKey, sharedCache: cache });
    await newIsolate(client);
    assert.equal(await jwksCalls(async () => assert.equal((await client.m2m.verify({ token: await jwt() })).subject, sender.id)), 1);
    assert.deepEqual([...cache.entries.keys()], [await cacheKey()]);
    const [entry] = cache.entries.values();
    assert.match(entry, /^v1\.\d+\.[\w-]+\.\{/);
    assert.ok(!entry.includes(bapi.secretKey) && ![...cache.entries.keys()][0].includes(bapi.secretKey));
    await newIsolate(client);
    assert.equal(await jwksCalls(async () => assert.equal((await client.m2m.verify({ token: await jwt() })).subject, sender.id)), 0);
  });

  test("a planted key set in the shared cache does not verify the attacker's token, and is replaced", async () => {
    const cache = mapCache();
    const client = createClerkClient({ apiUrl, secretKey: bapi.secretKey, sharedCache: cache });
    const real = await jwt();
    const { kid } = JSON.parse(atob(real.split('.')[0].replace(/-/g, '+').replace(/_/g, '/')));
    const keys = await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
    const { n, e } = await crypto.subtle.exportKey('jwk', keys.publicKey);
    const planted = JSON.stringify({ keys: [{ kty: 'RSA', use: 'sig', alg: 'RS256', kid, n, e }] });
    const now = Math.floor(Date.now() / 1000);
    const input = `${part({ alg: 'RS256', typ: 'JWT', kid, cat: 'cl_B7d4PD333AAA' })}.${part({ sub: sender.id, aud: [receiver.id], scopes: receiver.id, jti: 'mt_evil', iat: now - 1, nbf: now - 10, exp: now + 300 })}`;
    const forged = `${input}.${b64url(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', keys.privateKey, enc.encode(input)))}`;
    for (const text of [`v1.${Date.now()}.AAAA.${planted}`, planted]) {
      cache.entries.set(await cacheKey(), text);
      await newIsolate(client);
      const calls = await jwksCalls(() => assert.rejects(client.m2m.verify({ token: forged }), (err) => err instanceof MachineTokenVerificationError));
      assert.equal(calls, 1, 'the network decides');
      assert.ok(!cache.entries.get(await cacheKey()).includes(n), 'the planted entry is replaced');
    }
    assert.equal((await client.m2m.verify({ token: real })).subject, sender.id);
  });

  test('a shared cache that throws or rejects is skipped: the network answers', async () => {
    const broken = { match() { throw new Error('cache down'); }, put: () => Promise.reject(new Error('cache down')) };
    const client = createClerkClient({ apiUrl, secretKey: bapi.secretKey, sharedCache: broken });
    await newIsolate(client);
    assert.equal(await jwksCalls(async () => assert.equal((await client.m2m.verify({ token: await jwt() })).subject, sender.id)), 1);
    assert.throws(() => createClerkClient({ secretKey: bapi.secretKey, sharedCache: 'default' }), (err) => err instanceof TypeError && /sharedCache/.test(err.message));
    assert.throws(() => createClerkClient({ secretKey: bapi.secretKey, sharedCache: {} }), TypeError);
  });

  test('by default the key set is shared through caches.default where it exists, and nowhere elsewhere', async () => {
    const automatic = typeof globalThis.caches?.default?.match === 'function';
    const client = createClerkClient({ apiUrl, secretKey: bapi.secretKey });
    const off = createClerkClient({ apiUrl, secretKey: bapi.secretKey, sharedCache: false });
    await newIsolate(client);
    await client.m2m.verify({ token: await jwt() });
    await newIsolate(client);
    assert.equal(await jwksCalls(async () => assert.equal((await client.m2m.verify({ token: await jwt() })).subject, sender.id)), automatic ? 0 : 1);
    const token = await jwt();
    await newIsolate(off);
    assert.equal(await jwksCalls(async () => assert.equal((await off.m2m.verify({ token })).subject, sender.id)), 1, 'sharedCache: false');
  });
}
