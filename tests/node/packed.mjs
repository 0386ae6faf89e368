// The package as a user gets it, for Node tests: packed from pkg/ and installed into a scratch project, and bundled
// into a Worker under the `workerd` export condition for miniflare. One copy of these steps for every test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { root } from './context.mjs';

/**
 * A new scratch project (`mkdtemp` with `prefix`) where `pkgDir` (default pkg/) is packed and installed offline.
 * Returns its directory; the caller removes it.
 */
export function installPacked(prefix, pkgDir = join(root, 'pkg')) {
  assert.ok(existsSync(join(pkgDir, 'package.json')), `${pkgDir} has no package.json: run scripts/build first`);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const tgz = execFileSync('npm', ['pack', pkgDir, '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: basename(dir).toLowerCase(), private: true, type: 'module', dependencies: { 'clerk-m2m-edge': `file:./${tgz}` } }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], { cwd: dir, stdio: 'pipe' });
  return dir;
}

/**
 * Bundles `entry` (which imports 'clerk-m2m-edge' as installed next to it) into `outDir/index.js` under the
 * `workerd` condition, as wrangler does: the .wasm import stays a module of its own, which workerd loads
 * precompiled. Asserts that the package's workerd entry, and no other, was bundled.
 */
export async function bundleWorker(entry, outDir, { nodePaths = [] } = {}) {
  const { build } = await import(`${root}/node_modules/esbuild/lib/main.js`);
  const wasmModule = {
    name: 'wasm-module',
    setup(b) {
      b.onResolve({ filter: /\.wasm$/ }, (args) => {
        const source = join(args.resolveDir, args.path);
        copyFileSync(source, join(outDir, basename(source)));
        return { path: `./${basename(source)}`, external: true };
      });
    },
  };
  const result = await build({
    entryPoints: [entry], bundle: true, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker'],
    outfile: join(outDir, 'index.js'), nodePaths, plugins: [wasmModule], metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.some((p) => p.endsWith('node_modules/clerk-m2m-edge/workerd.js')), `the workerd export condition selects workerd.js: ${inputs.join(', ')}`);
  assert.ok(!inputs.some((p) => /clerk-m2m-edge\/(node\.(cjs|mjs)|index\.js)$/.test(p)), 'no other entry is bundled');
  return join(outDir, 'index.js');
}

/** A Miniflare instance running the Worker `bundleWorker` wrote into `outDir`. */
export async function startWorker(outDir, { compatibilityDate = '2026-04-01', compatibilityFlags = [], bindings = {} } = {}) {
  const { Miniflare } = await import(`${root}/node_modules/miniflare/dist/src/index.js`);
  const mf = new Miniflare({
    modules: true, scriptPath: join(outDir, 'index.js'), modulesRoot: outDir,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate, compatibilityFlags, bindings,
  });
  await mf.ready;
  return mf;
}
