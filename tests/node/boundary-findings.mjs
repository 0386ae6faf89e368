// Regression scenarios for the boundary fuzz target's findings B2–B8 (docs/reliability-fuzzing.md): the shortest
// inputs of each, as fixed cases with exact expectations. Runtime-neutral (no Node-only code, no node:assert): run
// in Node by ./boundary-findings.test.mjs, and the B2–B4 ones (src/platform.rs) bundled into a Worker, in workerd.
// No Backend API is needed: every case fails before a request or answers through a custom `fetch`; `apiUrl` is a
// loopback port where nothing listens, and a request that reaches the global `fetch` fails the case.

/** Where nothing listens (loopback, so plain http is allowed). */
const API_URL = 'http://127.0.0.1:9';
const MACHINE_KEY = 'ak_FINDINGSfindingsFINDINGSfindings012345';
const TOKEN = `mt_${'0f'.repeat(16)}`;
/** How long a case may take to settle: every one here settles within a few hundred ms. */
const SETTLE_MS = 3000;
const UNREADABLE = 'cannot be read (a getter or a Proxy threw)';

class Boom extends Error {
  constructor(where) {
    super(`boom (${where})`);
    this.name = 'Boom';
  }
}

function fail(message) {
  throw new Error(message);
}

function describe(v) {
  try {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return `${typeof v} ${String(v)}`;
    return `${v.constructor?.name}: ${v.message}`;
  } catch {
    return '(an unreadable value)';
  }
}

/**
 * Calls `call()` (a method that returns a promise: it must not throw synchronously) and awaits it within SETTLE_MS:
 * `{ value }` or `{ error }`, and how long it took.
 */
async function settle(call) {
  let promise;
  try {
    promise = call();
  } catch (e) {
    fail(`threw synchronously (the method returns a promise): ${describe(e)}`);
  }
  if (typeof promise?.then !== 'function') fail(`returned ${typeof promise}, not a promise`);
  const started = Date.now();
  let timer;
  const outcome = await Promise.race([
    Promise.resolve(promise).then((value) => ({ value }), (error) => ({ error })),
    new Promise((resolve) => { timer = setTimeout(() => resolve({ pending: true }), SETTLE_MS); }),
  ]);
  clearTimeout(timer);
  if (outcome.pending) fail(`did not settle within ${SETTLE_MS} ms`);
  outcome.ms = Date.now() - started;
  return outcome;
}

/** `call()` rejects with an instance of `Class` whose message matches `pattern`; returns the error. */
async function rejects(call, Class, pattern) {
  const outcome = await settle(call);
  if (!('error' in outcome)) fail(`resolved (${JSON.stringify(outcome.value)?.slice(0, 200)}), expected ${Class.name} ${pattern}`);
  const e = outcome.error;
  if (!(e instanceof Class)) fail(`rejected with ${describe(e)}, expected ${Class.name} ${pattern}`);
  if (!pattern.test(e.message)) fail(`rejected with ${Class.name} "${e.message}", expected ${pattern}`);
  return Object.assign(e, { settledInMs: outcome.ms });
}

/** `fn()` throws (synchronously) a TypeError whose message matches `pattern`. */
function throwsTypeError(fn, pattern) {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof TypeError) || !pattern.test(e.message)) fail(`threw ${describe(e)}, expected a TypeError ${pattern}`);
    return;
  }
  fail(`did not throw, expected a TypeError ${pattern}`);
}

function equal(actual, expected, what) {
  if (actual !== expected) fail(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

/** `/…<text>…/` for literal text. */
const has = (text) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

/** A fetch option that answers with `response()` (what `fetch` resolves to), counting its calls. */
function customFetch(response) {
  const f = async (url, init) => {
    f.calls++;
    return response(url, init);
  };
  f.calls = 0;
  return f;
}

/** A Response-like: a page of no tokens, with `over`'s properties (getters stay getters) instead. */
function responseLike(over = {}) {
  const response = {
    status: 200,
    statusText: 'OK',
    headers: new Headers({ 'content-type': 'application/json' }),
    text: async () => '{"m2m_tokens":[],"total_count":0}',
  };
  return Object.defineProperties(response, Object.getOwnPropertyDescriptors(over));
}

/** A client whose requests go to `fetch` (by default one that fails the case: no request is expected). */
function client(pkg, options = {}) {
  const noRequest = customFetch(() => fail('a request was made'));
  return pkg.createClerkClient({ apiUrl: API_URL, machineSecretKey: MACHINE_KEY, fetch: noRequest, retry: false, ...options });
}

/** Each method of `cl` that takes params with a `signal`, called with `signal`. */
function callsWithSignal(cl, signal) {
  const request = new Request('http://receiver.test/', { headers: { authorization: `Bearer ${TOKEN}` } });
  return {
    'm2m.list': () => cl.m2m.list({ subject: 'mch_x', signal }),
    'm2m.listAll': () => cl.m2m.listAll({ subject: 'mch_x', signal }).next(),
    'm2m.createToken': () => cl.m2m.createToken({ signal }),
    'm2m.revokeToken': () => cl.m2m.revokeToken({ m2mTokenId: TOKEN, signal }),
    'm2m.verify': () => cl.m2m.verify({ token: TOKEN, signal }),
    'm2mTokens.verifySecret': () => cl.m2mTokens.verifySecret({ secret: TOKEN, signal }),
    authenticateRequest: () => cl.authenticateRequest(request, { acceptsToken: 'm2m_token', signal }),
  };
}

/** `{ aborted }` read as `false` the first `n` times, then a getter that throws. */
function signalThrowingAfter(n) {
  let reads = 0;
  return {
    get aborted() {
      if (reads++ < n) return false;
      throw new Boom('signal.aborted');
    },
    addEventListener() {},
    removeEventListener() {},
  };
}

/**
 * The scenarios: `{ finding, name, workerd, run(pkg) }`; `run` throws on a failure. `workerd: true` ones (B2–B4,
 * src/platform.rs) also run inside a Worker.
 */
export const SCENARIOS = [
  {
    finding: 'B2', workerd: true,
    name: "a signal whose `aborted` getter (or Proxy) throws: every method rejects with a TypeError naming it, and makes no request",
    async run(pkg) {
      const signals = {
        getter: () => ({ get aborted() { throw new Boom('signal.aborted getter'); } }),
        proxy: () => new Proxy({ aborted: false }, { get() { throw new Boom('signal proxy get'); } }),
      };
      for (const [kind, make] of Object.entries(signals)) {
        for (const [method, call] of Object.entries(callsWithSignal(client(pkg), make()))) {
          try {
            await rejects(call, TypeError, has(`params.signal.aborted ${UNREADABLE}`));
          } catch (e) {
            fail(`${method}, ${kind}: ${e.message}`);
          }
        }
      }
    },
  },
  {
    finding: 'B2', workerd: true,
    name: 'a signal whose `aborted` throws only from its second read on (the one src/platform.rs makes before the request): a ClerkAPIResponseError naming it, no request, nothing uncaught',
    async run(pkg) {
      const e = await rejects(() => client(pkg).m2m.createToken({ signal: signalThrowingAfter(1) }), pkg.ClerkAPIResponseError, has(`params.signal.aborted ${UNREADABLE}`));
      if (!(e.cause instanceof TypeError)) fail(`cause: ${describe(e.cause)}, expected the TypeError`);
      // After the request: the read that tells an abort from a network failure throws (the fetch rejected).
      const fetch = customFetch(() => Promise.reject(new TypeError('fetch failed')));
      await rejects(() => client(pkg, { fetch }).m2m.createToken({ signal: signalThrowingAfter(2) }), pkg.ClerkAPIResponseError, /fetch failed/);
      equal(fetch.calls, 1, 'requests');
    },
  },
  {
    finding: 'B2', workerd: true,
    name: 'a signal made with Object.create(an AbortSignal) (its getters throw "Illegal invocation" in workerd) settles with a documented outcome',
    async run(pkg) {
      const fetch = customFetch(() => responseLike());
      const outcome = await settle(() => client(pkg, { fetch }).m2m.list({ subject: 'mch_x', signal: Object.create(new AbortController().signal) }));
      if ('error' in outcome && !(outcome.error instanceof TypeError)) fail(`rejected with ${describe(outcome.error)}`);
      if ('value' in outcome) equal(outcome.value.totalCount, 0, 'totalCount');
    },
  },
  {
    finding: 'B2', workerd: true,
    name: 'an aborted signal-like whose `reason` getter throws: the call rejects with an AbortError',
    async run(pkg) {
      const signal = { aborted: true, get reason() { throw new Boom('signal.reason'); }, addEventListener() {}, removeEventListener() {} };
      const e = await rejects(() => client(pkg).m2m.createToken({ signal }), DOMException, /aborted/);
      equal(e.name, 'AbortError', 'name');
    },
  },
  {
    finding: 'B3', workerd: true,
    name: 'a custom Response whose text() is not a promise, returns a throwing thenable, throws, or is missing: the body, or a ClerkAPIResponseError naming what was wrong',
    async run(pkg) {
      const list = (response) => client(pkg, { fetch: customFetch(() => responseLike(response)) }).m2m.list({ subject: 'mch_x' });
      // A value (not a promise) is the body, as `await response.text()` takes it.
      const page = await settle(() => list({ text: () => '{"m2m_tokens":[],"total_count":0}' }));
      if ('error' in page) fail(`text() returning a string: rejected with ${describe(page.error)}`);
      equal(page.value.totalCount, 0, 'totalCount');
      const cases = [
        [{ text: () => ({ then() { throw new Boom('text thenable'); } }) }, has('boom (text thenable)')],
        [{ text() { throw new Boom('response.text'); } }, has('boom (response.text)')],
        [{ text: async () => { throw new Boom('text rejected'); } }, has('boom (text rejected)')],
        [{ text: undefined }, has('fetch returned a response without text()')],
        [{ text: 'not a function' }, has('fetch returned a response without text()')],
        [{ get text() { throw new Boom('text getter'); } }, has('boom (text getter)')],
        [{ headers: undefined }, has('fetch returned a response without headers.get()')],
        [{ headers: { get() { throw new Boom('headers.get'); } } }, has('boom (headers.get)')],
        [{ get status() { throw new Boom('response.status'); } }, has('boom (response.status)')],
      ];
      for (const [response, pattern] of cases) {
        try {
          const e = await rejects(() => list(response), pkg.ClerkAPIResponseError, pattern);
          equal(e.errors[0]?.code, 'unexpected_error', 'errors[0].code');
        } catch (err) {
          fail(`${Object.keys(response).join(', ')}: ${err.message}`);
        }
      }
      // A header value that is not a string counts as absent: no content-type, so the 200 is not JSON.
      await rejects(() => list({ headers: { get: () => 5 } }), pkg.ClerkAPIResponseError, /Unexpected response/);
      // A fetch that resolves to a thenable whose `then` throws, or to something without a status.
      const fetchThenable = () => ({ then() { throw new Boom('fetch thenable'); } });
      await rejects(() => client(pkg, { fetch: fetchThenable }).m2m.createToken(), pkg.ClerkAPIResponseError, has('boom (fetch thenable)'));
      await rejects(() => client(pkg, { fetch: () => 5 }).m2m.createToken(), pkg.ClerkAPIResponseError, has('fetch returned no response object'));
      await rejects(() => client(pkg, { fetch: async () => ({ ...responseLike(), status: '200' }) }).m2m.createToken(), pkg.ClerkAPIResponseError, /without a numeric status/);
    },
  },
  {
    finding: 'B4', workerd: true,
    name: 'timeoutMs ends a call whose custom fetch (or body read) never settles and ignores its signal',
    async run(pkg) {
      const never = () => new Promise(() => {});
      const cases = {
        'fetch never settles': customFetch(never),
        'text() never settles': customFetch(() => responseLike({ text: never })),
      };
      for (const [what, fetch] of Object.entries(cases)) {
        for (const [method, call] of Object.entries({
          'm2m.createToken': (cl) => cl.m2m.createToken({ timeoutMs: 100 }),
          'm2m.list': (cl) => cl.m2m.list({ subject: 'mch_x', timeoutMs: 100 }),
          'm2m.verify (opaque)': (cl) => cl.m2m.verify({ token: TOKEN, timeoutMs: 100 }),
        })) {
          try {
            const e = await rejects(() => call(client(pkg, { fetch })), pkg.ClerkAPIResponseError, has('Clerk Backend API request timed out after 100 ms'));
            equal(e.errors[0]?.code, 'request_timeout', 'errors[0].code');
          } catch (err) {
            fail(`${what}, ${method}: ${err.message}`);
          }
        }
      }
      // The client's own timeout too.
      await rejects(() => client(pkg, { fetch: customFetch(never), timeoutMs: 150 }).m2m.createToken(), pkg.ClerkAPIResponseError, /timed out after 150 ms/);
    },
  },
  {
    finding: 'B4', workerd: true,
    name: "the caller's abort ends a call whose custom fetch never settles and ignores its signal, with the signal's reason",
    async run(pkg) {
      const controller = new AbortController();
      const reason = new Boom('abort reason');
      setTimeout(() => controller.abort(reason), 50);
      const outcome = await settle(() => client(pkg, { fetch: customFetch(() => new Promise(() => {})), timeoutMs: 0 }).m2m.createToken({ signal: controller.signal }));
      if (outcome.error !== reason) fail(`settled with ${'error' in outcome ? describe(outcome.error) : 'a value'}, expected the abort reason`);
    },
  },
  {
    finding: 'B5',
    name: "params whose getters or Proxy traps throw: a TypeError naming the parameter (never the caller's value), as a rejection",
    async run(pkg) {
      const cl = client(pkg);
      const getter = (key, value = {}) => Object.defineProperty(value, key, { get() { throw 'boom'; }, enumerable: true });
      const cases = [
        // fail() re-read params.signal after the walker's error: now the signal is read once, first.
        ['m2m.createToken(Proxy get throws)', () => cl.m2m.createToken(new Proxy({ claims: 5 }, { get() { throw 'boom'; } })), 'params.signal'],
        ['m2m.createToken(Proxy ownKeys throws)', () => cl.m2m.createToken(new Proxy({}, { ownKeys() { throw 'boom'; } })), 'params'],
        ['m2m.listAll(limit getter)', () => cl.m2m.listAll(getter('limit', { subject: 'mch_x' })).next(), 'params.limit'],
        ['m2m.listAll(array index getter)', () => cl.m2m.listAll(getter('0', [])).next(), 'params.0'],
        ['m2m.list for await (offset getter)', () => cl.m2m.list(getter('offset', { subject: 'mch_x' }))[Symbol.asyncIterator]().next(), 'params.offset'],
        ['m2m.listAll(revoked Proxy)', () => { const r = Proxy.revocable({}, {}); r.revoke(); return cl.m2m.listAll(r.proxy).next(); }, 'params'],
        ['m2m.verify(token getter)', () => cl.m2m.verify(getter('token')), 'params.token'],
        ['m2m.verify(Proxy getPrototypeOf throws)', () => cl.m2m.verify(new Proxy({ token: TOKEN }, { getPrototypeOf() { throw 'boom'; } })), 'params'],
        ['m2mTokens.verifyToken(Proxy ownKeys throws)', () => cl.m2mTokens.verifyToken(new Proxy({ token: TOKEN }, { ownKeys() { throw 'boom'; } })), 'params'],
        ['m2mTokens.verifySecret(secret getter)', () => cl.m2mTokens.verifySecret(getter('secret')), 'params.secret'],
        ['m2mTokens.verifySecret(other getter)', () => cl.m2mTokens.verifySecret(getter('audience', { secret: TOKEN })), 'params.audience'],
        ['authenticateRequest(headers getter)', () => cl.authenticateRequest(getter('headers')), 'request.headers'],
        ['authenticateRequest(headers.get getter)', () => cl.authenticateRequest({ headers: getter('get') }), 'request.headers.get'],
        ['authenticateRequest(headers.get throws)', () => cl.authenticateRequest({ headers: { get() { throw 'boom'; } } }), "request.headers.get('authorization')"],
        ['authenticateRequest(Proxy request)', () => cl.authenticateRequest(new Proxy({}, { get() { throw 'boom'; } })), 'request.headers'],
        ['authenticateRequest(options getter)', () => cl.authenticateRequest(new Request('http://receiver.test/'), getter('signal')), 'params.signal'],
      ];
      for (const [what, call, path] of cases) {
        try {
          await rejects(call, TypeError, has(`${path} ${UNREADABLE}`));
        } catch (e) {
          fail(`${what}: ${e.message}`);
        }
      }
      // createClerkClient throws synchronously by design: its TypeError names the option.
      const options = (key) => getter(key, { apiUrl: API_URL, machineSecretKey: MACHINE_KEY });
      for (const key of ['fetch', 'env', 'secretKey']) throwsTypeError(() => pkg.createClerkClient(options(key)), has(`options.${key} ${UNREADABLE}`));
      throwsTypeError(() => pkg.createClerkClient(new Proxy({}, { ownKeys() { throw 'boom'; } })), has(`options ${UNREADABLE}`));
      throwsTypeError(() => pkg.createClerkClient(new Proxy({}, { get() { throw 'boom'; } })), has(`options.fetch ${UNREADABLE}`));
    },
  },
  {
    finding: 'B6',
    name: "authenticateRequest with a headers.get('authorization') that is not a string: a TypeError at once (no hang); null is no header",
    async run(pkg) {
      const cl = client(pkg);
      const values = { number: 5, object: {}, array: [], 'array-like of length 2^32 - 1': { length: 2 ** 32 - 1 }, 'huge array': new Array(2 ** 32 - 1), symbol: Symbol('x'), bigint: 5n };
      for (const [what, value] of Object.entries(values)) {
        try {
          const e = await rejects(() => cl.authenticateRequest({ headers: { get: () => value } }), TypeError, has("request.headers.get('authorization') must return a string or null"));
          if (e.settledInMs > 1000) fail(`took ${e.settledInMs} ms`);
        } catch (err) {
          fail(`${what}: ${err.message}`);
        }
      }
      for (const value of [null, undefined]) {
        const state = (await settle(() => cl.authenticateRequest({ headers: { get: () => value } }, { acceptsToken: 'm2m_token' }))).value;
        equal(state?.isAuthenticated, false, `${value}: isAuthenticated`);
      }
    },
  },
  {
    finding: 'B7',
    name: 'the type guards return false for revoked Proxies and throwing getPrototypeOf traps, and still recognise the classes',
    async run(pkg) {
      const revoked = Proxy.revocable({}, {});
      revoked.revoke();
      const values = [revoked.proxy, new Proxy({}, { getPrototypeOf() { throw new Boom('getPrototypeOf'); } }), new Proxy({}, { getPrototypeOf() { throw 'boom'; } })];
      for (const guard of ['isClerkAPIResponseError', 'isMachineTokenVerificationError']) {
        for (const v of values) equal(pkg[guard](v), false, guard);
        equal(pkg[guard](new Error('x')), false, `${guard}(Error)`);
      }
      equal(pkg.isClerkAPIResponseError(new pkg.ClerkAPIResponseError('x')), true, 'isClerkAPIResponseError(ClerkAPIResponseError)');
      equal(pkg.isMachineTokenVerificationError(new pkg.MachineTokenVerificationError('x')), true, 'isMachineTokenVerificationError(MachineTokenVerificationError)');
    },
  },
  {
    finding: 'B8',
    name: "toAuth().has() whose scope getter or Proxy throws: the documented TypeError, not the caller's value",
    async run(pkg) {
      const state = (await settle(() => client(pkg).authenticateRequest(new Request('http://receiver.test/'), { acceptsToken: 'm2m_token' }))).value;
      const auth = state.toAuth();
      throwsTypeError(() => auth.has({ get scope() { throw 'boom'; } }), has(`params.scope ${UNREADABLE}`));
      throwsTypeError(() => auth.has(new Proxy({}, { get() { throw new Boom('has proxy'); } })), has(`params.scope ${UNREADABLE}`));
      throwsTypeError(() => auth.has({ scope: '' }), /has\(\{ scope \}\) needs scope/);
      equal(auth.has({ scope: 'mch_x' }), false, 'has (signed out)');
    },
  },
];

/**
 * Runs the scenarios `filter` keeps, each on its own with the events `events` recorded meanwhile (uncaught exceptions,
 * unhandled rejections) failing it: `[{ finding, name, ok, error? }]`.
 */
export async function runScenarios(pkg, { filter = () => true, events = { take: () => [] } } = {}) {
  const results = [];
  for (const s of SCENARIOS.filter(filter)) {
    let error;
    try {
      await s.run(pkg);
    } catch (e) {
      error = describe(e);
    }
    // Unhandled rejections are reported after the microtask queue drains.
    await new Promise((r) => setTimeout(r, 10));
    const leftover = events.take();
    if (leftover.length) error = `${error ? `${error}; ` : ''}recorded meanwhile: ${leftover.join('; ')}`;
    results.push({ finding: s.finding, name: s.name, ok: error === undefined, ...(error ? { error } : {}) });
  }
  return results;
}
