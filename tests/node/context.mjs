// Shared by the Node tests: the local Backend API started by scripts/test (CLERK_TEST_CONTEXT), or one started
// here when the file is run on its own.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** `fresh`: a Backend API of its own even under scripts/test, for tests that count what the instance holds. */
export async function localBapi({ fresh = false } = {}) {
  if (process.env.CLERK_TEST_CONTEXT && !fresh) return { ...JSON.parse(process.env.CLERK_TEST_CONTEXT), stop: async () => {} };
  const child = spawn(`${root}/scripts/local-bapi`, ['--port', '0', '--seed', '11'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return { ...JSON.parse(line), stop: async () => { child.kill('SIGTERM'); await once(child, 'exit'); } };
}

export async function admin(ctx, method, path, body) {
  const res = await fetch(`${ctx.url}/__admin${path}`, {
    method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

export async function requestsDuring(ctx, fn) {
  const before = (await admin(ctx, 'GET', '/requests')).length;
  const value = await fn();
  return { value, requests: (await admin(ctx, 'GET', '/requests')).slice(before) };
}

/** A plain-JSON view of a result, so class instances and plain objects compare by their fields. */
export const plain = (v) => JSON.parse(JSON.stringify(v));

/** `JSON.stringify` of both is the same text: equal values with their keys in the same order. */
export function assertSameJson(actual, expected, message) {
  assert.equal(JSON.stringify(actual), JSON.stringify(expected), message);
}
