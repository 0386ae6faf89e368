#!/usr/bin/env node
// Type tests: `tsc --noEmit` over tests/types/*.ts, compiled in the scratch project where the packed package is
// installed (so the `exports` map's `types` condition is what resolves), with module NodeNext as ESM; and over
// tests/types/*.cts as a CommonJS consumer with module node16 (in types/cjs/, where expect.ts is CommonJS too).
// Every `expectType` call and every `@ts-expect-error` line is one check, and so is the CommonJS project's
// resolving index.d.cts (not index.d.ts); if a project's tsc fails, all of its checks count as failed.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const scratch = join(root, 'tests/runtime/scratch');
if (!existsSync(join(scratch, 'node_modules/clerk-m2m-edge/package.json'))) {
  console.error('types: run tests/runtime/lanes.mjs first (it installs the packed package into the scratch project)');
  process.exit(2);
}
const dir = join(scratch, 'types');
const cjsDir = join(dir, 'cjs');
rmSync(dir, { recursive: true, force: true });
mkdirSync(cjsDir, { recursive: true });
const countChecks = (f) => {
  const text = readFileSync(join(here, f), 'utf8');
  return (text.match(/expectType</g) ?? []).length + (text.match(/@ts-expect-error/g) ?? []).length;
};
const compilerOptions = {
  strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022',
  lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false,
  // The settings a careful team uses: every optional option and param must also take `undefined`.
  exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true,
};
let esmChecks = 0, cjsChecks = 1; // + the CommonJS project's resolution check
for (const f of readdirSync(here)) {
  if (f.endsWith('.ts')) {
    esmChecks += countChecks(f);
    cpSync(join(here, f), join(dir, f));
  } else if (f.endsWith('.cts')) {
    cjsChecks += countChecks(f);
    cpSync(join(here, f), join(cjsDir, f));
  }
}
cpSync(join(here, 'expect.ts'), join(cjsDir, 'expect.ts'));
writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
writeFileSync(join(cjsDir, 'package.json'), JSON.stringify({ type: 'commonjs' }));
writeFileSync(join(cjsDir, 'tsconfig.json'), JSON.stringify({
  compilerOptions: { ...compilerOptions, module: 'node16', moduleResolution: 'node16' }, include: ['*.cts'],
}));

const tsc = join(root, 'node_modules/.bin/tsc');
let passed = 0, failed = 0;
function project(name, checks, projectDir, extra = () => {}) {
  try {
    execFileSync(tsc, ['-p', projectDir], { stdio: 'inherit' });
    extra();
    passed += checks;
  } catch (e) {
    console.log(`types: the ${name} project failed${e?.status === undefined ? `: ${e?.message ?? e}` : ''}`);
    failed += checks || 1;
  }
}
project('ESM (NodeNext)', esmChecks, dir);
project('CommonJS (node16)', cjsChecks, cjsDir, () => {
  const files = execFileSync(tsc, ['-p', cjsDir, '--listFilesOnly'], { encoding: 'utf8' }).split('\n');
  const ours = files.filter((f) => f.includes('/node_modules/clerk-m2m-edge/')).map((f) => f.replace(/.*\/node_modules\//, ''));
  if (ours.join() !== 'clerk-m2m-edge/index.d.cts') {
    throw new Error(`a require of clerk-m2m-edge resolved ${JSON.stringify(ours)}, not ["clerk-m2m-edge/index.d.cts"]`);
  }
});
console.log(`types: ${passed} passed, ${failed} failed`);
if (failed) process.exit(1);
