// The opaque-token negative cache (issue 18), in every runtime lane and so in workerd: a definitive 404 is replayed
// for `opaqueNegativeCacheTtlMs` and then asked again; a 503 and a 401 (key error) are never cached.
import { assert } from './harness.js';
import { localBapi } from './bapi.js';

export async function register(test, lib, ctx) {
  const bapi = localBapi(ctx);
  if (!bapi) return;
  const { createClerkClient, ClerkAPIResponseError } = lib;
  const apiUrl = bapi.url;
  let n = 0;
  const unknownToken = () => `mt_${ctx.lane.replace(/\W/g, '')}negative${Date.now()}x${n++}`;
  const verifyCalls = async (fn) => (await bapi.requestsDuring(fn)).filter((r) => r.path.endsWith('/m2m_tokens/verify')).length;
  const rejects = (promise, status) => assert.rejects(promise, (e) => e instanceof ClerkAPIResponseError && e.status === status);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  test('a 404 is replayed within opaqueNegativeCacheTtlMs and asked again after it', async () => {
    const client = createClerkClient({ apiUrl, secretKey: bapi.secretKey, opaqueNegativeCacheTtlMs: 300 });
    const token = unknownToken();
    assert.equal(await verifyCalls(async () => {
      await rejects(client.m2m.verify({ token }), 404);
      await rejects(client.m2m.verify({ token }), 404);
    }), 1);
    await sleep(400);
    assert.equal(await verifyCalls(() => rejects(client.m2m.verify({ token }), 404)), 1, 'expired');
  });

  test('a 503 and a 401 are never cached', async () => {
    const client = createClerkClient({ apiUrl, secretKey: bapi.secretKey, retry: false });
    const token = unknownToken();
    await bapi.fault('verify', { kind: 'status', status: 503 });
    try {
      assert.equal(await verifyCalls(() => rejects(client.m2m.verify({ token }), 503)), 1);
    } finally {
      await bapi.clearFaults();
    }
    assert.equal(await verifyCalls(() => rejects(client.m2m.verify({ token }), 404)), 1, 'the 503 was not kept');
    const wrongKey = createClerkClient({ apiUrl, secretKey: 'sk_test_not_the_instance_key' });
    const other = unknownToken();
    assert.equal(await verifyCalls(async () => {
      await rejects(wrongKey.m2m.verify({ token: other }), 401);
      await rejects(wrongKey.m2m.verify({ token: other }), 401);
    }), 2);
  });
}
