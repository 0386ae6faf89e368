// Miniflare helpers: Workers bundled by scratch.mjs, run by the workspace's workerd.
import { join } from 'node:path';

let MiniflareClass;
export async function miniflare(root) {
  MiniflareClass ??= (await import(join(root, 'node_modules/miniflare/dist/src/index.js'))).Miniflare;
  return MiniflareClass;
}

export const COMPATIBILITY_DATE = '2026-04-01';

/** A Miniflare worker definition for a bundle from bundleWorker(). */
export function workerDef(bundle, name, bindings = {}) {
  return {
    name,
    modules: true,
    scriptPath: bundle.main,
    modulesRoot: bundle.dir,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
  };
}

/** Fetches through a worker fetcher and returns [ms, status, body]; rejects on a non-2xx answer. */
export async function timedFetch(fetcher, url, init) {
  const t0 = performance.now();
  const res = await fetcher.fetch(url, init);
  const body = await res.text();
  const ms = performance.now() - t0;
  if (res.status >= 300) throw new Error(`${url} answered ${res.status}: ${body.slice(0, 500)}`);
  return [ms, res.status, body];
}
