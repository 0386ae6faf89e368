#!/usr/bin/env node
// Runs the runtime suites against the packed npm package in Node ESM, Node CJS, Deno, Bun, workerd (miniflare)
// and headless Chromium. Usage: node tests/runtime/lanes.mjs [lane ...]. A lane that runs zero tests fails.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const bin = (name) => join(root, 'node_modules/.bin', name);
const scratch = join(here, 'scratch');
const context = process.env.CLERK_TEST_CONTEXT ?? '{}';
const only = process.argv.slice(2);

function prepareScratch() {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const tgz = execFileSync('npm', ['pack', join(root, 'pkg'), '--pack-destination', scratch, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop();
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'lane-scratch', private: true, type: 'module', dependencies: { 'clerk-m2m-edge': `file:./${tgz}` } }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], { cwd: scratch, stdio: 'inherit' });
  for (const f of readdirSync(here)) if (f.endsWith('.js')) cpSync(join(here, f), join(scratch, f));
  cpSync(join(here, 'runners'), scratch, { recursive: true });
}

function run(cmd, args, opts = {}) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd: scratch, env: { ...process.env, CLERK_TEST_CONTEXT: context }, ...opts });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => { clearTimeout(timer); resolvePromise({ code, out, err }); });
  });
}

function parseResults({ code, out, err }) {
  const line = out.split('\n').find((l) => l.startsWith('RESULTS '));
  if (!line) throw new Error(`no RESULTS line (exit ${code})\n${out}\n${err}`);
  return JSON.parse(line.slice('RESULTS '.length));
}

const lanes = {
  'node-esm': async () => parseResults(await run('node', ['node-esm.mjs'])),
  'node-cjs': async () => parseResults(await run('node', ['node-cjs.cjs'])),
  deno: async () => parseResults(await run(bin('deno'), ['run', '--quiet', '--allow-read', '--allow-env', '--allow-net=127.0.0.1,localhost', 'deno.js'])),
  bun: async () => parseResults(await run(bin('bun'), ['run', 'bun.js'])),
  workerd: async () => {
    writeFileSync(join(scratch, 'wrangler.toml'), 'name = "lane"\nmain = "worker.js"\ncompatibility_date = "2026-04-01"\n');
    const build = await run(bin('wrangler'), ['deploy', '--dry-run', '--outdir', 'worker-dist'], { env: { ...process.env, WRANGLER_LOG: 'error', WRANGLER_SEND_METRICS: 'false' } });
    if (build.code !== 0) throw new Error(`wrangler bundle failed\n${build.out}\n${build.err}`);
    const { Miniflare } = await import(join(root, 'node_modules/miniflare/dist/src/index.js'));
    const mf = new Miniflare({
      modules: true,
      scriptPath: join(scratch, 'worker-dist/worker.js'),
      modulesRoot: join(scratch, 'worker-dist'),
      modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
      compatibilityDate: '2026-04-01',
      bindings: { CLERK_TEST_CONTEXT: context },
    });
    try {
      const res = await mf.dispatchFetch('http://localhost/');
      const text = await res.text();
      if (res.status !== 200) throw new Error(`worker answered ${res.status}: ${text}`);
      return JSON.parse(text);
    } finally {
      await mf.dispose();
    }
  },
  chromium: async () => {
    const { chromium } = await import(join(root, 'node_modules/playwright-core/index.mjs'));
    const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm', '.json': 'application/json' };
    const server = createServer((req, res) => {
      const path = join(scratch, decodeURIComponent(new URL(req.url, 'http://x').pathname));
      if (!path.startsWith(scratch) || !existsSync(path)) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs() });
    try {
      const page = await browser.newPage();
      const logs = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(`http://127.0.0.1:${server.address().port}/browser.html?ctx=${encodeURIComponent(context)}`);
      await page.waitForFunction(() => window.__results !== undefined, null, { timeout: 60_000 }).catch(() => {
        throw new Error(`page did not start the suites\n${logs.join('\n')}`);
      });
      return await page.evaluate(() => window.__results);
    } finally {
      await browser.close();
      server.close();
    }
  },
};

export function chromiumArgs() {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
}

if (!existsSync(join(root, 'pkg/package.json'))) {
  console.error('lanes: pkg/ is missing; run scripts/build first');
  process.exit(2);
}
prepareScratch();
let passed = 0, failed = 0;
for (const [name, lane] of Object.entries(lanes)) {
  if (only.length && !only.includes(name)) continue;
  let results;
  try {
    results = await lane();
  } catch (e) {
    results = [{ name: `${name} lane`, ok: false, error: String(e?.stack ?? e) }];
  }
  const ok = results.filter((r) => r.ok).length;
  let bad = results.length - ok;
  for (const r of results.filter((x) => !x.ok)) console.log(`  FAIL [${name}] ${r.name}\n${r.error.replace(/^/gm, '      ')}`);
  if (results.length === 0) { bad = 1; console.log(`  FAIL [${name}] ran zero tests`); }
  console.log(`lane ${name}: ${ok} passed, ${bad} failed`);
  passed += ok; failed += bad;
}
console.log(`runtime lanes: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
