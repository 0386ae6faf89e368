// Regression tests for the boundary fuzz target's findings B2–B8 (docs/reliability-fuzzing.md, "Findings"): the
// scenarios of ./boundary-findings.mjs, each a test, in Node against pkg/; the B2–B4 ones (src/platform.rs: the
// signal, a custom Response, the timeout race) also inside a Worker (miniflare), bundled as a user's would be.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './context.mjs';
import { bundleWorker, installPacked, startWorker } from './packed.mjs';
import { SCENARIOS, runScenarios } from './boundary-findings.mjs';

const pkg = await import(join(root, 'pkg/node.mjs'));

// Uncaught exceptions and unhandled rejections while a scenario runs fail it (node:test's own listeners stay).
const recorded = [];
for (const event of ['uncaughtException', 'unhandledRejection']) process.on(event, (e) => recorded.push(`${event}: ${String(e?.stack ?? e)}`));
const events = { take: () => recorded.splice(0) };

const title = (s) => `${s.finding}: ${s.name}`;

describe('node', () => {
  for (const s of SCENARIOS) {
    test(title(s), async () => {
      const [result] = await runScenarios(pkg, { filter: (x) => x === s, events });
      assert.ok(result.ok, result.error);
    });
  }
});

describe('workerd', () => {
  let mf, dir, results;
  before(async () => {
    dir = installPacked('clerk-m2m-boundary-findings-');
    const out = join(dir, 'dist');
    mkdirSync(out);
    writeFileSync(join(dir, 'entry.mjs'), [
      "import * as pkg from 'clerk-m2m-edge';",
      `import { runScenarios } from ${JSON.stringify(join(root, 'tests/node/boundary-findings.mjs'))};`,
      'const recorded = [];',
      "addEventListener('unhandledrejection', (event) => recorded.push(`unhandledRejection: ${event.reason}`));",
      "addEventListener('error', (event) => recorded.push(`uncaughtException: ${event.error ?? event.message}`));",
      'export default {',
      '  async fetch() {',
      '    const results = await runScenarios(pkg, { filter: (s) => s.workerd, events: { take: () => recorded.splice(0) } });',
      '    return Response.json(results);',
      '  },',
      '};',
      '',
    ].join('\n'));
    await bundleWorker(join(dir, 'entry.mjs'), out);
    mf = await startWorker(out);
    const res = await mf.dispatchFetch('http://findings.test/');
    const text = await res.text();
    assert.equal(res.status, 200, text.slice(0, 4000));
    results = JSON.parse(text);
  });
  after(async () => {
    await mf?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  for (const s of SCENARIOS.filter((x) => x.workerd)) {
    test(title(s), () => {
      const result = results.find((r) => r.name === s.name);
      assert.ok(result, 'the Worker ran it');
      assert.ok(result.ok, result.error);
    });
  }
});
