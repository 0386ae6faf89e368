// The boundary fuzz target (./boundary-fuzz.mjs), a short run: every target for FUZZ_RUNS cases (default 100)
// in Node, then FUZZ_WORKERD_RUNS cases (default 30) per target in workerd (the property module and the package
// bundled into a Worker, run through miniflare's dispatchFetch, which answers with the report as JSON). One test
// per target and runtime; each fails listing every failure group with its shortest inputs and the run index
// that replays it. Part of `scripts/test`'s node-tests lane (about 30 s); the long run is
// `scripts/fuzz --boundary [seconds]` (docs/reliability-fuzzing.md).
//
//   FUZZ_SEED=<n>|random   the run's seed (default 20261203); each target's seed is derived from it by name
//   FUZZ_RUNS=<n>          cases per target in Node (default 100); FUZZ_WORKERD_RUNS likewise (default 30; 0 skips)
//   FUZZ_SECONDS=<s>       instead, run each target for s seconds in each runtime (scripts/fuzz --boundary)
//   FUZZ_TARGET=<a,b>      only these targets (names as in TARGETS, e.g. m2m.createToken)
//   FUZZ_PATH=<i>          replay run i of the seed (with FUZZ_TARGET: one target)
//   FUZZ_SHRINK=1          stop at each target's first failure and let fast-check shrink it
//   FUZZ_REPORT=<file>     also write the Node and workerd reports there as JSON
//   FUZZ_PKG=<dir>         test that build of the package instead of pkg/
//   FUZZ_VERBOSE=1         also print each target's outcome counts (resolved, rejected by class)
//
// Runs its own local Backend API: the cases mint and revoke tokens.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './context.mjs';
import { bundleWorker, installPacked, startWorker } from './packed.mjs';
import { ownBapi } from './reliability-bapi.mjs';
import { EventLog, TARGETS, fuzz, makeFixture, summary } from './boundary-fuzz.mjs';

// The package under test: pkg/ (scripts/build), or another build of it (e.g. of an older commit) in FUZZ_PKG.
const PKG = process.env.FUZZ_PKG ?? join(root, 'pkg');
const ours = await import(join(PKG, 'node.mjs'));

// The recorders replace node:test's own listeners in this file's process (installed with the root test, so
// replaced in the first `before`): those stringify what was thrown, and a hostile value (a Proxy whose traps
// throw) thrown from there kills the process. What is recorded fails the test that was running, with the
// event in its message.
const log = new EventLog();
function installRecorders() {
  for (const event of ['unhandledRejection', 'uncaughtException']) {
    process.removeAllListeners(event);
    process.on(event, (value) => log.record(event, value));
  }
}

const env = process.env;
const SEED = env.FUZZ_SEED === 'random' ? (Math.random() * 2 ** 31) | 0 : Number(env.FUZZ_SEED ?? 20261203);
// FUZZ_SECONDS (per target and runtime) makes time the limit: FUZZ_RUNS then defaults to no limit.
const SECONDS = env.FUZZ_SECONDS ? Number(env.FUZZ_SECONDS) : undefined;
const RUNS = Number(env.FUZZ_RUNS ?? (SECONDS ? 1e9 : 100));
const WORKERD_RUNS = Number(env.FUZZ_WORKERD_RUNS ?? (SECONDS ? 1e9 : 30));
const TEST_TIMEOUT = Math.max(600_000, ((SECONDS ?? 0) + 300) * 1000);
const NAMES = env.FUZZ_TARGET ? env.FUZZ_TARGET.split(',') : Object.keys(TARGETS);
const PATH = env.FUZZ_PATH || undefined;
const SHRINK = env.FUZZ_SHRINK === '1';
for (const n of NAMES) assert.ok(TARGETS[n], `unknown FUZZ_TARGET ${n}; targets: ${Object.keys(TARGETS).join(', ')}`);
console.log(`boundary fuzz: FUZZ_SEED=${SEED} ${SECONDS ? `FUZZ_SECONDS=${SECONDS}` : `FUZZ_RUNS=${RUNS} FUZZ_WORKERD_RUNS=${WORKERD_RUNS}`}${PATH ? ` FUZZ_PATH=${PATH}` : ''}`);

const reports = { node: {}, workerd: {} };
let ctx, fixture;
before(async () => {
  installRecorders();
  ctx = await ownBapi(61);
  fixture = await makeFixture(ctx);
});
after(async () => {
  if (env.FUZZ_REPORT) writeFileSync(env.FUZZ_REPORT, JSON.stringify(reports, null, 1));
  await ctx?.stop();
});

/** Prints the report's summary (seed, cases, time); fails with it when the report holds any failure. */
function assertClean(report, runtime) {
  const text = summary(report, runtime, { outcomes: env.FUZZ_VERBOSE === '1' });
  if (report.failureCount === 0) console.log(text);
  assert.equal(report.failureCount, 0, text);
}

describe('node', { skip: RUNS === 0 && 'FUZZ_RUNS=0' }, () => {
  for (const name of NAMES) {
    test(`${name}: every call settles with a documented outcome, leaks no key and leaves the instance healthy`, { timeout: TEST_TIMEOUT }, async () => {
      const report = await fuzz({ pkg: ours, fixture, runs: RUNS, seconds: SECONDS, seed: SEED, targets: [name], log, path: PATH, shrink: SHRINK });
      await ctx.admin('DELETE', '/requests');
      reports.node[name] = report;
      assertClean(report, 'node');
    });
  }
  test('no unhandled rejection or uncaught exception is left over, and the instance still serves', async () => {
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(log.take(), []);
    const client = ours.createClerkClient({ apiUrl: fixture.url, machineSecretKey: fixture.machines[1].secretKey });
    const verified = await client.m2m.verify({ token: fixture.health.opaque });
    assert.equal(verified.subject, fixture.machines[0].id);
  });
});

describe('workerd', { skip: WORKERD_RUNS === 0 && 'FUZZ_WORKERD_RUNS=0' }, () => {
  let mf, dir;
  before(async () => {
    dir = installPacked('clerk-m2m-boundary-fuzz-', PKG);
    const out = join(dir, 'dist');
    mkdirSync(out);
    writeFileSync(join(dir, 'entry.mjs'), [
      "import * as pkg from 'clerk-m2m-edge';",
      `import { EventLog, fuzz } from ${JSON.stringify(join(root, 'tests/node/boundary-fuzz.mjs'))};`,
      'const log = new EventLog();',
      "addEventListener('unhandledrejection', (event) => log.record('unhandledRejection', event.reason));",
      "addEventListener('error', (event) => log.record('uncaughtException', event.error ?? event.message));",
      'export default {',
      '  async fetch(request) {',
      '    const { fixture, runs, seconds, seed, targets, path, shrink } = await request.json();',
      '    try {',
      '      return Response.json(await fuzz({ pkg, fixture, runs, seconds, seed, targets, log, path, shrink }));',
      '    } catch (e) {',
      '      return Response.json({ harnessError: String(e && e.stack || e) }, { status: 500 });',
      '    }',
      '  },',
      '};',
      '',
    ].join('\n'));
    await bundleWorker(join(dir, 'entry.mjs'), out);
    mf = await startWorker(out, { compatibilityFlags: ['nodejs_compat'] });
  });
  after(async () => {
    await mf?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  for (const name of NAMES) {
    test(`${name}: the same property inside a Worker`, { timeout: TEST_TIMEOUT }, async () => {
      const started = performance.now();
      const res = await mf.dispatchFetch('http://fuzz.test/', {
        method: 'POST', body: JSON.stringify({ fixture, runs: WORKERD_RUNS, seconds: SECONDS, seed: SEED, targets: [name], path: PATH, shrink: SHRINK }),
      });
      await ctx.admin('DELETE', '/requests');
      const text = await res.text();
      assert.equal(res.status, 200, text.slice(0, 4000));
      const report = JSON.parse(text);
      // Date.now() in workerd only moves on I/O: the wall-clock time is measured here.
      report.durationMs = Math.round(performance.now() - started);
      report.targets[name].ms = report.durationMs;
      reports.workerd[name] = report;
      assertClean(report, 'workerd');
    });
  }
});
