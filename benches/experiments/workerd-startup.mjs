// Where a Worker's start-up goes in workerd (the analysis in docs/benchmarks.md, "Start-up"). Starts K copies of
// each variant in one Miniflare, as the bench's cold-start lane does, and reports (t(K × variant) − t(K × empty)) / K.
// Variants: the package's .wasm imported and never instantiated (workerd compiles every .wasm module at start-up),
// an 8-byte .wasm (the cost of a module, not of its code), the wasm-bindgen glue imported but not run, the glue's
// initSync (compile + instantiate), the bench's minimal Worker when scripts/bench has bundled it, and Workers of
// dead JS functions (14 KB and 56 KB) for the cost of JS by amount of code.
//
// Usage: node benches/experiments/workerd-startup.mjs [copies=40] [rounds=9]   (after scripts/build; scripts/bench
// first for the minimal-Worker row)
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPATIBILITY_DATE, miniflare } from '../lib/workerd.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const copies = Number(process.argv[2] ?? 40);
const rounds = Number(process.argv[3] ?? 9);
const dir = mkdtempSync(join(tmpdir(), 'workerd-startup-'));
const Miniflare = await miniflare(root);

const deadCode = (n) => `const dead = {\n${Array.from({ length: n }, (_, i) =>
  `f${i}(a, b) { let s = 0; for (let i = 0; i < a.length; i++) { s += a.charCodeAt(i) * b + ${i}; if (s > 1e9) s %= ${i + 7}; } return s.toString(16) + 'x${i}'; },`).join('\n')}\n};\n`;
const respond = (what) => `export default { fetch: () => new Response(String(${what})) };\n`;
const variants = {
  empty: { 'w.js': respond('1') },
  'tiny .wasm, imported': { 'w.js': `import m from './t.wasm';\n${respond('!!m')}`, 't.wasm': Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0]) },
  'package .wasm, imported (compiled, not instantiated)': { 'w.js': `import m from './m.wasm';\n${respond('!!m')}`, 'm.wasm': 'pkg' },
  '+ glue imported, not run': { 'w.js': `import m from './m.wasm';\nimport { initSync } from './glue.js';\n${respond('!!m && !!initSync')}`, 'm.wasm': 'pkg', 'glue.js': 'glue' },
  '+ initSync (instantiated)': { 'w.js': `import m from './m.wasm';\nimport { initSync } from './glue.js';\ninitSync({ module: m });\n${respond('1')}`, 'm.wasm': 'pkg', 'glue.js': 'glue' },
  'dead JS, 120 functions (≈ 14 KB)': { 'w.js': deadCode(120) + respond('typeof dead') },
  'dead JS, 480 functions (≈ 56 KB)': { 'w.js': deadCode(480) + respond('typeof dead') },
};
const minimal = join(root, 'benches/scratch/dist/app-ours');
if (existsSync(minimal)) variants['the minimal Worker (bench lane 5)'] = { dist: minimal };

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
try {
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(scripts)) {
      const t0 = performance.now();
      const mf = new Miniflare({ workers: Array.from({ length: copies }, (_, i) => def(name, i)) });
      await mf.ready;
      (times[name] ??= []).push(performance.now() - t0);
      await mf.dispose();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const base = median(times.empty);
console.log(`${copies} copies × ${rounds} rounds; per copy, minus the empty Worker:`);
for (const name of Object.keys(scripts)) console.log(`${((median(times[name]) - base) / copies).toFixed(2).padStart(7)} ms  ${name}`);
