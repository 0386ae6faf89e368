#!/usr/bin/env node
// The benchmark: this package against @clerk/backend, jose and the WebCrypto floor, interleaved in one run, on
// RS256 M2M JWTs minted by the local Backend API. Writes docs/benchmarks.md (keeping the hand-written analysis
// below its marker). Usage: node benches/run.mjs [--smoke] [--out FILE] [--lanes 1,2,...]
//   lanes: 1-7 as numbered in docs/benchmarks.md, 8 edge scale (issue 18), 9 profile (the Breakdown's native/twiggy/CPU part),
//   10 workerd CPU profile (docs/benchmarks-workerd-profile.md), 11 cold breakdown (issue 19)
//   --smoke  tiny N, one round, every lane, no profiling builds; writes to a temporary file unless --out is given
// scripts/bench is the usual entry: it builds pkg/ if missing and passes its local Backend API in BENCH_BAPI.
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync, statSync } from 'node:fs';
import { cpus, totalmem, tmpdir, availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

import { startBapi, admin, jwksRequests, mintTokens } from './lib/bapi.mjs';
import { prepareScratch, bundleWorker } from './lib/scratch.mjs';
import { miniflare, workerDef, timedFetch } from './lib/workerd.mjs';
import { summary, median, rotate } from './lib/stats.mjs';
import { renderReport, writeReport } from './lib/report.mjs';
import { withUnknownKid } from './contenders.js';
import { edgeScaleLane, renderEdgeScale, withEdgeSection, EDGE_PARAMS } from './lib/edge-scale.mjs';
import { workerdProfileLane, PROFILE_PARAMS } from './lib/workerd-profile.mjs';
import { coldBreakdownLane, renderColdBreakdown, withColdBreakdownSection, COLD_PARAMS } from './lib/cold-breakdown.mjs';
import { WASM_OPT_FLAGS } from './lib/build-flags.mjs';

const benches = dirname(fileURLToPath(import.meta.url));
const root = resolve(benches, '..');
const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const flag = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const onlyLanes = flag('--lanes')?.split(',').map(Number);
const out = flag('--out') ?? (smoke ? join(mkdtempSync(join(tmpdir(), 'bench-smoke-')), 'benchmarks.md') : join(root, 'docs/benchmarks.md'));
process.env.WRANGLER_SEND_METRICS = 'false';

const P = smoke
  ? { tokens: 24, node: { n: 20, rounds: 1, concurrentN: 64, inflight: 64, repeatedN: 20, probeN: 8 }, workerd: { n: 20, repeatedN: 20, rounds: 1, probeN: 8 },
      cold: { rounds: 1, copies: 2 }, jwks: { concurrent: 10, flood: 5 }, api: { rounds: 1, calls: 2 }, edge: EDGE_PARAMS.smoke, profile: false }
  : { tokens: 4000, node: { n: 1000, rounds: 7, concurrentN: 3000, inflight: 64, repeatedN: 3000, probeN: 500 }, workerd: { n: 2000, repeatedN: 4000, rounds: 9, probeN: 500 },
      cold: { rounds: 11, copies: 16 }, jwks: { concurrent: 50, flood: 100 }, api: { rounds: 5, calls: 20 }, edge: EDGE_PARAMS.full, profile: true };

const log = (...a) => console.error(`[bench +${((performance.now()) / 1000).toFixed(1)}s]`, ...a);

// ---------------------------------------------------------------------------------------------- set-up
async function waitForPkg() {
  // Another engineer's scripts/build deletes and recreates pkg/: wait for it rather than fail.
  for (let i = 0; i < 120 && !existsSync(join(root, 'pkg/package.json')); i++) {
    if (i === 0) log('pkg/ is incomplete (a build in progress?); waiting');
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (!existsSync(join(root, 'pkg/package.json'))) throw new Error('pkg/ is missing: run scripts/build');
}

let scratch;
let inputSeq = 0;
/** Runs a script of benches/node/ in a fresh Node process; resolves to its RESULT object. */
async function nodeScript(script, input, args = [], timeoutMs = 300_000) {
  const file = join(scratch, `input-${++inputSeq}.json`);
  writeFileSync(file, JSON.stringify(input));
  const child = spawn(process.execPath, [join(scratch, 'node', script), ...args], {
    cwd: scratch, env: { ...process.env, BENCH_INPUT_FILE: file }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(child, 'close');
  clearTimeout(timer);
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`${script} ${args.join(' ')} exited ${code}\n${stdout}\n${stderr}`);
  return JSON.parse(line.slice(7));
}

/** Spawns a Node process and times it from spawn to its RESULT line (process start to first verified token). */
async function timedNodeProcess(script, input, args) {
  const file = join(scratch, `input-cold.json`);
  writeFileSync(file, JSON.stringify(input));
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(scratch, 'node', script), ...args], {
    cwd: scratch, env: { ...process.env, BENCH_INPUT_FILE: file }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  let result;
  for await (const l of lines) {
    if (l.startsWith('RESULT ')) { result = { outer: performance.now() - t0, ...JSON.parse(l.slice(7)) }; break; }
  }
  const [code] = child.exitCode === null ? await once(child, 'close') : [child.exitCode];
  if (!result || code !== 0) throw new Error(`${script} ${args.join(' ')}: exit ${code}, no result`);
  return result;
}

// ---------------------------------------------------------------------------------------------- lanes
const lanes = {};

// 1 + 3 (Node): sequential, 64 in flight, repeated token; plus the Node breakdown rows.
lanes.node = async (S) => {
  const p = P.node;
  return nodeScript('verify-lane.mjs', {
    ctx: S.ctx, tokens: S.tokens,
    params: {
      ...p,
      sequential: ['ours-jwtKey', 'ours-jwks', 'ours-jwtKey-nocache', 'ours-jwks-nocache', 'clerk-jwtKey', 'clerk-jwks', 'jose-spki', 'jose-jwks',
        'floor', 'node-crypto', 'ours-nocrypto', 'ours-nocrypto-nocache', 'jose-nocrypto'],
      concurrent: ['ours-jwtKey', 'ours-jwks', 'ours-jwtKey-nocache', 'ours-jwks-nocache', 'clerk-jwtKey', 'clerk-jwks', 'jose-spki', 'jose-jwks', 'floor'],
      repeated: ['ours-cached', 'clerk-jwtKey', 'jose-spki', 'floor'],
      mixed: ['ours-jwtKey', 'jose-spki', 'clerk-jwtKey', 'floor'],
      boundary: true,
    },
  });
};

// 2 + 3 (workerd): per-verify time from outside: (N verifications − the same loop empty) / N.
lanes.workerd = async (S) => {
  const p = P.workerd;
  const Miniflare = await miniflare(root);
  const bindings = { BENCH_CTX: JSON.stringify(S.ctx), BENCH_TOKENS: JSON.stringify(S.tokens) };
  const names = ['bench-ours', 'bench-clerk', 'bench-jose', 'bench-floor'];
  const mf = new Miniflare({ workers: names.map((n) => workerDef(S.bundles[n], n, bindings)) });
  try {
    const w = {};
    for (const n of names) w[n] = await mf.getWorker(n);
    // Every per-verify row in the default configuration; the `-nocache` rows set `verifiedTokenCacheSize: 0`.
    const sequential = [
      ['ours-jwtKey', 'bench-ours', 'c=ours-jwtKey'], ['ours-jwks', 'bench-ours', 'c=ours-jwks'],
      ['ours-jwtKey-nocache', 'bench-ours', 'c=ours-jwtKey-nocache'], ['ours-jwks-nocache', 'bench-ours', 'c=ours-jwks-nocache'],
      ['clerk-jwtKey', 'bench-clerk', 'c=clerk-jwtKey'], ['clerk-jwks', 'bench-clerk', 'c=clerk-jwks'],
      ['jose-spki', 'bench-jose', 'c=jose-spki'], ['jose-jwks', 'bench-jose', 'c=jose-jwks'], ['floor', 'bench-floor', 'c=floor'],
      ['ours-nocrypto', 'bench-ours', 'c=ours-nocrypto&stub=1'], ['ours-nocrypto-nocache', 'bench-ours', 'c=ours-nocrypto-nocache&stub=1'],
      ['jose-nocrypto', 'bench-jose', 'c=jose-nocrypto&stub=1'],
    ];
    const repeated = [
      ['ours-cached', 'bench-ours', 'c=ours-cached'], ['clerk-jwtKey', 'bench-clerk', 'c=clerk-jwtKey'],
      ['jose-spki', 'bench-jose', 'c=jose-spki'], ['floor', 'bench-floor', 'c=floor'],
    ];
    const mixed = [
      ['ours-jwtKey', 'bench-ours', 'c=ours-jwtKey'], ['jose-spki', 'bench-jose', 'c=jose-spki'],
      ['clerk-jwtKey', 'bench-clerk', 'c=clerk-jwtKey'], ['floor', 'bench-floor', 'c=floor'],
    ];
    const probe = ['ours-probe', 'bench-ours', 'c=ours-probe'];
    for (const [, worker, c] of [...sequential, ...repeated, probe]) await timedFetch(w[worker], `http://bench/?mode=warm&${c.replace('&stub=1', '')}`);
    const result = { sequential: {}, repeated: {}, mixed: {}, probe: { miss: [], hit: [] }, version: [], empty: [], tokens: S.tokens.length };
    const perVerify = async (worker, query, n, offset) => {
      const [empty] = await timedFetch(w[worker], `http://bench/?mode=empty&n=${n}&offset=${offset}`);
      const [run] = await timedFetch(w[worker], `http://bench/?mode=run&${query}&n=${n}&offset=${offset}`);
      return { us: ((run - empty) * 1000) / n, empty };
    };
    // Each contender instance (Worker + `c`) has its own cursor into the tokens that only moves forward, across
    // lanes and rounds: it sees a token again only after tokens.length (> the default cache's 1000) verifications.
    // Token 0 is the repeated token (and each contender's check at creation).
    const cursor = {};
    const take = (worker, query, k) => {
      const key = `${worker}:${/c=([^&]*)/.exec(query)[1]}`;
      const o = (cursor[key] ??= 1);
      cursor[key] = o + k;
      return o;
    };
    for (let round = -1; round < p.rounds; round++) {
      for (const [name, worker, query] of rotate(sequential, round + 1)) {
        const { us, empty } = await perVerify(worker, query, p.n, take(worker, query, p.n));
        if (round >= 0) { (result.sequential[name] ??= []).push(us); result.empty.push(empty); }
      }
      for (const [name, worker, query] of rotate(repeated, round + 1)) {
        const { us } = await perVerify(worker, `${query}&same=1`, p.repeatedN, 0);
        if (round >= 0) (result.repeated[name] ??= []).push(us);
      }
      // The 50/50 mix: the repeated token and a distinct one, alternately (n / 2 distinct tokens per request).
      for (const [name, worker, query] of rotate(mixed, round + 1)) {
        const { us } = await perVerify(worker, `${query}&mix=1`, p.n, take(worker, query, p.n >> 1));
        if (round >= 0) (result.mixed[name] ??= []).push(us);
      }
      // The cache probe: probeN (≤ half the cache) new tokens (misses), then the same ones 4 times over (hits), on a
      // default client of its own.
      const [, pw, pq] = probe;
      const po = take(pw, pq, p.probeN);
      const miss = await perVerify(pw, pq, p.probeN, po);
      const hit = await perVerify(pw, `${pq}&window=${p.probeN}`, 4 * p.probeN, po);
      if (round >= 0) { result.probe.miss.push(miss.us); result.probe.hit.push(hit.us); }
      const m = p.n * 20;
      const [e] = await timedFetch(w['bench-ours'], `http://bench/?mode=sync-empty&n=${m}`);
      const [v] = await timedFetch(w['bench-ours'], `http://bench/?mode=version&n=${m}`);
      if (round >= 0) result.version.push(((v - e) * 1000) / m);
    }
    return result;
  } finally {
    await mf.dispose();
  }
};

// 4: cold start.
lanes.cold = async (S) => {
  const p = P.cold;
  const Miniflare = await miniflare(root);
  const result = { node: {}, workerdFirst: {}, workerdEval: {}, workerdEvalRaw: {} };
  const input = { pem: S.ctx.pem, jwks: S.ctx.jwks, token: S.tokens[1] };
  const nodeKinds = ['bare', 'ours', 'clerk', 'jose'];
  for (let round = 0; round < p.rounds; round++) {
    for (const which of rotate(nodeKinds, round)) {
      const r = await timedNodeProcess('cold.mjs', input, [which]);
      for (const [k, v] of Object.entries(r)) ((result.node[which] ??= {})[k] ??= []).push(v);
    }
  }
  const apps = ['app-empty', 'app-ours', 'app-clerk', 'app-jose'];
  const appBindings = (name) => ({
    CLERK_API_URL: S.ctx.apiUrl, CLERK_SECRET_KEY: S.ctx.secretKey,
    ...(name === 'app-jose' ? { CLERK_JWKS: JSON.stringify(S.ctx.jwks) } : { CLERK_JWT_KEY: S.ctx.pem }),
  });
  const auth = { headers: { authorization: `Bearer ${S.tokens[2]}` } };
  for (let round = 0; round < p.rounds; round++) {
    // A fresh workerd (new Miniflare) to the first verified response.
    for (const name of rotate(apps, round)) {
      const t0 = performance.now();
      const mf = new Miniflare(workerDef(S.bundles[name], name, appBindings(name)));
      try {
        const res = await mf.dispatchFetch('http://localhost/verify', auth);
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${name} first verify: ${res.status} ${body}`);
        (result.workerdFirst[name] ??= []).push(performance.now() - t0);
      } finally {
        await mf.dispose();
      }
    }
    // Global-scope evaluation + WASM compile/instantiation: workerd evaluates every Worker when it starts, so
    // start K copies of one Worker and subtract K copies of the empty Worker; per copy.
    const startK = async (name) => {
      const t0 = performance.now();
      const mf = new Miniflare({ workers: Array.from({ length: p.copies }, (_, i) => workerDef(S.bundles[name], `${name}-${i}`, appBindings(name))) });
      try {
        await mf.ready;
        return performance.now() - t0;
      } finally {
        await mf.dispose();
      }
    };
    const times = {};
    for (const name of rotate(apps, round)) times[name] = await startK(name);
    for (const name of apps) {
      (result.workerdEvalRaw[name] ??= []).push(times[name]);
      if (name !== 'app-empty') (result.workerdEval[name] ??= []).push((times[name] - times['app-empty']) / p.copies);
    }
  }
  return result;
};

// 5: bundle size of the minimal Worker (verify + list + createToken), esbuild minified.
lanes.size = async (S) => {
  const sum = (b, pick = () => true) => b.files.filter(pick).reduce((a, f) => ({ raw: a.raw + f.raw, gzip: a.gzip + f.gzip }), { raw: 0, gzip: 0 });
  const isWasm = (f) => f.name.endsWith('.wasm');
  return {
    ours: { total: sum(S.bundles['app-ours']), js: sum(S.bundles['app-ours'], (f) => !isWasm(f)), wasm: sum(S.bundles['app-ours'], isWasm) },
    clerk: { total: sum(S.bundles['app-clerk']) },
    jose: { total: sum(S.bundles['app-jose']) },
  };
};

// 6: JWKS requests: 50 concurrent cold verifications, and a flood of 100 unknown kids.
lanes.jwks = async (S) => {
  const p = P.jwks;
  const result = { node: {}, workerdOneRequest: {}, workerdRequests: {} };
  for (const which of ['ours', 'clerk']) {
    result.node[which] = await nodeScript('jwks.mjs', { ctx: S.ctx, tokens: S.tokens, concurrent: p.concurrent, flood: p.flood }, [which]);
  }
  const Miniflare = await miniflare(root);
  const bindings = { CLERK_API_URL: S.ctx.apiUrl, CLERK_SECRET_KEY: S.ctx.secretKey };
  const forged = Array.from({ length: p.flood }, (_, i) => withUnknownKid(S.tokens[i % S.tokens.length], i));
  for (const which of ['ours', 'clerk']) {
    const name = `app-${which}`;
    let mf = new Miniflare(workerDef(S.bundles[name], name, bindings));
    try {
      await mf.ready;
      await admin(S.bapi, 'DELETE', '/requests');
      const post = (path, body) => mf.dispatchFetch(`http://localhost${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
      let t0 = performance.now();
      const cold = await post('/verify-many', S.tokens.slice(0, p.concurrent));
      const coldMs = performance.now() - t0;
      const coldJwks = await jwksRequests(S.bapi);
      await admin(S.bapi, 'DELETE', '/requests');
      t0 = performance.now();
      const flood = await post('/verify-seq', forged);
      const floodMs = performance.now() - t0;
      result.workerdOneRequest[which] = { coldJwks, coldOk: cold.ok, coldMs, floodJwks: await jwksRequests(S.bapi), floodRejected: flood.failed, floodMs };
    } finally {
      await mf.dispose();
    }
    // 50 concurrent requests, one verification each, on a fresh isolate (cross-request sharing).
    mf = new Miniflare(workerDef(S.bundles[name], name, bindings));
    try {
      await mf.ready;
      await admin(S.bapi, 'DELETE', '/requests');
      const t0 = performance.now();
      const statuses = await Promise.all(S.tokens.slice(0, p.concurrent).map((t) =>
        mf.dispatchFetch('http://localhost/verify', { headers: { authorization: `Bearer ${t}` } }).then(async (r) => (await r.text(), r.status))));
      result.workerdRequests[which] = { coldJwks: await jwksRequests(S.bapi), coldOk: statuses.filter((s) => s === 200).length, coldMs: performance.now() - t0 };
    } finally {
      await mf.dispose();
    }
  }
  return result;
};

// 7: list / createToken round trips against the local Backend API.
lanes.api = async (S) => nodeScript('api.mjs', { ctx: { ...S.ctx, machines: S.bapi.machines }, params: P.api });

// 8: edge scale (issue 18): K new isolates of one Worker sharing a colo's cache; benches/lib/edge-scale.mjs.
lanes.edge = async (S) => edgeScaleLane({ ...S, root, scratch, log }, P.edge);

// 10: CPU profile of the workerd hot loop (issue 19) via miniflare's inspectorPort; writes docs/benchmarks-workerd-profile.md.
lanes.workerdProfile = async (S) => workerdProfileLane({ ...S, root, scratch, log }, smoke ? PROFILE_PARAMS.smoke : PROFILE_PARAMS.full);

// 11: cold breakdown (issue 19, target 2): new isolate to first verified response over an empty Worker, taken apart.
lanes.coldBreakdown = async (S) => coldBreakdownLane({ ...S, root, scratch, log }, smoke ? COLD_PARAMS.smoke : COLD_PARAMS.full);

// Profile (full runs only): native timing of the core with the RSA check stubbed, and twiggy on a named build.
lanes.profile = async (S) => {
  if (!P.profile) return { skipped: 'smoke run' };
  const result = {};
  try {
    const dir = join(benches, 'core-timing');
    copyFileSync(join(root, 'Cargo.lock'), join(dir, 'Cargo.lock'));
    const build = (extra) => execFileSync('cargo', ['build', '-q', '--profile', 'size', ...extra], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    try { build(['--offline']); } catch { build([]); }
    writeFileSync(join(scratch, 'token.txt'), S.tokens[3]);
    writeFileSync(join(scratch, 'key.pem'), S.ctx.pem);
    const line = execFileSync(join(dir, 'target/size/core-timing'), [join(scratch, 'token.txt'), join(scratch, 'key.pem'), '5000'], { encoding: 'utf8' });
    result.native = JSON.parse(line);
  } catch (e) {
    result.nativeError = String(e.stderr ?? e.message).slice(0, 2000);
  }
  try {
    result.twiggy = twiggyByCrate();
  } catch (e) {
    result.twiggyError = String(e.stderr ?? e.message).slice(0, 2000);
  }
  if (result.twiggy) {
    try {
      result.cpu = await nodeScript('profile.mjs', { ctx: S.ctx, tokens: S.tokens, entry: namedPackage(), n: 4000 });
    } catch (e) {
      result.cpuError = String(e.message).slice(0, 2000);
    }
  }
  return result;
};

/** The shipped wasm rebuilt with its names kept (wasm-opt at the shipped level, -g), measured with `twiggy top`, grouped by crate. */
function twiggyByCrate() {
  const src = join(root, 'target/wasm32-unknown-unknown/release/clerk_m2m_edge.wasm');
  const dir = join(scratch, 'named');
  mkdirSync(dir, { recursive: true });
  copyFileSync(src, join(dir, 'clerk_m2m_edge.wasm'));
  const env = { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
  const run = (cmd, args) => execFileSync(cmd, args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  run('wasm-bindgen', ['--target', 'web', '--no-typescript', '--out-dir', dir, join(dir, 'clerk_m2m_edge.wasm')]);
  run('wasm-opt', [...WASM_OPT_FLAGS, '-g', '--strip-producers', 'clerk_m2m_edge_bg.wasm', '-o', 'named.wasm']);
  run('wasm-opt', ['--strip-debug', 'named.wasm', '-o', 'stripped.wasm']); // names dropped, code as optimised
  const items = JSON.parse(run('twiggy', ['top', '-n', '100000', '--format', 'json', 'named.wasm']));
  const groups = {};
  let named = 0, total = 0;
  const top = [];
  for (const it of items) {
    const name = it.name;
    if (/subsection$/.test(name) || name.startsWith('Σ') || name.startsWith('...')) continue;
    const bytes = it.shallow_size;
    total += bytes;
    const crate = crateOf(name);
    groups[crate] = (groups[crate] ?? 0) + bytes;
    if (top.length < 25) top.push({ name: name.replace(/::h[0-9a-f]{16}$/, ''), bytes, crate });
    named += bytes;
  }
  return {
    source: `target/wasm32-unknown-unknown/release/clerk_m2m_edge.wasm → wasm-bindgen → wasm-opt ${WASM_OPT_FLAGS.join(' ')} -g`,
    strippedBytes: statSync(join(dir, 'stripped.wasm')).size,
    shippedBytes: statSync(join(root, 'pkg/web/clerk_m2m_edge_bg.wasm')).size,
    codeAndDataBytes: total,
    byCrate: Object.entries(groups).sort((a, b) => b[1] - a[1]).map(([crate, bytes]) => ({ crate, bytes })),
    top,
  };
}

/** The installed package with its .wasm swapped for the named build (for the CPU profile); returns its entry. */
function namedPackage() {
  const dir = join(scratch, 'named');
  const pkgDir = join(dir, 'pkg');
  mkdirSync(join(pkgDir, 'web'), { recursive: true });
  const installed = join(scratch, 'node_modules/clerk-m2m-edge');
  for (const f of ['api.js', 'machines.js', 'constants.js', 'runtime.js', 'lift.js', 'errors.js']) copyFileSync(join(installed, f), join(pkgDir, f));
  copyFileSync(join(dir, 'clerk_m2m_edge.js'), join(pkgDir, 'web/clerk_m2m_edge.js'));
  copyFileSync(join(dir, 'named.wasm'), join(pkgDir, 'web/named.wasm'));
  writeFileSync(join(pkgDir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(pkgDir, 'entry.mjs'), [
    "import { readFileSync } from 'node:fs';",
    "import * as glue from './web/clerk_m2m_edge.js';",
    "import { install } from './runtime.js';",
    "glue.initSync({ module: readFileSync(new URL('./web/named.wasm', import.meta.url)) });",
    'install(glue);',
    "export * from './api.js';",
  ].join('\n'));
  return join(pkgDir, 'entry.mjs');
}

/** The crate an item of twiggy's output belongs to (by its demangled path; data and glue get their own groups). */
export function crateOf(name) {
  if (name.startsWith('data segment') || name.startsWith('data[')) return '(data segments: strings, tables)';
  if (name.startsWith('custom section')) return '(custom sections)';
  if (/^code\[\d+\]$/.test(name)) return '(unnamed functions)';
  if (/shim|^__wbg|^__wbindgen|^wasm_bindgen::|externref|^closure\d|^table\[|^elem\[|^global\[|^type\[|^import |^export /.test(name)) return '(wasm-bindgen glue, imports, exports, tables)';
  const std = (c) => (['alloc', 'core', 'std', 'dlmalloc', '__rustc', 'compiler_builtins'].includes(c) ? `${c === '__rustc' ? 'std' : c} (Rust std library)` : c);
  if (/^(memcmp|memcpy|memmove|memset|__multi3|__udivti3|__divti3|__ashlti3|__lshrti3)$/.test(name)) return 'compiler_builtins (Rust std library)';
  const lead = /^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9a-f]+\])?::/;
  // `<A as B>::f`: A's crate when A is a path, else (a generic or primitive A) B's crate; `<prim>::f` is core.
  const qualified = /^<(.+?) as (.+?)>::/.exec(name) ?? /^<(.+?)>::/.exec(name);
  if (qualified) {
    for (const part of qualified.slice(1).filter(Boolean)) {
      const m = lead.exec(part.replace(/^&(mut )?|^dyn |^\[|^\(/g, ''));
      if (m) return std(m[1]);
    }
    return 'core (Rust std library)';
  }
  const m = lead.exec(name);
  return m ? std(m[1]) : '(other)';
}

// ---------------------------------------------------------------------------------------------- environment
function environment() {
  const v = (pkg) => { try { return JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version; } catch { return '?'; } };
  const sh = (cmd, args) => { try { return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return '?'; } };
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const wasm = readFileSync(join(root, 'pkg/web/clerk_m2m_edge_bg.wasm'));
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? '?',
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    node: process.version,
    workerd: sh(join(root, 'node_modules/.bin/workerd'), ['--version']),
    versions: {
      'clerk-m2m-edge': JSON.parse(readFileSync(join(root, 'pkg/package.json'), 'utf8')).version,
      '@clerk/backend': v('@clerk/backend'), jose: v('jose'), miniflare: v('miniflare'), wrangler: v('wrangler'), esbuild: v('esbuild'),
      workerd: v('workerd'),
    },
    git: `${sh('git', ['rev-parse', '--short', 'HEAD'])}${sh('git', ['status', '--porcelain', '--', 'src', 'crates', 'js', 'Cargo.toml', 'Cargo.lock']) ? ' (uncommitted changes in src/crates/js)' : ''}`,
    wasm: { bytes: wasm.length, sha256: createHash('sha256').update(wasm).digest('hex').slice(0, 16), built: statSync(join(root, 'pkg/web/clerk_m2m_edge_bg.wasm')).mtime.toISOString() },
    rustc: sh('rustc', ['--version']),
  };
}

// ---------------------------------------------------------------------------------------------- main
async function main() {
  await waitForPkg();
  const started = performance.now();
  const bapi = await startBapi(root);
  const results = {}, errors = {};
  try {
    const env = environment();
    log(`local BAPI at ${bapi.url}; preparing scratch`);
    // The smoke run has its own scratch directory, so the test can run while a full bench does.
    scratch = prepareScratch(root, benches, smoke ? 'scratch-smoke' : 'scratch');
    const keys = await admin(bapi, 'GET', '/keys');
    const jwks = await (await fetch(`${bapi.url}/v1/jwks`, { headers: { authorization: `Bearer ${bapi.secretKey}` } })).json();
    const ctx = { pem: keys.current.pem, jwks, apiUrl: bapi.url, secretKey: bapi.secretKey };
    const tokens = await mintTokens(bapi, P.tokens);
    const bundles = {};
    for (const entry of ['bench-ours', 'bench-clerk', 'bench-jose', 'bench-floor', 'app-ours', 'app-clerk', 'app-jose', 'app-empty']) {
      bundles[entry] = await bundleWorker(root, scratch, `${entry}.js`);
    }
    const S = { bapi, ctx, tokens, bundles };
    const tokenInfo = { bytes: tokens[0].length, count: tokens.length };
    log(`${tokens.length} tokens of ~${tokenInfo.bytes} bytes; bundles ready`);
    const plan = [['node', 1], ['workerd', 2], ['cold', 4], ['size', 5], ['jwks', 6], ['api', 7], ['edge', 8], ['profile', 9], ['workerdProfile', 10], ['coldBreakdown', 11]];
    for (const [name, number] of plan) {
      if (onlyLanes && !onlyLanes.includes(number) && !(number === 1 && onlyLanes.includes(3)) && !(number === 2 && onlyLanes.includes(3))) continue;
      const t0 = performance.now();
      try {
        results[name] = await lanes[name](S);
      } catch (e) {
        errors[name] = String(e?.stack ?? e);
        console.error(`lane ${name} FAILED:\n${errors[name]}`);
      }
      log(`lane ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const report = withEdgeSection(renderReport({ env, P, smoke, tokenInfo, results, errors, elapsedS: (performance.now() - started) / 1000 }),
      renderEdgeScale(results.edge, errors.edge));
    const fullReport = onlyLanes && !onlyLanes.includes(11) ? report : withColdBreakdownSection(report, renderColdBreakdown(results.coldBreakdown, errors.coldBreakdown));
    writeReport(out, fullReport);
    // The raw numbers of the last run, for digging further (not committed).
    writeFileSync(join(scratch, 'results.json'), JSON.stringify({ env, P, tokenInfo, results, errors }, null, 1));
    log(`wrote ${out}`);
    console.log(`bench: wrote ${out}; ${Object.keys(errors).length} lane(s) failed`);
  } finally {
    await bapi.stop();
  }
  process.exitCode = Object.keys(errors).length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
