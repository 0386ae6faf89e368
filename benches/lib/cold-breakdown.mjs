// Lane 11 (issue 19, target 2): a new isolate to its first verified response, over an empty Worker, taken apart.
//
// 1. Contenders (benches/workers/cold-*.js), each in a fresh Miniflare (a new workerd process, one isolate), timed
//    from Node: start-up = `new Miniflare` to the answer of a no-op request (the isolate exists: modules evaluated);
//    first request = the first verifying request after it (client built at first use, key import, verify).
//    Contenders: the empty Worker; this package with `jwtKey`; this package with `secretKey` + the JWKS from the
//    shared cache (`caches.default`, the package's default `sharedCache`: every instance of the run has miniflare's
//    `cachePersist` on one directory, filled by one instance first, as lane 8 does); jose 6 `importSPKI` +
//    `jwtVerify`; @clerk/backend `createClerkClient({ jwtKey })`.
// 2. The package's first request taken apart, each part the first request of a fresh isolate after its no-op
//    request, minus the same for the empty Worker's /verify (a second request by itself): the first call into the
//    .wasm (`version()`); `createClerkClient({ jwtKey })`; WebCrypto's first key import as 'jwk' (the package's
//    format, src/webcrypto.rs) and as 'spki' (jose's); a first import + first `crypto.subtle.verify`.
// 3. The package's start-up taken apart as benches/experiments/workerd-startup.mjs does (K copies of a Worker in one
//    Miniflare, minus K copies of the empty Worker, per copy): compile the .wasm, evaluate the glue, instantiate
//    (initSync), the rest of the package's module evaluation (the cold-ours bundle); jose's and @clerk/backend's too.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';

import { admin } from './bapi.mjs';
import { bundleWorker } from './scratch.mjs';
import { miniflare, workerDef } from './workerd.mjs';
import { median, rotate } from './stats.mjs';
import { measureStartup } from '../experiments/workerd-startup.mjs';

export const COLD_PARAMS = {
  full: { rounds: 11, copies: 16, startupRounds: 7 },
  smoke: { rounds: 1, copies: 2, startupRounds: 1 },
};
export const COLD_HEADING = '## 9. Cold breakdown: new isolate to first verified response (lane 11)';

export const COLD_CONTENDERS = ['empty', 'ours-jwtKey', 'ours-sharedJwks', 'jose-spki', 'clerk-jwtKey'];
const LABEL = {
  empty: 'empty Worker',
  'ours-jwtKey': 'clerk-m2m-edge, `createClerkClient({ jwtKey })`',
  'ours-sharedJwks': 'clerk-m2m-edge, `{ secretKey, apiUrl }`, JWKS from the shared cache',
  'jose-spki': 'jose, `importSPKI` + `jwtVerify`',
  'clerk-jwtKey': '@clerk/backend, `createClerkClient({ jwtKey })`',
};
const BUNDLE = { empty: 'cold-empty', 'ours-jwtKey': 'cold-ours', 'ours-sharedJwks': 'cold-ours', 'jose-spki': 'cold-jose', 'clerk-jwtKey': 'cold-clerk' };

// Parts of the first request: [name, worker, path]; each minus the empty Worker's /verify on its first request.
const PARTS = [
  ['first call into the .wasm (`version()`)', 'cold-ours', '/call'],
  ['`createClerkClient({ jwtKey })` (incl. the first call)', 'cold-ours', '/client'],
  ["WebCrypto first key import, 'jwk' (the package's format)", 'cold-keys', '/import?fmt=jwk'],
  ["WebCrypto first key import, 'spki' (jose's importSPKI)", 'cold-keys', '/import?fmt=spki'],
  ["first 'jwk' import + first `crypto.subtle.verify`", 'cold-keys', '/verify?fmt=jwk'],
];

async function countRoutes(bapi) {
  const log = await admin(bapi, 'GET', '/requests');
  return { jwks: log.filter((e) => e.route === 'jwks').length, other: log.filter((e) => e.route !== 'jwks').length };
}

/** Runs lane 11. S: run.mjs's bench state plus { root, scratch, log }; params: COLD_PARAMS.full or .smoke (merged). */
export async function coldBreakdownLane(S, params = {}) {
  const p = { ...COLD_PARAMS.full, ...params };
  const { root, scratch, ctx, tokens, bapi, log = () => {} } = S;
  const Miniflare = await miniflare(root);
  // Bundles copied to a private directory at once: another bench run may recreate benches/scratch meanwhile.
  const work = mkdtempSync(join(tmpdir(), 'cold-breakdown-'));
  const bundles = {};
  for (const b of ['cold-empty', 'cold-ours', 'cold-jose', 'cold-clerk', 'cold-keys']) {
    const built = await bundleWorker(root, scratch, `${b}.js`);
    const dir = join(work, b);
    cpSync(built.dir, dir, { recursive: true });
    bundles[b] = { ...built, dir, main: join(dir, built.main.slice(built.dir.length + 1)) };
  }
  const jwk = ctx.jwks.keys[0];
  const spki = createPublicKey({ key: ctx.pem, format: 'pem' }).export({ type: 'spki', format: 'der' }).toString('base64');
  const bindingsOf = (name) => ({
    CLERK_API_URL: ctx.apiUrl, CLERK_SECRET_KEY: ctx.secretKey,
    ...(name === 'ours-sharedJwks' ? {} : { CLERK_JWT_KEY: ctx.pem }),
    CLERK_SPKI: spki, CLERK_JWK: JSON.stringify({ kty: jwk.kty, n: jwk.n, e: jwk.e }), BENCH_TOKEN: tokens[0],
  });
  const cacheDir = mkdtempSync(join(tmpdir(), 'cold-breakdown-cache-'));
  const result = { params: p, startupMs: {}, firstMs: {}, totalMs: {}, parts: {}, partsRaw: {}, sharedCache: {}, bundleGzip: {} };
  for (const [name, b] of Object.entries(bundles)) result.bundleGzip[name] = b.files.reduce((a, f) => a + f.gzip, 0);
  let tok = 1;
  const nextToken = () => tokens[tok++ % tokens.length];

  /** A fresh Miniflare: start-up to the no-op answer, then `path` timed; returns { startup, first, body }. */
  const cold = async (bundle, name, path, bindings, extra = {}) => {
    const t0 = performance.now();
    const mf = new Miniflare({ ...workerDef(bundle, name, bindings), ...extra });
    try {
      const noop = await mf.dispatchFetch('http://localhost/noop');
      await noop.text();
      const startup = performance.now() - t0;
      const t1 = performance.now();
      const res = await mf.dispatchFetch(`http://localhost${path}`, { headers: { authorization: `Bearer ${nextToken()}` } });
      const body = await res.text();
      const first = performance.now() - t1;
      if (res.status !== 200) throw new Error(`${name} ${path}: ${res.status} ${body.slice(0, 300)}`);
      return { startup, first, body };
    } finally {
      await mf.dispose();
    }
  };

  try {
    // Fill the shared cache: one isolate verifies one token with { secretKey, apiUrl } (fetching the JWKS).
    await admin(bapi, 'DELETE', '/requests');
    await cold(bundles['cold-ours'], 'cold-ours', '/verify', bindingsOf('ours-sharedJwks'), { cachePersist: cacheDir });
    result.sharedCache.fill = await countRoutes(bapi);
    await admin(bapi, 'DELETE', '/requests');

    for (let round = -1; round < p.rounds; round++) {
      for (const name of rotate(COLD_CONTENDERS, round + 1)) {
        const extra = name === 'ours-sharedJwks' ? { cachePersist: cacheDir } : {};
        const r = await cold(bundles[BUNDLE[name]], BUNDLE[name], '/verify', bindingsOf(name), extra);
        if (round < 0) continue; // the first round warms the file system cache and workerd's binary
        (result.startupMs[name] ??= []).push(r.startup);
        (result.firstMs[name] ??= []).push(r.first);
        (result.totalMs[name] ??= []).push(r.startup + r.first);
      }
      for (const [part, worker, path] of rotate([...PARTS, ['(baseline) empty Worker /verify', 'cold-empty', '/verify']], round + 1)) {
        const r = await cold(bundles[worker], worker, path, bindingsOf('ours-jwtKey'));
        if (round >= 0) (result.partsRaw[part] ??= []).push(r.first);
      }
      if (round >= 0) log(`cold breakdown: round ${round + 1}/${p.rounds}: ours-jwtKey ${(result.totalMs['ours-jwtKey'].at(-1) - result.totalMs.empty.at(-1)).toFixed(1)} ms over empty`);
    }
    result.sharedCache.measured = await countRoutes(bapi);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  const base = median(result.partsRaw['(baseline) empty Worker /verify']);
  for (const [part] of PARTS) result.parts[part] = median(result.partsRaw[part]) - base;
  result.parts['(baseline) empty Worker /verify, absolute'] = base;

  // Start-up taken apart (K copies per Miniflare).
  log('cold breakdown: start-up parts (K copies)');
  const st = await measureStartup({
    root, copies: p.copies, rounds: p.startupRounds,
    names: ['empty', 'package .wasm, imported (compiled, not instantiated)', '+ glue imported, not run', '+ initSync (instantiated)'],
    extra: { 'cold-ours': bundles['cold-ours'].dir, 'cold-jose': bundles['cold-jose'].dir, 'cold-clerk': bundles['cold-clerk'].dir },
  });
  rmSync(work, { recursive: true, force: true });
  const c = st.perCopyMs;
  result.startupParts = {
    copies: st.copies, rounds: st.rounds, perCopyMs: c,
    compileWasm: c['package .wasm, imported (compiled, not instantiated)'],
    glueEvaluation: c['+ glue imported, not run'] - c['package .wasm, imported (compiled, not instantiated)'],
    instantiation: c['+ initSync (instantiated)'] - c['+ glue imported, not run'],
    restOfPackage: c['cold-ours'] - c['+ initSync (instantiated)'],
    ours: c['cold-ours'], jose: c['cold-jose'], clerk: c['cold-clerk'],
  };

  const m = (o, k) => (o[k]?.length ? median(o[k]) : NaN);
  result.medians = Object.fromEntries(COLD_CONTENDERS.map((k) => [k, { startup: m(result.startupMs, k), first: m(result.firstMs, k), total: m(result.totalMs, k) }]));
  result.overEmpty = Object.fromEntries(COLD_CONTENDERS.filter((k) => k !== 'empty').map((k) => [k, {
    startup: result.medians[k].startup - result.medians.empty.startup,
    first: result.medians[k].first - result.medians.empty.first,
    total: result.medians[k].total - result.medians.empty.total,
  }]));
  // Paired: the median over rounds of (contender − empty) in the same round (drift cancels, process jitter does not).
  for (const k of Object.keys(result.overEmpty)) {
    result.overEmpty[k].totalPaired = median(result.totalMs[k].map((x, i) => x - result.totalMs.empty[i]));
    // Composed: the K-copies start-up (far less jitter than one workerd process start) + the first request over empty.
    const startupK = { 'ours-jwtKey': c['cold-ours'], 'ours-sharedJwks': c['cold-ours'], 'jose-spki': c['cold-jose'], 'clerk-jwtKey': c['cold-clerk'] }[k];
    result.overEmpty[k].startupK = startupK;
    result.overEmpty[k].composed = startupK + result.overEmpty[k].first;
  }
  result.oursOverEmptyComposedMs = result.overEmpty['ours-jwtKey'].composed;
  result.oursOverEmptyMs = result.overEmpty['ours-jwtKey'].total;
  result.oursSharedOverEmptyMs = result.overEmpty['ours-sharedJwks'].total;
  result.joseOverEmptyMs = result.overEmpty['jose-spki'].total;
  return result;
}

// ------------------------------------------------------------------------------------------------ report
const f1 = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : `${x >= 0 ? '' : '−'}${Math.abs(x) >= 100 ? Math.abs(x).toFixed(0) : Math.abs(x).toFixed(1)}`);
const plus = (x) => (Number.isNaN(x) ? 'n/a' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`);
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

/** The report section of lane 11 (markdown). `error`: the lane's error text, if it failed. */
export function renderColdBreakdown(r, error) {
  const failedLine = error ? `\n**Lane failed:** \`${error.split('\n')[0].slice(0, 300)}\`\n` : '';
  if (!r) return `${COLD_HEADING}\n${failedLine}`;
  const p = r.params;
  const rows = COLD_CONTENDERS.map((k) => {
    const x = r.medians[k], o = r.overEmpty[k];
    return [LABEL[k], f1(x.startup), f1(x.first), f1(x.total), o ? plus(o.startup) : '—', o ? plus(o.first) : '—', o ? `**${plus(o.total)}**` : '—',
      o ? plus(o.totalPaired) : '—', o ? `${plus(o.startupK)} ${plus(o.first)} = **${plus(o.composed)}**` : '—'];
  });
  const sp = r.startupParts;
  const partRows = Object.entries(r.parts).filter(([k]) => !k.startsWith('(baseline)')).map(([k, v]) => [k, plus(v)]);
  const target = r.oursOverEmptyMs <= 10;
  return `${COLD_HEADING}

A new isolate to its first verified response, over an empty Worker (issue 19, target 2: at most +10 ms). Each row: a
fresh Miniflare (one workerd process, one isolate) of \`benches/workers/cold-*.js\`, timed from Node; **start-up** =
\`new Miniflare\` to the answer of a no-op request (the isolate exists, its modules evaluated), **first request** = the
first verifying request after it (the client or key built at first use, as a Worker does). ${p.rounds} rounds, rotated
order, medians (ms); "over empty" = median minus the empty Worker's median. The shared-cache row: every instance has
miniflare's \`cachePersist\` on one directory whose \`caches.default\` one instance filled first (JWKS requests to fill it:
${r.sharedCache.fill?.jwks ?? 'n/a'}; during the measured rounds, all contenders: ${r.sharedCache.measured?.jwks ?? 'n/a'}).
${failedLine}
${table(['contender', 'start-up', 'first request', 'total', 'start-up over empty', 'first request over empty', 'total over empty', 'total over empty, paired by round', 'composed: start-up (K copies, below) + first request over empty'], rows)}

One workerd process start jitters by tens of ms on a shared machine (the two clerk-m2m-edge rows run the same bundle, so
their start-up differs by noise alone): the last column, the K-copies start-up of the table below plus the first
request over empty, is the steadier estimate.

Target (≤ +10 ms with \`jwtKey\`): ${plus(r.oursOverEmptyMs)} ms (composed ${plus(r.oursOverEmptyComposedMs)} ms), ${target && r.oursOverEmptyComposedMs <= 10 ? '**pass**' : '**miss**'}; with the JWKS from the shared cache ${plus(r.oursSharedOverEmptyMs)} ms (composed ${plus(r.overEmpty['ours-sharedJwks'].composed)} ms), ${r.oursSharedOverEmptyMs <= 10 && r.overEmpty['ours-sharedJwks'].composed <= 10 ? '**pass**' : '**miss**'} (jose ${plus(r.joseOverEmptyMs)} ms, composed ${plus(r.overEmpty['jose-spki'].composed)} ms).

**The first request taken apart** (each the first request of a fresh isolate after its no-op request, minus the empty
Worker's first /verify, ${f1(r.parts['(baseline) empty Worker /verify, absolute'])} ms; medians of ${p.rounds}):

${table(['part', 'ms'], partRows)}

**The start-up taken apart** (\`benches/experiments/workerd-startup.mjs\`: ${sp.copies} copies of a Worker in one Miniflare minus
${sp.copies} copies of the empty Worker, per copy, medians of ${sp.rounds} rounds):

${table(['part', 'ms per isolate'], [
    ['compile the .wasm (imported, not instantiated)', plus(sp.compileWasm)],
    ['evaluate the wasm-bindgen glue (imported, not run)', plus(sp.glueEvaluation)],
    ['instantiate (`initSync`)', plus(sp.instantiation)],
    ['the rest of the package\'s module evaluation (api.js, runtime.js `install`, …: the cold-ours bundle minus the above)', plus(sp.restOfPackage)],
    ['**the package\'s start-up** (cold-ours bundle)', `**${plus(sp.ours)}**`],
    ['jose\'s start-up (cold-jose bundle)', plus(sp.jose)],
    ['@clerk/backend\'s start-up (cold-clerk bundle)', plus(sp.clerk)],
  ])}

Bundles (esbuild, minified, gzip -9 of all files): ${Object.entries(r.bundleGzip).map(([k, v]) => `${k} ${(v / 1024).toFixed(1)} KB`).join(', ')}.
`;
}

/** Puts the lane 11 section into a rendered report, before the Breakdown section (or at the end). */
export function withColdBreakdownSection(report, section) {
  const i = report.indexOf('\n## Breakdown');
  return i < 0 ? `${report.trimEnd()}\n\n${section}` : `${report.slice(0, i)}\n${section}${report.slice(i)}`;
}
