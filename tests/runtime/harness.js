// A tiny runtime-neutral test harness: no Node built-ins, so the same suite runs in Node, Deno, Bun, workerd
// and Chromium. A suite module exports `register(test, lib, ctx)`.

export class AssertionError extends Error {}

export const assert = {
  ok(value, message = 'expected a truthy value') {
    if (!value) throw new AssertionError(message);
  },
  equal(actual, expected, message) {
    if (!Object.is(actual, expected)) {
      throw new AssertionError(`${message ?? 'not equal'}: expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  deepEqual(actual, expected, message) {
    const a = canonical(actual), b = canonical(expected);
    if (a !== b) throw new AssertionError(`${message ?? 'not deep-equal'}: expected ${b}, got ${a}`);
  },
  match(actual, regex, message) {
    if (typeof actual !== 'string' || !regex.test(actual)) {
      throw new AssertionError(`${message ?? 'no match'}: ${show(actual)} !~ ${regex}`);
    }
  },
  async rejects(promiseOrFn, check, message) {
    let error;
    try {
      await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
    } catch (e) {
      error = e;
    }
    if (error === undefined) throw new AssertionError(message ?? 'expected a rejection');
    if (check) await check(error);
    return error;
  },
  throws(fn, check, message) {
    try {
      fn();
    } catch (e) {
      if (check) check(e);
      return e;
    }
    throw new AssertionError(message ?? 'expected a throw');
  },
};

function show(v) {
  try {
    return typeof v === 'string' ? JSON.stringify(v) : canonical(v);
  } catch {
    return String(v);
  }
}

function canonical(v) {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]))
      : x === undefined ? '<undefined>' : x,
  );
}

/** Runs every registered test of the given suites; returns [{name, ok, error?, ms}]. */
export async function runSuites(suites, lib, ctx, filter) {
  const tests = [];
  const test = (name, fn, opts = {}) => tests.push({ name, fn, ...opts });
  for (const suite of suites) await suite.register(test, lib, ctx);
  const results = [];
  for (const t of tests) {
    if (filter && !filter(t)) continue;
    const start = Date.now();
    try {
      await t.fn();
      results.push({ name: t.name, ok: true, ms: Date.now() - start });
    } catch (e) {
      results.push({ name: t.name, ok: false, error: String(e?.stack ?? e), ms: Date.now() - start });
    }
  }
  return results;
}
