// Runs this example locally the way it is deployed: the npm package packed from the repository's pkg/ is
// installed into a temporary copy, wrangler bundles it (`wrangler deploy --dry-run`), and the bundle runs in
// workerd through miniflare. Used by tests/node/example-worker.test.mjs and scripts/demo.mjs.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '../..');
const bin = (name) => join(root, 'node_modules/.bin', name);

/** The `compatibility_date` of wrangler.toml, so miniflare runs the bundle with the same one. */
export const compatibilityDate = readFileSync(join(here, 'wrangler.toml'), 'utf8').match(/^compatibility_date\s*=\s*"([^"]+)"/m)[1];

/**
 * Copies the example to a temporary directory, installs the packed package there (offline: a local tarball)
 * and bundles it with wrangler. Returns { dir, outdir, script, cleanup }.
 */
export function bundleExample({ quiet = true } = {}) {
  if (!existsSync(join(root, 'pkg/package.json'))) throw new Error('pkg/ is missing: run scripts/build first');
  const dir = mkdtempSync(join(tmpdir(), 'clerk-m2m-worker-'));
  const stdio = quiet ? 'pipe' : 'inherit';
  try {
    for (const f of ['wrangler.toml', 'tsconfig.json', 'src']) cpSync(join(here, f), join(dir, f), { recursive: true });
    const tgz = execFileSync('npm', ['pack', join(root, 'pkg'), '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop();
    const manifest = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
    // The tools come from the repository's node_modules; only the package itself is installed.
    delete manifest.devDependencies;
    manifest.dependencies['clerk-m2m-edge'] = `file:./${tgz}`;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], { cwd: dir, stdio });
    const outdir = join(dir, 'dist');
    execFileSync(bin('wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
      cwd: dir, stdio, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error', CI: '1' },
    });
    const script = readdirSync(outdir).find((f) => f.endsWith('.js'));
    if (!script) throw new Error(`wrangler wrote no script into ${outdir}`);
    return { dir, outdir, script: join(outdir, script), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** `tsc --noEmit` over the copy made by bundleExample, against @cloudflare/workers-types and the packed .d.ts. */
export function typecheckExample(dir) {
  mkdirSync(join(dir, 'node_modules/@cloudflare'), { recursive: true });
  const types = join(dir, 'node_modules/@cloudflare/workers-types');
  if (!existsSync(types)) symlinkSync(join(root, 'node_modules/@cloudflare/workers-types'), types, 'dir');
  return execFileSync(bin('tsc'), ['-p', dir], { encoding: 'utf8' });
}

/**
 * Runs a bundle from bundleExample in workerd (miniflare) on a loopback port (0: any free one). `bindings` is the
 * Worker's `env` (CLERK_* and RECEIVER_MACHINE_ID). Returns { url, mf, dispose }.
 */
export async function startWorker(bundle, { bindings, port = 0, host = '127.0.0.1' }) {
  const { Miniflare } = await import(join(root, 'node_modules/miniflare/dist/src/index.js'));
  const mf = new Miniflare({
    modules: true,
    scriptPath: bundle.script,
    modulesRoot: bundle.outdir,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate,
    bindings,
    host,
    port,
  });
  const url = (await mf.ready).href.replace(/\/$/, '');
  return { url, mf, dispose: () => mf.dispose() };
}
