#!/usr/bin/env node
// Type tests: `tsc --noEmit` over tests/types/*.ts, compiled in the scratch project where the packed package is
// installed (so the `exports` map's `types` condition is what resolves). Every `expectType` call and every
// `@ts-expect-error` line is one check; if tsc fails, all of them count as failed.
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
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);
let checks = 0;
for (const f of readdirSync(here).filter((f) => f.endsWith('.ts'))) {
  const text = readFileSync(join(here, f), 'utf8');
  checks += (text.match(/expectType</g) ?? []).length + (text.match(/@ts-expect-error/g) ?? []).length;
  cpSync(join(here, f), join(dir, f));
}
writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
  compilerOptions: {
    strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022',
    lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false, exactOptionalPropertyTypes: false,
  },
  include: ['*.ts'],
}));
try {
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', dir], { stdio: 'inherit' });
  console.log(`types: ${checks} passed, 0 failed`);
} catch {
  console.log(`types: 0 passed, ${checks || 1} failed`);
  process.exit(1);
}
