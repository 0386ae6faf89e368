#!/usr/bin/env node
// Experiment (not part of scripts/bench): what the wasm's optimisation level costs in size and buys in time.
// Builds the package's wasm with other opt-levels (Cargo profile override by environment; no source change) into
// benches/scratch/exp-target, runs wasm-bindgen + the matching wasm-opt level, and times each build's verification
// with subtle.verify stubbed (everything but RSA) and for real, against the floor, interleaved, in one Node process.
// Needs a prior `scripts/bench` (for benches/scratch) and a running local Backend API in BENCH_BAPI.
//   node benches/experiments/opt-level.mjs [levels...]   (default: s 3)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { mintTokens } from '../lib/bapi.mjs';
import { floorVerifier } from '../contenders.js';
import { median } from '../lib/stats.mjs';

const benches = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(benches, '..');
const scratch = join(benches, 'scratch');
const levels = process.argv.slice(2).length ? process.argv.slice(2) : ['s', '3'];
const env = { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
const sh = (cmd, args, extra = {}) => execFileSync(cmd, args, { cwd: root, env: { ...env, ...extra }, stdio: ['ignore', 'inherit', 'inherit'] });

/** A copy of the installed package's JS with `wasm` as its module: returns the entry to import. */
function variantPackage(name, glue, wasm) {
  const dir = join(scratch, 'exp', name);
  mkdirSync(join(dir, 'web'), { recursive: true });
  const installed = join(scratch, 'node_modules/clerk-m2m-edge');
  for (const f of ['api.js', 'machines.js', 'constants.js', 'runtime.js', 'lift.js', 'errors.js']) copyFileSync(join(installed, f), join(dir, f));
  copyFileSync(glue, join(dir, 'web/glue.js'));
  copyFileSync(wasm, join(dir, 'web/module.wasm'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(dir, 'entry.mjs'), `import { readFileSync } from 'node:fs';\nimport * as glue from './web/glue.js';\nimport { install } from './runtime.js';\nglue.initSync({ module: readFileSync(new URL('./web/module.wasm', import.meta.url)) });\ninstall(glue);\nexport * from './api.js';\n`);
  return join(dir, 'entry.mjs');
}

const variants = { 'z (shipped), wasm-opt -Oz': variantPackage('z', join(scratch, 'node_modules/clerk-m2m-edge/web/clerk_m2m_edge.js'), join(scratch, 'node_modules/clerk-m2m-edge/web/clerk_m2m_edge_bg.wasm')) };
for (const level of levels) {
  const target = join(scratch, 'exp-target');
  console.error(`building opt-level ${level}…`);
  sh('cargo', ['build', '-q', '--release', '--target', 'wasm32-unknown-unknown', '-p', 'clerk-m2m-edge'], { CARGO_TARGET_DIR: target, CARGO_PROFILE_RELEASE_OPT_LEVEL: level });
  const out = join(scratch, 'exp', `bindgen-${level}`);
  mkdirSync(out, { recursive: true });
  copyFileSync(join(target, 'wasm32-unknown-unknown/release/clerk_m2m_edge.wasm'), join(out, 'clerk_m2m_edge.wasm'));
  sh('wasm-bindgen', ['--target', 'web', '--no-typescript', '--out-dir', out, join(out, 'clerk_m2m_edge.wasm')]);
  const flag = level === 's' ? '-Os' : level === 'z' ? '-Oz' : `-O${level}`;
  sh('wasm-opt', [flag, '--strip-debug', '--strip-producers', join(out, 'clerk_m2m_edge_bg.wasm'), '-o', join(out, 'opt.wasm')]);
  variants[`${level}, wasm-opt ${flag}`] = variantPackage(level, join(out, 'clerk_m2m_edge.js'), join(out, 'opt.wasm'));
}

const ctx = JSON.parse(process.env.BENCH_BAPI);
const keys = await (await fetch(`${ctx.url}/__admin/keys`)).json();
const jwks = await (await fetch(`${ctx.url}/v1/jwks`, { headers: { authorization: `Bearer ${ctx.secretKey}` } })).json();
const tokens = await mintTokens(ctx, 64);
const libs = {};
for (const [name, entry] of Object.entries(variants)) libs[name] = await import(entry);
const floor = await floorVerifier({ jwks });
const stub = () => Object.defineProperty(crypto.subtle, 'verify', { value: () => Promise.resolve(true), configurable: true });
const n = 2000;
const time = async (fn) => { const t0 = performance.now(); for (let i = 0; i < n; i++) await fn(tokens[i % tokens.length]); return ((performance.now() - t0) * 1000) / n; };
const rows = {};
for (let round = -1; round < 7; round++) {
  const f = await time(floor);
  if (round >= 0) (rows.floor ??= []).push(f);
  for (const [name, lib] of Object.entries(libs)) {
    const c = lib.createClerkClient({ jwtKey: keys.current.pem, verifiedTokenCacheSize: 0 });
    const v = (token) => c.m2m.verify({ token });
    const real = await time(v);
    stub();
    const stubbed = await time(v);
    delete crypto.subtle.verify;
    if (round >= 0) { (rows[`${name}|real`] ??= []).push(real); (rows[`${name}|stubbed`] ??= []).push(stubbed); }
  }
}
console.log('| build | .wasm raw | .wasm gzip | stubbed µs/verify | real µs/verify | real ÷ floor |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, entry] of Object.entries(variants)) {
  const bytes = readFileSync(join(dirname(entry), 'web/module.wasm'));
  const ratio = median(rows[`${name}|real`].map((x, i) => x / rows.floor[i]));
  console.log(`| ${name} | ${bytes.length} | ${gzipSync(bytes, { level: 9 }).length} | ${median(rows[`${name}|stubbed`]).toFixed(1)} | ${median(rows[`${name}|real`]).toFixed(1)} | ${ratio.toFixed(2)}× |`);
}
console.log(`floor: ${median(rows.floor).toFixed(1)} µs/verify; ${n} verifications × 7 rounds, interleaved`);
