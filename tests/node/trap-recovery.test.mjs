// A WASM trap in a call of the package, in Node and in workerd (miniflare): the call rejects with an Error whose
// cause is the `WebAssembly.RuntimeError`; every call after it, of that client and of every other, runs in a fresh
// instance of the same compiled module; the calls in flight when it trapped reject the same way; no unhandled
// rejection or uncaught exception is left; a GC after the restart (the old wasm Clients collected) does not corrupt
// the new instance; and 100 traps in a row leave the process healthy, the old instances collectable (Node, with
// forced GCs). docs/reliability.md, "Restart after a trap". The scenarios are in ./trap-recovery.mjs.
//
// The package is packed from TRAP_RECOVERY_PKG (default: the repository's pkg/) and installed into a scratch
// directory, as a user gets it; Node runs it in a process of its own (./trap-recovery-node.mjs, --expose-gc),
// workerd as a Worker bundled under the `workerd` condition, and Chromium (when /usr/bin/chromium is there) through
// the browser entry, which instantiates the module it compiled at start-up again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { root } from './context.mjs';
import { bundleWorker, installPacked, startWorker } from './packed.mjs';

const pkgDir = process.env.TRAP_RECOVERY_PKG || join(root, 'pkg');
const TRAPS = 100;
const MiB = 1024 * 1024;

let dir, mf;
before(async () => {
  dir = installPacked('clerk-m2m-trap-recovery-', pkgDir);
  writeFileSync(join(dir, 'node-entry.mjs'), "export { createClerkClient, version } from 'clerk-m2m-edge';\n");
  writeFileSync(join(dir, 'worker.mjs'), [
    "import { createClerkClient, version } from 'clerk-m2m-edge';",
    `import { runTrapRecovery } from ${JSON.stringify(join(root, 'tests/node/trap-recovery.mjs'))};`,
    'const events = [];',
    "addEventListener('unhandledrejection', (event) => events.push(event.reason));",
    "addEventListener('error', (event) => events.push(event.error ?? event.message));",
    'export default {',
    '  async fetch(request) {',
    '    const { traps } = await request.json();',
    '    try {',
    '      return Response.json(await runTrapRecovery({ createClerkClient, version, events, traps }));',
    '    } catch (e) {',
    '      return new Response(String(e && e.stack || e), { status: 500 });',
    '    }',
    '  },',
    '};',
    '',
  ].join('\n'));
  const out = join(dir, 'dist');
  mkdirSync(out);
  await bundleWorker(join(dir, 'worker.mjs'), out, { nodePaths: [join(dir, 'node_modules')] });
  mf = await startWorker(out);
});
after(async () => {
  await mf?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const RESTARTED = /^The clerk-m2m-edge WebAssembly module trapped and was restarted; this call failed and can be retried\.$/;

/** A call that trapped, or was in flight when the module trapped: rejected with the restart Error, cause the trap. */
function assertRestartRejection(r, what) {
  assert.equal(r.settled, true, `${what} settles`);
  assert.equal(r.fulfilled, false, `${what} rejects`);
  assert.equal(r.isError, true, `${what}: an Error`);
  assert.equal(r.name, 'Error', what);
  assert.match(r.message, RESTARTED, what);
  assert.equal(r.causeIsRuntimeError, true, `${what}: the cause is a WebAssembly.RuntimeError (${r.cause})`);
  assert.match(r.cause, /^RuntimeError: unreachable/, what);
}

function assertReport(report, { gc }) {
  const [first, sync, async, afterGc, inARow] = report.steps;
  assert.deepEqual(report.steps.map((s) => s.label), ['before: A and B verify', 'sync trap', 'async trap', 'GC after a restart', `${TRAPS} traps in a row`]);
  assert.deepEqual({ a: first.a, b: first.b, authenticates: first.authenticates }, { a: true, b: true, authenticates: true });
  for (const step of [sync, async]) {
    const what = step.label;
    assertRestartRejection(step.trap, `${what}: the trapping call`);
    assert.equal(step.inFlight.length, 3);
    step.inFlight.forEach((r, i) => assertRestartRejection(r, `${what}: call ${i} in flight`));
    // B's verification that was waiting for crypto.subtle.verify: the right result if it finished first, else
    // rejected like any call in flight; never the result of another handle of the new instance.
    if (step.halfway.fulfilled) assert.equal(step.halfway.right, true, `${what}: the verification halfway`);
    else assertRestartRejection(step.halfway, `${what}: the verification halfway`);
    assert.equal(step.newGeneration, step.oldGeneration + 1, `${what}: a new generation`);
    assert.equal(step.newMemory, true, `${what}: a new instance (another WebAssembly.Memory)`);
    assert.equal(step.a, true, `${what}: the trapping client verifies afterwards`);
    assert.equal(step.b, true, `${what}: another client, made before the trap, verifies afterwards`);
    assert.equal(step.authenticates, true, `${what}: authenticateRequest afterwards`);
    assert.equal(step.sameInstance, true, `${what}: both clients run in the one new instance`);
    assert.match(step.version, /^\d+\.\d+\.\d+/);
  }
  assertRestartRejection(afterGc.trap, 'GC: the trap');
  assert.equal(afterGc.gc, gc);
  assert.equal(afterGc.reconnected, 50, 'GC: every client verifies in the new instance');
  assert.deepEqual(afterGc.failed, [], 'GC: verifications after the old wasm Clients were collected');
  assert.equal(afterGc.verifications, 250);
  assert.equal(afterGc.fresh, true);
  assert.equal(afterGc.a, true);
  assert.deepEqual(inARow.failures, [], `${TRAPS} traps: each rejects with the restart error and a new instance serves`);
  assert.equal(inARow.generations, TRAPS + 3);
  assert.deepEqual({ a: inARow.a, b: inARow.b, authenticates: inARow.authenticates }, { a: true, b: true, authenticates: true });
  assert.match(inARow.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(report.events, [], 'no unhandled rejection or uncaught exception');
}

test('Node: a trap restarts the module; the trapping call and those in flight reject, every later call is served', { timeout: 180_000 }, async () => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--expose-gc', join(root, 'tests/node/trap-recovery-node.mjs'), join(dir, 'node-entry.mjs'), String(TRAPS)], { maxBuffer: 64 * MiB });
  assert.ok(stdout.startsWith('{'), `the Node process printed no report:\n${stderr}`);
  const report = JSON.parse(stdout);
  assertReport(report, { gc: true });
  const inARow = report.steps.at(-1);
  // Each dead instance is collectable, also while clients that last ran in it (B, the 25 left of the GC scenario)
  // still hold its wasm Clients: after forced GCs, no old instance's memory is alive.
  assert.deepEqual(inARow.aliveOldMemories, [], `the memories of these of the ${TRAPS} old instances are still alive after GC`);
  const growth = (inARow.rssAtEnd - inARow.rssAt10) / MiB;
  console.log(`Node: ${TRAPS} traps; RSS after 10: ${(inARow.rssAt10 / MiB).toFixed(1)} MiB, after ${TRAPS}: ${(inARow.rssAtEnd / MiB).toFixed(1)} MiB; old memories alive: ${inARow.aliveOldMemories.length}`);
  assert.ok(growth < 64, `RSS grew ${growth.toFixed(1)} MiB over ${TRAPS - 10} traps`);
});

test('workerd: the same scenarios inside a Worker', { timeout: 180_000 }, async () => {
  const res = await mf.dispatchFetch('http://trap-recovery.test/', { method: 'POST', body: JSON.stringify({ traps: TRAPS }) });
  const text = await res.text();
  assert.equal(res.status, 200, text.slice(0, 4000));
  assertReport(JSON.parse(text), { gc: false });
});

const CHROMIUM = '/usr/bin/chromium';
test('Chromium: the same scenarios through the browser entry', { timeout: 180_000, skip: !existsSync(CHROMIUM) && `no ${CHROMIUM}` }, async () => {
  const served = { '/pkg/': join(dir, 'node_modules/clerk-m2m-edge/'), '/tests/': join(root, 'tests/node/') };
  const page = `<!doctype html><meta charset="utf-8"><script type="module">
import { createClerkClient, version } from '/pkg/index.js';
import { runTrapRecovery } from '/tests/trap-recovery.mjs';
const events = [];
addEventListener('unhandledrejection', (event) => events.push(event.reason));
addEventListener('error', (event) => events.push(event.error ?? event.message));
runTrapRecovery({ createClerkClient, version, events, traps: ${TRAPS} }).then((r) => { window.report = r; }, (e) => { window.report = { error: String(e && e.stack || e) }; });
</script>`;
  const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    const prefix = Object.keys(served).find((p) => path.startsWith(p));
    const file = prefix && join(served[prefix], path.slice(prefix.length));
    if (!file || !file.startsWith(served[prefix]) || !existsSync(file)) return res.writeHead(404).end();
    return res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { chromium } = await import(join(root, 'node_modules/playwright-core/index.mjs'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const tab = await browser.newPage();
    const logs = [];
    tab.on('pageerror', (e) => logs.push(String(e)));
    await tab.goto(`http://127.0.0.1:${server.address().port}/`);
    await tab.waitForFunction(() => window.report !== undefined, null, { timeout: 120_000 }).catch(() => assert.fail(`no report from the page:\n${logs.join('\n')}`));
    const report = await tab.evaluate(() => window.report);
    assert.equal(report.error, undefined, report.error);
    assertReport(report, { gc: false });
    assert.deepEqual(logs, []);
  } finally {
    await browser.close();
    server.close();
  }
});
