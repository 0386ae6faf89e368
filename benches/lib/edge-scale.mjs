// Lane 8 (issue 18): K new isolates of one Worker in one Cloudflare colo. Each isolate is its own Miniflare instance
// (its own workerd process) of the same Worker bundle; all instances of one run share one persisted Cache API store
// (miniflare's shared option `cachePersist` pointing at one directory), so `caches.default` is shared as the isolates
// of one colo share it. Instances start one after another, each cold, and stay up until the run ends. Latency is
// injected at the local Backend API (`POST /__admin/faults`, kind `latency`) on `jwks` and `verify`
// (`/v1/m2m_tokens/verify`); requests are counted in its request log (`GET /__admin/requests`).
//
// Per contender and latency:
//   JWKS requests for K new isolates, each serving its first JWT request (a distinct RS256 M2M JWT each);
//   opaque verify requests for a flood inside one new isolate: 30 identical unknown `mt_` tokens + 20 identical valid
//   opaque tokens, all 50 requests in flight at once (Promise.all of fetches into the Worker);
//   first-request latency of each new isolate, measured from Node around its first `dispatchFetch` (after `ready`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { admin } from './bapi.mjs';
import { bundleWorker } from './scratch.mjs';
import { miniflare, workerDef } from './workerd.mjs';
import { median } from './stats.mjs';

export const EDGE_CONTENDERS = ['edge-ours', 'edge-clerk', 'edge-jose'];
const LABEL = { 'edge-ours': 'clerk-m2m-edge', 'edge-clerk': '@clerk/backend', 'edge-jose': 'jose `createRemoteJWKSet`' };
export const EDGE_PARAMS = {
  full: { ks: [4, 8], latencies: [0, 50], unknown: 30, valid: 20 },
  smoke: { ks: [2], latencies: [0], unknown: 30, valid: 20 },
};

const routeCount = async (bapi, route) => (await admin(bapi, 'GET', '/requests')).filter((r) => r.route === route).length;

async function setLatency(bapi, ms) {
  await admin(bapi, 'DELETE', '/faults');
  if (ms > 0) for (const route of ['jwks', 'verify']) await admin(bapi, 'POST', '/faults', { route, fault: { kind: 'latency', ms } });
}

/** Mints `count` opaque M2M tokens (machine A, 1 h). */
async function mintOpaque(bapi, count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${bapi.url}/m2m_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bapi.machines[0].secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ seconds_until_expiration: 3600 }),
    });
    if (res.status !== 201) throw new Error(`mint opaque: ${res.status} ${await res.text()}`);
    out.push((await res.json()).token);
  }
  return out;
}

/** An `mt_` token of the real shape (mt_ + 32 alphanumerics) that the Backend API has never issued. */
function unknownOpaque(seed) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = 'mt_', x = seed * 2654435761 >>> 0;
  for (let i = 0; i < 32; i++) { x = (x * 1103515245 + 12345) >>> 0; s += abc[(x >>> 16) % abc.length]; }
  return s;
}

/** One "colo": Miniflare instances of one Worker bundle sharing one fresh cache directory. */
function colo(Miniflare, bundle, name, bindings) {
  const dir = mkdtempSync(join(tmpdir(), 'edge-scale-cache-'));
  const instances = [];
  return {
    dir,
    async start() {
      const t0 = performance.now();
      const mf = new Miniflare({ ...workerDef(bundle, name, bindings), cachePersist: dir });
      instances.push(mf);
      await mf.ready;
      return { mf, startMs: performance.now() - t0 };
    },
    async dispose() {
      for (const mf of instances) await mf.dispose().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function auth(mf, token) {
  const t0 = performance.now();
  const res = await mf.dispatchFetch('http://localhost/auth', { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json().catch(() => ({}));
  return { ms: performance.now() - t0, status: res.status, body };
}

/** Runs lane 8. S: the bench state of run.mjs plus { root, scratch, log }; p: EDGE_PARAMS.full or .smoke. */
export async function edgeScaleLane(S, p) {
  const { bapi, ctx, tokens, root, scratch, log = () => {} } = S;
  const Miniflare = await miniflare(root);
  const bundles = {};
  for (const c of EDGE_CONTENDERS) bundles[c] = S.bundles?.[c] ?? (await bundleWorker(root, scratch, `${c}.js`));
  const bindings = { CLERK_API_URL: ctx.apiUrl, CLERK_SECRET_KEY: ctx.secretKey };
  const maxK = Math.max(...p.ks);
  if (tokens.length < maxK * p.ks.length) throw new Error(`edge lane needs ${maxK * p.ks.length} JWTs, has ${tokens.length}`);
  const valid = (await mintOpaque(bapi, 1))[0];
  const unknown = unknownOpaque(18);
  // 30 unknown + 20 valid, interleaved as they would arrive.
  const flood = [];
  for (let i = 0, u = 0, v = 0; i < p.unknown + p.valid; i++) {
    if (v < p.valid && (u >= p.unknown || i % 5 === 1 || i % 5 === 3)) { flood.push(valid); v++; } else { flood.push(unknown); u++; }
  }

  const result = { params: p, probe: undefined, runs: {} };
  // Is caches.default shared between two Miniflare instances with one cachePersist directory?
  {
    const c = colo(Miniflare, bundles['edge-ours'], 'edge-ours', bindings);
    try {
      const a = (await c.start()).mf;
      await (await a.dispatchFetch('http://localhost/probe?op=put')).json();
      const b = (await c.start()).mf;
      const got = await (await b.dispatchFetch('http://localhost/probe?op=get')).json();
      const self = await (await a.dispatchFetch('http://localhost/probe?op=get')).json();
      result.probe = { cache: got.cache, sharedHit: got.hit, selfHit: self.hit };
    } finally {
      await c.dispose();
    }
    log(`edge: caches.default shared between instances: ${result.probe.sharedHit}`);
  }

  try {
    let round = 0;
    for (const latency of p.latencies) {
      await setLatency(bapi, latency);
      const order = EDGE_CONTENDERS.map((_, i) => EDGE_CONTENDERS[(i + round) % EDGE_CONTENDERS.length]);
      round++;
      for (const name of order) {
        const r = { jwks: {}, verifyDuringJwt: {}, jwtFailures: 0, first: [], later: [], startMs: [], flood: undefined };
        let t = 0;
        for (const k of p.ks) {
          const c = colo(Miniflare, bundles[name], name, bindings);
          try {
            await admin(bapi, 'DELETE', '/requests');
            for (let i = 0; i < k; i++) {
              const { mf, startMs } = await c.start();
              r.startMs.push(startMs);
              const a = await auth(mf, tokens[t++]);
              if (a.status !== 200) { r.jwtFailures++; r.lastFailure = `${a.status} ${JSON.stringify(a.body).slice(0, 200)}`; }
              (i === 0 ? r.first : r.later).push(a.ms);
            }
            const log = await admin(bapi, 'GET', '/requests');
            r.jwks[k] = log.filter((e) => e.route === 'jwks').length;
            r.verifyDuringJwt[k] = log.filter((e) => e.route === 'verify').length;
          } finally {
            await c.dispose();
          }
        }
        if (name !== 'edge-jose') {
          const c = colo(Miniflare, bundles[name], name, bindings);
          try {
            const { mf } = await c.start();
            await admin(bapi, 'DELETE', '/requests');
            const t0 = performance.now();
            const answers = await Promise.all(flood.map((tok) => auth(mf, tok)));
            const ms = performance.now() - t0;
            const ok = answers.filter((a, i) => flood[i] === valid && a.status === 200).length;
            const rejected = answers.filter((a, i) => flood[i] === unknown && a.status === 401).length;
            r.flood = { verify: await routeCount(bapi, 'verify'), ok, rejected, total: flood.length, ms };
          } finally {
            await c.dispose();
          }
        }
        result.runs[`${name}@${latency}`] = r;
        log(`edge: ${name} at ${latency} ms: JWKS ${JSON.stringify(r.jwks)}, flood verify ${r.flood?.verify ?? 'n/a'}, first ${r.first.map((x) => x.toFixed(0))} later median ${median(r.later).toFixed(1)} ms`);
      }
    }
  } finally {
    await admin(bapi, 'DELETE', '/faults').catch(() => {});
  }
  return result;
}

// ------------------------------------------------------------------------------------------------ report
const f1 = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const medMax = (xs) => (xs?.length ? `${f1(median(xs))} / ${f1(Math.max(...xs))}` : 'n/a');
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const verdict = (pass) => (pass === undefined ? 'n/a' : pass ? '**pass**' : '**miss**');

export const EDGE_HEADING = '## 8. Edge scale: new isolates sharing a colo\'s cache';

/** The report section of lane 8 (markdown). `error`: the lane's error text, if it failed. */
export function renderEdgeScale(r, error) {
  const failedLine = error ? `\n**Lane failed:** \`${error.split('\n')[0].slice(0, 300)}\`\n` : '';
  if (!r) return `${EDGE_HEADING}\n${failedLine}`;
  const p = r.params;
  const rows = [];
  for (const latency of p.latencies) {
    for (const name of EDGE_CONTENDERS) {
      const x = r.runs[`${name}@${latency}`];
      if (!x) continue;
      const fl = x.flood ? `${x.flood.verify} (${x.flood.ok}/${p.valid} valid accepted, ${x.flood.rejected}/${p.unknown} unknown rejected, ${f1(x.flood.ms)} ms)` : 'n/a (JWT only)';
      rows.push([
        LABEL[name], `${latency} ms`,
        ...p.ks.map((k) => `${x.jwks[k]}${x.verifyDuringJwt[k] ? ` (+${x.verifyDuringJwt[k]} verify)` : ''}`),
        fl, medMax(x.first), medMax(x.later), medMax([...x.first, ...x.later]),
        x.jwtFailures ? `**${x.jwtFailures} failed** (${x.lastFailure})` : `${x.first.length + x.later.length}/${x.first.length + x.later.length}`,
      ]);
    }
  }
  const ks = p.ks.join(' and ');
  // Targets (issue 18), judged for this package at the highest injected latency.
  const L = Math.max(...p.latencies);
  const ours = r.runs[`edge-ours@${L}`];
  const others = (f) => EDGE_CONTENDERS.filter((n) => n !== 'edge-ours').map((n) => `${LABEL[n]}: ${f(r.runs[`${n}@${L}`]) ?? 'n/a'}`).join('; ');
  const jw = (x) => (x ? p.ks.map((k) => x.jwks[k]).join(', ') : undefined);
  const laterMed = (x) => (x?.later.length ? `${f1(median(x.later))} ms` : undefined);
  const tRows = [
    [`1 JWKS request for any K (K = ${ks}, ${L} ms)`, `${jw(ours) ?? 'n/a'} (${others(jw)})`, verdict(ours && p.ks.every((k) => ours.jwks[k] === 1))],
    [`At most 2 opaque verify requests for the flood (${L} ms)`, `${ours?.flood?.verify ?? 'n/a'} (${others((x) => x?.flood?.verify)})`, verdict(ours?.flood && ours.flood.verify <= 2)],
    [`A new isolate's first JWT request after the first isolate well under the injected latency (median ≤ ½ × ${L} ms)`,
      L > 0 ? `${laterMed(ours) ?? 'n/a'}, max ${ours?.later.length ? f1(Math.max(...ours.later)) : 'n/a'} ms (${others(laterMed)})` : 'n/a (no latency injected in this run)',
      L > 0 && ours?.later.length ? verdict(median(ours.later) <= L / 2) : 'n/a'],
  ];
  const probe = r.probe
    ? r.probe.sharedHit
      ? 'a marker written to `caches.default` by one instance was read by the next one: the cache is shared'
      : `**the cache was NOT shared between instances** (second instance hit: ${r.probe.sharedHit}, same instance: ${r.probe.selfHit}); the JWKS counts below then say nothing about a shared cache`
    : 'not probed';
  return `${EDGE_HEADING}

K new isolates of one Worker in one colo: K Miniflare instances (one workerd process each) of the same Worker bundle
(\`benches/workers/edge-*.js\`), started one after another, each cold, all with miniflare's \`cachePersist\` on one fresh
directory per run, so they share \`caches.default\` as the isolates of a colo do (probe: ${probe}). Each new isolate serves one
request: \`authenticateRequest(request, { acceptsToken: 'm2m_token' })\` of a client built with \`{ secretKey, apiUrl }\` only
(jose: \`createRemoteJWKSet\` on \`/v1/jwks\` + \`jwtVerify\`), a distinct RS256 M2M JWT per isolate. Latency is injected at the
local Backend API on \`/v1/jwks\` and \`/v1/m2m_tokens/verify\`; requests are counted in its request log.
Flood: one new isolate, ${p.unknown} identical unknown \`mt_\` tokens + ${p.valid} identical valid opaque tokens, one request each, all in
flight at once. First request = \`dispatchFetch\` to its response, from Node, after the instance is \`ready\`; pooled over
the K = ${ks} runs (median / max, ms).
${failedLine}
${table(['contender', 'injected latency', ...p.ks.map((k) => `JWKS requests, ${k} new isolates`), `opaque verify requests, flood of ${p.unknown + p.valid}`,
    'first request, first isolate', 'first request, later isolates', 'first request, all isolates', 'JWT requests verified'], rows)}

${table(['target (issue 18)', 'clerk-m2m-edge (others)', 'result'], tRows)}
`;
}

/** Puts the lane 8 section into a rendered report, before the Breakdown section (or at the end). */
export function withEdgeSection(report, section) {
  const i = report.indexOf('\n## Breakdown');
  return i < 0 ? `${report.trimEnd()}\n\n${section}` : `${report.slice(0, i)}\n${section}${report.slice(i)}`;
}
