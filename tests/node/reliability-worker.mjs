// The soak Worker: the packed package bundled by wrangler (`deploy --dry-run`, like tests/runtime/lanes.mjs) into a
// small Worker that runs batches of verifications and Backend API calls, run in workerd through miniflare with
// its V8 inspector on, so that the isolate's heap can be read (Runtime.getHeapUsage after a forced GC) next to
// the workerd process's RSS (/proc/<pid>/status) and the WASM linear memory the Worker reports.
//
// WASM memory: the package's public API has no accessor for it. The Worker imports the package's own wasm-bindgen
// glue (node_modules/clerk-m2m-edge/web/clerk_m2m_edge.js) by path; esbuild bundles it once, so it is the instance
// the package initialised, and its internal `wasmMemory()` export is that instance's `WebAssembly.Memory`.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { root } from './context.mjs';
import { installPacked } from './packed.mjs';

const COMPAT_DATE = '2026-04-01';

const WORKER = String.raw`
import { createClerkClient, version } from 'clerk-m2m-edge';
import * as glue from './node_modules/clerk-m2m-edge/web/clerk_m2m_edge.js';

let s;
const wasmMemoryBytes = () => glue.wasmMemory().buffer.byteLength;
const json = (v, status = 200) => Response.json(v, { status });

async function outcome(promise, expect) {
  try {
    const v = await promise;
    return expect === 'ok' && typeof v.subject === 'string' ? 'ok' : 'unexpected-ok';
  } catch (e) {
    return expect !== 'ok' && e && e.code === expect ? 'expected-error' : 'unexpected-error: ' + (e && e.code) + ' ' + (e && e.message);
  }
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get('n') ?? '0');
    if (url.pathname === '/setup') {
      const c = await request.json();
      s = {
        c, i: 0, k: 0,
        pem: createClerkClient({ jwtKey: c.jwtKey, apiUrl: c.apiUrl }),
        jwks: createClerkClient({ secretKey: c.secretKey, apiUrl: c.apiUrl }),
        sender: createClerkClient({ machineSecretKey: c.sender.secretKey, apiUrl: c.apiUrl }),
        receiver: createClerkClient({ machineSecretKey: c.receiver.secretKey, apiUrl: c.apiUrl }),
      };
      return json({ version: version(), wasmMemoryBytes: wasmMemoryBytes() });
    }
    if (url.pathname === '/memory') return json({ wasmMemoryBytes: wasmMemoryBytes() });
    if (!s) return json({ error: 'not set up' }, 409);
    const tally = {};
    const count = (k) => { tally[k] = (tally[k] ?? 0) + 1; };
    if (url.pathname === '/verify') {
      // Per 10 verifications: 4 distinct tokens (more than the verified-token cache holds), 2 hot repeated ones,
      // 2 JWKS-verified Backend API tokens, 1 unknown kid (JWKS, cooldown: no request), 1 tampered token.
      const { distinct, hot, minted, unknownKid, tampered } = s.c.tokens;
      for (let j = 0; j < n; j++, s.i++) {
        const slot = s.i % 10, r = Math.floor(s.i / 10);
        let kind, p;
        if (slot < 4) { kind = 'distinct'; p = outcome(s.pem.m2m.verify({ token: distinct[(r * 4 + slot) % distinct.length] }), 'ok'); }
        else if (slot < 6) { kind = 'hot'; p = outcome(s.pem.m2m.verify({ token: hot[(r * 2 + slot) % hot.length] }), 'ok'); }
        else if (slot < 8) { kind = 'jwks'; p = outcome(s.jwks.m2m.verify({ token: minted[(r * 2 + slot) % minted.length] }), 'ok'); }
        else if (slot === 8) { kind = 'unknown-kid'; p = outcome(s.jwks.m2m.verify({ token: unknownKid[r % unknownKid.length] }), 'token-verification-failed'); }
        else { kind = 'tampered'; p = outcome(s.pem.m2m.verify({ token: tampered[r % tampered.length] }), 'token-verification-failed'); }
        count(kind + ':' + await p);
      }
      return json({ tally, wasmMemoryBytes: wasmMemoryBytes() });
    }
    if (url.pathname === '/api') {
      // Rounds of four Backend API calls: create (opaque), verify (by the scoped receiver), list, revoke.
      for (let j = 0; j < n; j += 4, s.k++) {
        try {
          const t = await s.sender.m2m.createToken({ claims: { round: s.k } });
          count('createToken:ok');
          const v = await s.receiver.m2m.verify({ token: t.token });
          count(v.id === t.id ? 'verify:ok' : 'verify:wrong');
          const page = await s.sender.m2m.list({ subject: s.c.sender.id, limit: 5 });
          count(page.data.length > 0 ? 'list:ok' : 'list:empty');
          const r = await s.sender.m2m.revokeToken({ m2mTokenId: t.id, revocationReason: 'soak' });
          count(r.revoked ? 'revokeToken:ok' : 'revokeToken:not-revoked');
        } catch (e) {
          count('error: ' + (e && e.name) + ' ' + (e && e.message));
        }
      }
      return json({ tally, wasmMemoryBytes: wasmMemoryBytes() });
    }
    return json({ error: 'no route' }, 404);
  },
};
`;

/** Packs pkg/, installs it into a temporary Worker project (offline) and bundles it with wrangler. */
export function bundleSoakWorker() {
  const dir = installPacked('clerk-m2m-soak-');
  try {
    writeFileSync(join(dir, 'worker.js'), WORKER);
    writeFileSync(join(dir, 'wrangler.toml'), `name = "soak"\nmain = "worker.js"\ncompatibility_date = "${COMPAT_DATE}"\n`);
    const outdir = join(dir, 'dist');
    execFileSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outdir], {
      cwd: dir, stdio: 'pipe', env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error', CI: '1' },
    });
    const script = readdirSync(outdir).find((f) => f.endsWith('.js'));
    const code = readFileSync(join(outdir, script), 'utf8');
    // The glue must be bundled once (one WASM instance), or wasmMemoryBytes would describe an idle copy.
    const copies = code.split('function initSync(').length - 1;
    if (copies !== 1) throw new Error(`the bundle has ${copies} copies of the wasm-bindgen glue`);
    return { dir, outdir, script: join(outdir, script), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

const freePort = () => new Promise((resolve, reject) => {
  const srv = createServer();
  srv.on('error', reject);
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

/** The workerd processes that are children of this process (miniflare spawns one). */
function workerdPids() {
  const pids = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'workerd') pids.push(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}

const rssBytes = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

/** A minimal CDP client over the ws package (a miniflare dependency). */
async function inspector(port) {
  const { default: WebSocket } = await import(join(root, 'node_modules/ws/index.js'));
  let targets;
  for (let i = 0; i < 50; i++) {
    try { targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json(); if (targets.length) break; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  // Miniflare runs several workers in one workerd; the user's is `core:user:<name>`.
  const target = targets?.find((t) => t.id?.startsWith('core:user:') && t.webSocketDebuggerUrl) ?? null;
  if (!target) return null;
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let id = 0;
  const pending = new Map();
  ws.on('message', (data) => {
    const msg = JSON.parse(data);
    if (msg.id && pending.has(msg.id)) { const { resolve, reject } = pending.get(msg.id); pending.delete(msg.id); (msg.error ? reject(new Error(msg.error.message)) : resolve(msg.result)); }
  });
  const send = (method, params = {}, timeoutMs = 10_000) => new Promise((resolve, reject) => {
    const n = ++id;
    const timer = setTimeout(() => { pending.delete(n); reject(new Error(`inspector ${method}: no answer in ${timeoutMs} ms`)); }, timeoutMs);
    pending.set(n, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
    ws.send(JSON.stringify({ id: n, method, params }));
  });
  return { send, close: () => ws.close(), target: target.title ?? target.id };
}

/** Starts the bundle in workerd with the inspector on. Returns { dispatch(path, body?), sample(), dispose() }. */
export async function startSoakWorker(bundle, { useInspector = true } = {}) {
  const { Miniflare } = await import(join(root, 'node_modules/miniflare/dist/src/index.js'));
  const inspectorPort = useInspector ? await freePort() : undefined;
  const before = new Set(workerdPids());
  const mf = new Miniflare({
    modules: true,
    scriptPath: bundle.script,
    modulesRoot: bundle.outdir,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: COMPAT_DATE,
    inspectorPort,
  });
  await mf.ready;
  const pid = workerdPids().find((p) => !before.has(p)) ?? null;
  const cdp = useInspector ? await inspector(inspectorPort).catch(() => null) : null;
  const dispatch = async (path, body) => {
    const res = await mf.dispatchFetch(`http://soak.local${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`worker ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  /** Waits for an inspector answer, giving the isolate requests to run meanwhile (workerd serves the inspector then). */
  const nudged = async (promise) => {
    let settled = false;
    const p = promise.catch(() => null).finally(() => { settled = true; });
    for (let i = 0; !settled && i < 200; i++) {
      await dispatch('/memory');
      await Promise.race([p, new Promise((r) => setTimeout(r, 10))]);
    }
    return p;
  };
  /** One memory sample: isolate heap after a forced GC (inspector), workerd RSS, WASM memory. */
  const sample = async () => {
    let heapUsed = null, heapTotal = null;
    if (cdp) {
      // Twice (a full GC can leave floating garbage); the heap is read after the second.
      await nudged(cdp.send('HeapProfiler.collectGarbage'));
      await nudged(cdp.send('HeapProfiler.collectGarbage'));
      const h = await nudged(cdp.send('Runtime.getHeapUsage'));
      if (h) { heapUsed = h.usedSize; heapTotal = h.totalSize; }
    }
    const { wasmMemoryBytes } = await dispatch('/memory');
    return { heapUsed, heapTotal, rss: pid ? rssBytes(pid) : null, wasmMemoryBytes };
  };
  return { dispatch, sample, pid, inspector: Boolean(cdp), dispose: async () => { cdp?.close(); await mf.dispose(); } };
}
