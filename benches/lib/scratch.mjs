// The bench runs the package as users get it: `npm pack pkg/`, installed into benches/scratch/, with the
// contenders' sources copied next to it (so `clerk-m2m-edge` resolves to the installed package, and
// `@clerk/backend`/`jose` to the workspace's node_modules). Workers are bundled with esbuild using wrangler's
// resolution (conditions workerd/worker/browser; .wasm kept as a separate module, as wrangler does).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync, readdirSync } from 'node:fs';
import { join, basename } from 'node:path';
import { gzipSync } from 'node:zlib';

export function prepareScratch(root, benches, name = 'scratch') {
  const scratch = join(benches, name);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const tgz = execFileSync('npm', ['pack', join(root, 'pkg'), '--pack-destination', scratch, '--silent'], { encoding: 'utf8' })
    .trim().split('\n').pop();
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({
    name: 'bench-scratch', private: true, type: 'module', dependencies: { 'clerk-m2m-edge': `file:./${tgz}` },
  }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', '--offline'], { cwd: scratch, stdio: 'inherit' });
  cpSync(join(benches, 'contenders.js'), join(scratch, 'contenders.js'));
  cpSync(join(benches, 'cpuprofile.js'), join(scratch, 'cpuprofile.js'));
  cpSync(join(benches, 'workers'), join(scratch, 'workers'), { recursive: true });
  cpSync(join(benches, 'node'), join(scratch, 'node'), { recursive: true });
  return scratch;
}

/** Bundles one Worker entry into its own directory: { dir, main, files: [{ name, raw, gzip }] }. */
export async function bundleWorker(root, scratch, entry, { minify = true } = {}) {
  const esbuild = await import(join(root, 'node_modules/esbuild/lib/main.js'));
  const name = basename(entry, '.js');
  const outdir = join(scratch, 'dist', name + (minify ? '' : '-dev'));
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(scratch, 'workers', entry)],
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    loader: { '.wasm': 'copy' },
    external: ['node:*', 'cloudflare:*'],
    // As wrangler does for a deploy; @clerk/backend reads process.env.NODE_ENV on every fetch otherwise.
    define: { 'process.env.NODE_ENV': '"production"' },
    minify,
    legalComments: 'none',
    logLevel: 'error',
  });
  const files = readdirSync(outdir).filter((f) => statSync(join(outdir, f)).isFile()).map((f) => {
    const bytes = readFileSync(join(outdir, f));
    return { name: f, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { dir: outdir, main: join(outdir, `${name}.js`), files };
}
