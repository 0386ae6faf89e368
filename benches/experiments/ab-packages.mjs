// A/B of two builds of the package (e.g. before and after a boundary change), interleaved in one run, in Node and
// in workerd, in the configuration users get (`secretKey`: keys from the instance JWKS, default caches):
//   hit            m2m.verify of one token again and again (a verified-token cache hit)
//   miss           m2m.verify of 256 distinct tokens with verifiedTokenCacheSize: 0 (every check runs, and the
//                  result is built, each time)
//   authenticate   authenticateRequest of one token's Request again and again (a request state built per call)
// Each package is packed and installed as users get it (benches/lib/scratch.mjs); Workers are bundled as wrangler
// does. Prints median µs per operation over the rounds, and the .wasm sizes.
//
// Usage: node benches/experiments/ab-packages.mjs <pkgDirA> <pkgDirB> [rounds=7]   (scripts/local-bapi is started)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startBapi, mintTokens } from '../lib/bapi.mjs';
import { miniflare, workerDef, timedFetch } from '../lib/workerd.mjs';
import { median } from '../lib/stats.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [dirA, dirB] = process.argv.slice(2, 4).map((d) => resolve(d));
const rounds = Number(process.argv[4] ?? 7);
if (!dirA || !dirB) throw new Error('usage: ab-packages.mjs <pkgDirA> <pkgDirB> [rounds]');
const N = { hit: 4000, miss: 1000, authenticate: 3000 };

/** The workload, as a module source: the same text runs in Node (imported) and in the Worker (bundled). */
const WORKLOAD = `
import { createClerkClient } from 'clerk-m2m-edge';
let state;
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

const bapi = await startBapi(root);
try {
  const ctx = { secretKey: bapi.secretKey, apiUrl: bapi.url };
  const tokens = await mintTokens(bapi, 256);
  const packages = { A: dirA, B: dirB };
  const node = {};
  const workers = [];
  for (const [name, pkgDir] of Object.entries(packages)) {
    const dir = install(name, pkgDir);
    cpSync(join(dir, 'workload.js'), join(dir, 'node-workload.mjs'));
    node[name] = await import(join(dir, 'node-workload.mjs'));
    await node[name].setup(ctx, tokens);
    workers.push({ name, bundle: await bundle(dir) });
  }
  const Miniflare = await miniflare(root);
  const bindings = { CTX: JSON.stringify(ctx), TOKENS: JSON.stringify(tokens) };
  const mf = new Miniflare({ workers: workers.map((w) => workerDef(w.bundle, `ab-${w.name}`, bindings)) });
  const results = {};
  const note = (runtime, name, mode, us) => ((results[`${runtime} ${mode}`] ??= { A: [], B: [] })[name].push(us));
  try {
    const fetchers = {};
    for (const w of workers) {
      fetchers[w.name] = await mf.getWorker(`ab-${w.name}`);
      await timedFetch(fetchers[w.name], 'http://ab/?mode=empty&n=1');
    }
    for (let round = -1; round < rounds; round++) {
      const order = round % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
      for (const mode of Object.keys(N)) {
        for (const name of order) {
          const n = N[mode];
          const t0 = performance.now();
          await node[name].run(mode, n);
          const t1 = performance.now();
          await node[name].run('empty', n);
          const empty = performance.now() - t1;
          if (round >= 0) note('Node', name, mode, ((t1 - t0 - empty) * 1000) / n);
          const [e] = await timedFetch(fetchers[name], `http://ab/?mode=empty&n=${n}`);
          const [r] = await timedFetch(fetchers[name], `http://ab/?mode=${mode}&n=${n}`);
          if (round >= 0) note('workerd', name, mode, ((r - e) * 1000) / n);
        }
      }
    }
  } finally {
    await mf.dispose();
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
