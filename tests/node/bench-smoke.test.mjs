// Keeps the benchmark code from rotting: `node benches/run.mjs --smoke` (tiny N, one round, every lane, its own
// local Backend API and scratch directory) must finish and write every table row. No number is checked here:
// speed is judged by scripts/bench, never by tests.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { EXPECTED_ROWS, MARKER, TARGETS } from '../../benches/lib/report.mjs';
import { root } from './context.mjs';

test('scripts/bench --smoke runs every lane and writes every table row', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const out = join(dir, 'benchmarks.md');
  try {
    const env = { ...process.env, WRANGLER_SEND_METRICS: 'false' };
    delete env.BENCH_BAPI;
    const child = spawn(process.execPath, [join(root, 'benches/run.mjs'), '--smoke', '--out', out], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const [code] = await once(child, 'close');
    assert.equal(code, 0, `bench --smoke exited ${code}:\n${output}`);

    const md = readFileSync(out, 'utf8');
    assert.ok(!md.includes('**Lane failed:**'), md);
    for (const row of EXPECTED_ROWS) assert.ok(md.includes(`\n| ${row} |`), `no table row "${row}" in the report`);
    for (const target of TARGETS) {
      const line = md.split('\n').find((l) => l.startsWith(`| ${target} |`));
      assert.match(line, /\*\*(pass|miss)\*\*/, `target "${target}" was not judged: ${line}`);
    }
    assert.ok(md.includes(MARKER), 'the analysis marker');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
