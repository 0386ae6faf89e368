// Node's two entries (package.json exports: `import` → node.mjs, `require` → node.cjs) are one module instance:
// the same functions and error classes, so one JWKS cache and `instanceof` across both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { root } from './context.mjs';

const esm = await import(`${root}/pkg/node.mjs`);
const cjs = createRequire(import.meta.url)(`${root}/pkg/node.cjs`);

test('import and require expose the same names and the same objects', () => {
  assert.deepEqual(Object.keys(esm).sort(), Object.keys(cjs).sort());
  assert.ok(Object.keys(esm).length >= 8);
  for (const name of Object.keys(cjs)) assert.equal(esm[name], cjs[name], name);
});

test('an error from a client made through one entry is an instance of the class from the other', async () => {
  const client = cjs.createClerkClient({ jwtKey: 'not a key' });
  await assert.rejects(client.m2m.verify({ token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtY2hfMSJ9.c2ln' }), esm.MachineTokenVerificationError);
});
