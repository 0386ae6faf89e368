// `machineTokenRateLimiter` (issue 18), in every runtime lane: a token bucket per client IP on the
// `authenticateRequest` verifications that must reach the Backend API; off by default; JWTs and cached answers
// are never limited.
import { assert } from './harness.js';
import { localBapi } from './bapi.js';

const REASON = 'machine-token-rate-limited';

export async function register(test, lib, ctx) {
  const bapi = localBapi(ctx);
  if (!bapi) return;
  const { createClerkClient } = lib;
  const apiUrl = bapi.url;
  const receiver = await bapi.machine(`${ctx.lane}-limit-receiver`);
  const sender = await bapi.machine(`${ctx.lane}-limit-sender`, [receiver.id]);
  const senderClient = createClerkClient({ apiUrl, machineSecretKey: sender.secretKey });
  let n = 0;
  const unknownToken = () => `mt_${ctx.lane.replace(/\W/g, '')}limit${Date.now()}x${n++}`;
  const request = (token, headers = {}) => ({ headers: new Headers({ authorization: `Bearer ${token}`, ...headers }) });
  const verifyCalls = async (fn) => {
    let out;
    const log = await bapi.requestsDuring(async () => { out = await fn(); });
    return { out, calls: log.filter((r) => r.path === '/v1/m2m_tokens/verify' || r.path === '/m2m_tokens/verify').length };
  };
  const run = (client, headers, tokens) => Promise.all(tokens.map((t) => client.authenticateRequest(request(t, headers), { acceptsToken: 'm2m_token' })));

  test('over its burst, a client IP is signed out without a Backend API call; another IP is not', async () => {
    const client = createClerkClient({ apiUrl, secretKey: bapi.secretKey, machineTokenRateLimiter: { burst: 3, refillPerSecond: 0.001 } });
    const ipA = { 'cf-connecting-ip': '203.0.113.7' };
    const first = await verifyCalls(() => run(client, ipA, [1, 2, 3, 4, 5].map(unknownToken)));
    assert.equal(first.calls, 3);
    const limited = first.out.filter((s) => s.reason === REASON);
    assert.equal(limited.length, 2);
    for (const s of limited) {
      assert.equal(s.isAuthenticated, false);
      assert.equal(s.tokenType, 'm2m_token');
      assert.match(s.message, /machineTokenRateLimiter.*retry in \d+ ms/);
    }
    // X-Forwarded-For's first entry is another client.
    const other = await verifyCalls(() => run(client, { 'x-forwarded-for': '198.51.100.2, 203.0.113.7' }, [unknownToken()]));
    assert.equal(other.calls, 1);
    assert.ok(other.out[0].reason !== REASON, other.out[0].reason);
    // A token whose answer is cached (negatively) needs no request, so it is not limited.
    const known = unknownToken();
    await run(createClerkClient({ apiUrl, secretKey: bapi.secretKey }), ipA, [known]);
    const cachedClient = createClerkClient({ apiUrl, secretKey: bapi.secretKey, machineTokenRateLimiter: { burst: 1, refillPerSecond: 0.001 } });
    await run(cachedClient, ipA, [known]);
    const again = await verifyCalls(() => run(cachedClient, ipA, [known, known]));
    assert.equal(again.calls, 0);
    assert.ok(again.out.every((s) => s.reason !== REASON));
  });

  test('JWTs are never limited, and the limiter is off by default', async () => {
    const client = createClerkClient({ apiUrl, secretKey: bapi.secretKey, machineTokenRateLimiter: { burst: 1, refillPerSecond: 0.001 } });
    const jwt = (await senderClient.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 600 })).token;
    const states = await run(client, { 'cf-connecting-ip': '192.0.2.1' }, [jwt, jwt, jwt]);
    assert.ok(states.every((s) => s.isAuthenticated), JSON.stringify(states.map((s) => s.reason)));
    const plain = createClerkClient({ apiUrl, secretKey: bapi.secretKey });
    const all = await verifyCalls(() => run(plain, { 'cf-connecting-ip': '192.0.2.1' }, [1, 2, 3, 4].map(unknownToken)));
    assert.equal(all.calls, 4);
    assert.ok(all.out.every((s) => s.reason !== REASON));
    assert.throws(() => createClerkClient({ secretKey: bapi.secretKey, machineTokenRateLimiter: { burst: 0 } }), (e) => /machineTokenRateLimiter/.test(e.message));
  });
}
