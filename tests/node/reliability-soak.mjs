// The soak run shared by tests/node/soak.test.mjs (bounded for CI) and scripts/soak (the full run): a private local
// Backend API, a token mix, the soak Worker in workerd (tests/node/reliability-worker.mjs), then rounds of
// verification batches and Backend API batches with a memory sample after each round.
import { ownBapi } from './reliability-bapi.mjs';
import { HEADER, jwt, makeKeys, payload, seg } from './reliability-jwt-corpus.mjs';
import { bundleSoakWorker, startSoakWorker } from './reliability-worker.mjs';

const MiB = 1024 * 1024;
export const fmtSample = (s) => `heap ${s.heapUsed === null ? 'n/a' : (s.heapUsed / MiB).toFixed(2)} MiB, rss ${s.rss === null ? 'n/a' : (s.rss / MiB).toFixed(1)} MiB, `
  + `wasm ${(s.wasmMemoryBytes / MiB).toFixed(2)} MiB`;

/**
 * Runs a warm-up round (`warmupVerify` verifications, `warmupApi` API calls) and then `rounds` rounds of
 * `verifyPerRound` verifications and `apiPerRound` API calls (in Worker requests of at most `batch` verifications),
 * with a memory sample after every round (the warm-up's is sample 1). Returns { samples, tally, seconds, info,
 * requests }. `log` gets one line per round.
 */
export async function runSoak({ rounds, verifyPerRound, apiPerRound, warmupVerify = verifyPerRound, warmupApi = apiPerRound, batch = 1000,
  distinct = 2000, lifetimeS = 3 * 3600, log = () => {} }) {
  const started = Date.now();
  const ctx = await ownBapi(61);
  let bundle, worker;
  try {
    const [sender, receiver] = ctx.machines;
    const keys = makeKeys();
    const now = Math.floor(Date.now() / 1000);
    const body = (i) => payload(now, { exp: now + lifetimeS, jti: `mt_${String(i).padStart(32, '0')}`, n: i });
    const distinctTokens = Array.from({ length: distinct }, (_, i) => jwt(keys, HEADER, body(i)));
    const hot = Array.from({ length: 10 }, (_, i) => jwt(keys, HEADER, body(1e6 + i)));
    const tampered = hot.slice(0, 5).map((t, i) => {
      const [h, p, s] = t.split('.');
      return [h, p, s.slice(0, 10 + i) + (s[10 + i] === 'C' ? 'D' : 'C') + s.slice(11 + i)].join('.');
    });
    const minted = [];
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${ctx.url}/m2m_tokens`, { method: 'POST', headers: { authorization: `Bearer ${sender.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token_format: 'jwt', seconds_until_expiration: lifetimeS, claims: { i } }) });
      if (res.status !== 201) throw new Error(`mint: ${res.status} ${await res.text()}`);
      minted.push((await res.json()).token);
    }
    const unknownKid = minted.slice(0, 5).map((t, i) => {
      const [h, p, s] = t.split('.');
      return [seg({ ...JSON.parse(Buffer.from(h, 'base64url')), kid: `ins_soakUnknown${i}` }), p, s].join('.');
    });

    const tTokens = Date.now();
    bundle = bundleSoakWorker();
    const tBundle = Date.now();
    worker = await startSoakWorker(bundle);
    const tWorker = Date.now();
    const info = await worker.dispatch('/setup', { apiUrl: ctx.url, secretKey: ctx.secretKey, jwtKey: keys.rsa.pem, sender, receiver,
      tokens: { distinct: distinctTokens, hot, minted, unknownKid, tampered } });
    info.inspector = worker.inspector;
    info.workerdPid = worker.pid;
    log(`soak: clerk-m2m-edge ${info.version} in workerd (pid ${worker.pid ?? 'unknown'}, inspector ${worker.inspector ? 'on' : 'unavailable'}); `
      + `${distinct} distinct + 10 hot PEM tokens, 20 Backend API JWTs, 5 unknown-kid, 5 tampered; `
      + `set-up ${((tTokens - started) / 1000).toFixed(1)} s, bundle ${((tBundle - tTokens) / 1000).toFixed(1)} s, workerd start ${((tWorker - tBundle) / 1000).toFixed(1)} s`);
    const tally = {};
    const add = (t) => { for (const [k, v] of Object.entries(t)) tally[k] = (tally[k] ?? 0) + v; };
    // The Backend API's request log keeps 10 000 entries: count by route after every round, then clear it.
    const requests = {};
    const drainRequests = async () => {
      for (const q of await ctx.admin('GET', '/requests')) requests[q.route] = (requests[q.route] ?? 0) + 1;
      await ctx.admin('DELETE', '/requests');
    };
    await drainRequests();
    const samples = [];
    let verified = 0, apiCalls = 0;
    log(`soak: before the first call: ${fmtSample(await worker.sample())}`);
    for (let r = 0; r <= rounds; r++) {
      const [nVerify, nApi] = r === 0 ? [warmupVerify, warmupApi] : [verifyPerRound, apiPerRound];
      const t0 = Date.now();
      for (let left = nVerify; left > 0; left -= batch) add((await worker.dispatch(`/verify?n=${Math.min(batch, left)}`)).tally);
      verified += nVerify;
      const t1 = Date.now();
      for (let left = nApi; left > 0; left -= 100) add((await worker.dispatch(`/api?n=${Math.min(100, left)}`)).tally);
      apiCalls += nApi;
      const t2 = Date.now();
      await drainRequests();
      const s = { round: r, verified, apiCalls, ...(await worker.sample()), verifyPerSecond: nVerify ? Math.round(nVerify / (Math.max(1, t1 - t0) / 1000)) : null,
        apiPerSecond: nApi ? Math.round(nApi / (Math.max(1, t2 - t1) / 1000)) : null, at: Date.now() - started };
      samples.push(s);
      log(`soak: ${r === 0 ? 'warm-up' : `round ${r}`}: ${verified} verifications, ${apiCalls} API calls; ${fmtSample(s)}; `
        + `${s.verifyPerSecond ?? '-'} verifications/s, ${s.apiPerSecond ?? '-'} API calls/s; t=${(s.at / 1000).toFixed(1)} s`);
    }
    return { samples, tally, seconds: (Date.now() - started) / 1000, info, requests, verified, apiCalls };
  } finally {
    await worker?.dispose();
    bundle?.cleanup();
    await ctx.stop();
  }
}

/** Growth of a field between two samples, as a fraction (null when not measured). */
export const growth = (a, b, field) => (a[field] === null || b[field] === null ? null : (b[field] - a[field]) / a[field]);
