// A/B of two builds of the package (e.g. before and after a boundary change), interleaved in one run, in Node and
// in workerd, in the configuration users get (`secretKey`: keys from the instance JWKS, default caches):
//   hit            m2m.verify of one token again and again (a verified-token cache hit)
//   miss           m2m.verify of 2000 distinct tokens with verifiedTokenCacheSize: 0 (every check runs, and the
//                  result is built, each time)
//   distinct       the same 2000 tokens with the default client: more than its verified-token cache holds (1000),
//                  so every verification is a miss that evicts an entry
//   authenticate   authenticateRequest of one token's Request again and again (a request state built per call)
// Each package is packed and installed as users get it (benches/lib/scratch.mjs); Workers are bundled as wrangler
// does. Prints median µs per operation over the rounds, and the .wasm sizes.
//
// Usage: [AB_MODES=hit,miss,authenticate] node benches/experiments/ab-packages.mjs <pkgDirA> <pkgDirB> [rounds=7]
// (starts scripts/local-bapi, or uses BENCH_BAPI's start-up line)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startBapi, mintTokens } from '../lib/bapi.mjs';
import { miniflare, workerDef, timedFetch } from '../lib/workerd.mjs';
import { median } from '../lib/stats.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const isChild = process.argv[2] === '--child';
const [dirA, dirB] = isChild ? [] : process.argv.slice(2, 4).map((d) => resolve(d));
const rounds = Number(process.argv[4] ?? 7);
if (!isChild && (!dirA || !dirB)) throw new Error('usage: ab-packages.mjs <pkgDirA> <pkgDirB> [rounds]');
const N = { hit: 40000, miss: 4000, distinct: 4000, authenticate: 10000 };
// AB_MODES=hit,authenticate runs only those.
for (const mode of Object.keys(N)) if (process.env.AB_MODES && !process.env.AB_MODES.split(',').includes(mode)) delete N[mode];

/** The workload, as a module source: the same text runs in Node (imported) and in the Worker (bundled). */
const WORKLOAD = `
import { createClerkClient } from 'clerk-m2m-edge';
let state;
let next = 0;
export async function setup(ctx, tokens) {
  const client = createClerkClient({ secretKey: ctx.secretKey, apiUrl: ctx.apiUrl });
  const noCache = createClerkClient({ secretKey: ctx.secretKey, apiUrl: ctx.apiUrl, verifiedTokenCacheSize: 0 });
  const request = new Request('https://api.example.com/', { headers: { authorization: 'Bearer ' + tokens[0] } });
  await client.m2m.verify({ token: tokens[0] });
  await noCache.m2m.verify({ token: tokens[0] });
  const s = await client.authenticateRequest(request, { acceptsToken: 'm2m_token' });
  if (!s.isAuthenticated) throw new Error('not authenticated: ' + s.reason);
  state = { client, noCache, request, tokens };
}
export async function run(mode, n) {
  const { client, noCache, request, tokens } = state;
  if (mode === 'hit') for (let i = 0; i < n; i++) await client.m2m.verify({ token: tokens[0] });
  else if (mode === 'miss') for (let i = 0; i < n; i++) await noCache.m2m.verify({ token: tokens[i % tokens.length] });
  else if (mode === 'distinct') for (let i = 0; i < n; i++) await client.m2m.verify({ token: tokens[next++ % tokens.length] });
  else if (mode === 'authenticate') for (let i = 0; i < n; i++) await client.authenticateRequest(request, { acceptsToken: 'm2m_token' });
  else if (mode === 'empty') for (let i = 0; i < n; i++) await null;
  else throw new Error('unknown mode ' + mode);
}
`;

const WORKER = `
import { setup, run } from './workload.js';
let ready;
export default {
  async fetch(request, env) {
    ready ??= setup(JSON.parse(env.CTX), JSON.parse(env.TOKENS));
    await ready;
    const q = new URL(request.url).searchParams;
    await run(q.get('mode'), Number(q.get('n')));
    return new Response('ok');
  },
};
`;

function install(name, pkgDir) {
  const dir = join(root, 'benches', `scratch-ab-${name}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', pkgDir, '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `ab-${name}`, private: true, type: 'module', dependencies: { 'clerk-m2m-edge': `file:./${tgz}` } }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', '--offline'], { cwd: dir, stdio: 'inherit' });
  writeFileSync(join(dir, 'workload.js'), WORKLOAD);
  writeFileSync(join(dir, 'worker.js'), WORKER);
  return dir;
}

async function bundle(dir) {
  const esbuild = await import(join(root, 'node_modules/esbuild/lib/main.js'));
  const outdir = join(dir, 'dist');
  await esbuild.build({
    entryPoints: [join(dir, 'worker.js')], outdir, bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'], mainFields: ['browser', 'module', 'main'], loader: { '.wasm': 'copy' },
    external: ['node:*', 'cloudflare:*'], minify: true, legalComments: 'none', logLevel: 'error',
  });
  return { dir: outdir, main: join(outdir, 'worker.js') };
}

const wasmSize = (pkgDir) => {
  const bytes = readFileSync(join(pkgDir, 'web/clerk_m2m_edge_bg.wasm'));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};

/** One round of one package in this process: Node and workerd, every mode, after a warm-up pass. */
async function child(name, ctx, tokens) {
  const dir = join(root, 'benches', `scratch-ab-${name}`);
  const node = await import(join(dir, 'node-workload.mjs'));
  await node.setup(ctx, tokens);
  const Miniflare = await miniflare(root);
  const bindings = { CTX: JSON.stringify(ctx), TOKENS: JSON.stringify(tokens) };
  const mf = new Miniflare(workerDef({ dir: join(dir, 'dist'), main: join(dir, 'dist', 'worker.js') }, `ab-${name}`, bindings));
  const out = {};
  try {
    const worker = await mf.getWorker(`ab-${name}`);
    for (let pass = 0; pass < 2; pass++) {
      for (const [mode, n] of Object.entries(N)) {
        const t0 = performance.now();
        await node.run(mode, n);
        const t1 = performance.now();
        await node.run('empty', n);
        const empty = performance.now() - t1;
        const [e] = await timedFetch(worker, `http://ab/?mode=empty&n=${n}`);
        const [r] = await timedFetch(worker, `http://ab/?mode=${mode}&n=${n}`);
        if (pass === 1) {
          out[`Node ${mode}`] = ((t1 - t0 - empty) * 1000) / n;
          out[`workerd ${mode}`] = ((r - e) * 1000) / n;
        }
      }
    }
  } finally {
    await mf.dispose();
  }
  return out;
}

if (process.argv[2] === '--child') {
  const { name, ctx, tokens } = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  process.stdout.write(JSON.stringify(await child(name, ctx, tokens)));
  process.exit(0);
}

const bapi = await startBapi(root);
try {
  const ctx = { secretKey: bapi.secretKey, apiUrl: bapi.url };
  const tokens = await mintTokens(bapi, 2000);
  const packages = { A: dirA, B: dirB };
  for (const [name, pkgDir] of Object.entries(packages)) {
    const dir = install(name, pkgDir);
    cpSync(join(dir, 'workload.js'), join(dir, 'node-workload.mjs'));
    await bundle(dir);
  }
  // Each round runs each package in a process of its own (its own Node and workerd), alternating which goes
  // first: two packages in one process measured each other's garbage and JIT state (an A/A run differed by 35 %).
  const results = {};
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
      const input = join(root, 'benches', `scratch-ab-${name}`, 'input.json');
      writeFileSync(input, JSON.stringify({ name, ctx, tokens }));
      const text = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', input], { encoding: 'utf8', maxBuffer: 1 << 24 });
      for (const [row, us] of Object.entries(JSON.parse(text))) (results[row] ??= { A: [], B: [] })[name].push(us);
    }
  }
  const sizes = { A: wasmSize(dirA), B: wasmSize(dirB) };
  console.log(`A = ${dirA}\nB = ${dirB}\n${rounds} rounds, median µs per operation (B ÷ A)`);
  console.log(`| | A | B | B ÷ A |\n|---|---:|---:|---:|`);
  console.log(`| .wasm raw (bytes) | ${sizes.A.raw} | ${sizes.B.raw} | ${(sizes.B.raw / sizes.A.raw).toFixed(3)} |`);
  console.log(`| .wasm gzip -9 (bytes) | ${sizes.A.gzip} | ${sizes.B.gzip} | ${(sizes.B.gzip / sizes.A.gzip).toFixed(3)} |`);
  for (const [row, { A, B }] of Object.entries(results)) {
    const a = median(A), b = median(B);
    console.log(`| ${row} (µs) | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b / a).toFixed(2)} |`);
  }
} finally {
  await bapi.stop();
}
