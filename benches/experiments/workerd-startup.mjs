// Where a Worker's start-up goes in workerd (the analysis in docs/benchmarks.md, "Start-up"). Starts K copies of
// each variant in one Miniflare, as the bench's cold-start lane does, and reports (t(K × variant) − t(K × empty)) / K.
// Variants: the package's .wasm imported and never instantiated (workerd compiles every .wasm module at start-up),
// an 8-byte .wasm (the cost of a module, not of its code), the wasm-bindgen glue imported but not run, the glue's
// initSync (compile + instantiate), the bench's minimal Worker when scripts/bench has bundled it, and Workers of
// dead JS functions (14 KB and 56 KB) for the cost of JS by amount of code.
//
// Usage: node benches/experiments/workerd-startup.mjs [copies=40] [rounds=9]   (after scripts/build; scripts/bench
// first for the minimal-Worker row). Lane 11 (benches/lib/cold-breakdown.mjs) calls measureStartup() with its own
// bundles as extra variants.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { COMPATIBILITY_DATE, miniflare } from '../lib/workerd.mjs';

const deadCode = (n) => `const dead = {\n${Array.from({ length: n }, (_, i) =>
  `f${i}(a, b) { let s = 0; for (let i = 0; i < a.length; i++) { s += a.charCodeAt(i) * b + ${i}; if (s > 1e9) s %= ${i + 7}; } return s.toString(16) + 'x${i}'; },`).join('\n')}\n};\n`;
const respond = (what) => `export default { fetch: () => new Response(String(${what})) };\n`;
export const VARIANTS = {
  empty: { 'w.js': respond('1') },
  'tiny .wasm, imported': { 'w.js': `import m from './t.wasm';\n${respond('!!m')}`, 't.wasm': Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0]) },
  'package .wasm, imported (compiled, not instantiated)': { 'w.js': `import m from './m.wasm';\n${respond('!!m')}`, 'm.wasm': 'pkg' },
  '+ glue imported, not run': { 'w.js': `import m from './m.wasm';\nimport { initSync } from './glue.js';\n${respond('!!m && !!initSync')}`, 'm.wasm': 'pkg', 'glue.js': 'glue' },
  '+ initSync (instantiated)': { 'w.js': `import m from './m.wasm';\nimport { initSync } from './glue.js';\ninitSync({ module: m });\n${respond('1')}`, 'm.wasm': 'pkg', 'glue.js': 'glue' },
  'dead JS, 120 functions (≈ 14 KB)': { 'w.js': deadCode(120) + respond('typeof dead') },
  'dead JS, 480 functions (≈ 56 KB)': { 'w.js': deadCode(480) + respond('typeof dead') },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Starts `copies` copies of each variant in one Miniflare, `rounds` times (variants in a rotating order), and returns
 * { copies, rounds, perCopyMs: { name: (median t(K × variant) − median t(K × empty)) / K }, times }.
 * names: the VARIANTS to run (default all); extra: { name: bundle dir } of bundled Workers (their one .js is main).
 */
export async function measureStartup({ root, copies = 40, rounds = 9, names = Object.keys(VARIANTS), extra = {}, log = () => {} }) {
  const Miniflare = await miniflare(root);
  const dir = mkdtempSync(join(tmpdir(), 'workerd-startup-'));
  const variants = Object.fromEntries(names.map((n) => [n, VARIANTS[n]]));
  variants.empty ??= VARIANTS.empty;
  for (const [name, dist] of Object.entries(extra)) variants[name] = { dist };
  const scripts = {};
  for (const [name, files] of Object.entries(variants)) {
    const d = join(dir, String(Object.keys(scripts).length));
    mkdirSync(d);
    if (files.dist) {
      cpSync(files.dist, d, { recursive: true });
      scripts[name] = { dir: d, main: join(d, readdirSync(d).find((f) => f.endsWith('.js'))) };
      continue;
    }
    for (const [file, content] of Object.entries(files)) {
      if (content === 'pkg') cpSync(join(root, 'pkg/web/clerk_m2m_edge_bg.wasm'), join(d, file));
      else if (content === 'glue') cpSync(join(root, 'pkg/web/clerk_m2m_edge.js'), join(d, file));
      else writeFileSync(join(d, file), content);
    }
    scripts[name] = { dir: d, main: join(d, 'w.js') };
  }
  const def = (name, i) => ({
    name: `v${i}`, modules: true, scriptPath: scripts[name].main, modulesRoot: scripts[name].dir, compatibilityDate: COMPATIBILITY_DATE,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    bindings: { CLERK_JWT_KEY: '' },
  });
  const times = {};
  const order = Object.keys(scripts);
  try {
    for (let round = 0; round < rounds; round++) {
      for (let j = 0; j < order.length; j++) {
        const name = order[(j + round) % order.length];
        const t0 = performance.now();
        const mf = new Miniflare({ workers: Array.from({ length: copies }, (_, i) => def(name, i)) });
        await mf.ready;
        (times[name] ??= []).push(performance.now() - t0);
        await mf.dispose();
      }
      log(`startup: round ${round + 1}/${rounds}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const base = median(times.empty);
  return { copies, rounds, perCopyMs: Object.fromEntries(order.map((n) => [n, (median(times[n]) - base) / copies])), times };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const copies = Number(process.argv[2] ?? 40);
  const rounds = Number(process.argv[3] ?? 9);
  const minimal = join(root, 'benches/scratch/dist/app-ours');
  const r = await measureStartup({ root, copies, rounds, extra: existsSync(minimal) ? { 'the minimal Worker (bench lane 5)': minimal } : {} });
  console.log(`${copies} copies × ${rounds} rounds; per copy, minus the empty Worker:`);
  for (const [name, ms] of Object.entries(r.perCopyMs)) console.log(`${ms.toFixed(2).padStart(7)} ms  ${name}`);
}
