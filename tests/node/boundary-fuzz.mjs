// The boundary fuzz target: a property-based test (fast-check) of the JS ↔ WASM boundary. Shared by
// tests/node/boundary-fuzz.test.mjs (a short run in Node and, bundled into a Worker, in workerd) and
// `scripts/fuzz --boundary` (a long run). No Node-only code: the same file runs inside workerd.
//
// What it generates: *recipes* — plain data that fast-check can print, shrink and replay — each built into a
// fresh hostile JS value per call (so a Proxy, a getter's call count or an AbortController is never shared
// between calls): huge and sparse arrays (`new Array(1e8)`, `new Array(2 ** 32 - 1)`,
// `Object.assign([], { length: 2 ** 32 - 1 })`, `a.length = n`), arrays with holes, throwing getters (on
// objects and array indices), Proxies whose traps throw (get, has, ownKeys, getPrototypeOf,
// getOwnPropertyDescriptor, ...) or lie (a `length` of 2^32 - 1, keys that change), revoked Proxies,
// symbols (as values and keys), BigInt, cycles, deep nesting (10–10 000), wide objects, class instances,
// Date, Map, Set, typed arrays, functions, boxed primitives, `NaN`/`-0`/`±Infinity`, lone surrogates, long
// strings (1–10 MB), prototype tricks (`__proto__`, `constructor`, `toString`, `toJSON`, `valueOf`, `then`
// as own keys, null-prototype objects, `Object.create(proxy)`, `{ __proto__: x }` by assignment), getters
// that return a valid value first and a hostile one after (time of check vs time of use), plus
// plausible-but-wrong values for every documented parameter. They are fed as every method's params
// (m2m.list — awaited and `for await` —, m2m.listAll, m2m.createToken/revokeToken/verify, m2mTokens.*),
// `createClerkClient` options (`env`, `fetch` (hostile fetch implementations and Response-likes),
// `retry`, ...) followed by one call on the client, `authenticateRequest`'s request (real Requests and
// objects pretending to be one: `headers.get` throwing, returning non-strings, huge or lone-surrogate
// strings) and options, `toAuth().has(params)`, and the two type guards.
//
// The property, for every call: it settles — resolves, or rejects (throws, for `createClerkClient`, which
// throws synchronously by design) with an Error of a documented class: TypeError, ClerkAPIResponseError,
// MachineTokenVerificationError, ClerkConfigurationError, or, when one of the call's signals is aborted, the
// signal's reason (or the AbortError DOMException) — within SETTLE_MS; no other method throws synchronously;
// the guards return booleans and never throw; `toAuth().has()` returns a boolean or throws its documented
// TypeError (a missing or empty scope); no unhandled rejection or uncaught exception is
// recorded while it runs; and no error text (message, String(e), stack, `errors`) contains a secret key.
// After each batch (one target), a health check — fresh and long-lived clients: `m2m.verify` of a good
// opaque token by the Backend API and of a good JWT locally, `m2m.list`, `authenticateRequest` and
// `version()` — must succeed: the WASM instance is not poisoned. Every request the package makes goes through
// a guard on the global `fetch` that lets only loopback through (counted, and bounded per case).
//
// Failures are collected (not stopped at): the report groups them by target and observed behaviour, with the
// shortest inputs as examples and the run index that replays each one (`FUZZ_SEED=<seed> FUZZ_PATH=<index>`
// for that target). `shrink: true` instead stops at the first failure of each target and lets fast-check
// shrink it.
import fc from 'fast-check';

/** A call that has not settled after this long fails as "did not settle". */
export const SETTLE_MS = 10_000;
/** After an uncaught exception during a call, how long the call still gets to settle before it is given up. */
const AFTER_UNCAUGHT_MS = 300;
/** Requests one case may make (one call plus a follow-up; `list` retries; listAll pages). */
const MAX_REQUESTS_PER_CASE = 12;

// ---------------------------------------------------------------------------------------------------------
// Events: unhandled rejections and uncaught exceptions, recorded by the host (process.on in Node,
// addEventListener in workerd) and attributed to the case that was running.

export class EventLog {
  constructor() {
    this.items = [];
    this.waiters = [];
  }
  record(kind, value) {
    this.items.push({ kind, text: describeThrown(value) });
    for (const wake of this.waiters.splice(0)) wake();
  }
  take() {
    return this.items.splice(0);
  }
  /** `{ promise, cancel }`: the promise resolves when the next event is recorded. */
  next() {
    let wake;
    const promise = new Promise((resolve) => { wake = resolve; this.waiters.push(resolve); });
    return { promise, cancel: () => { this.waiters = this.waiters.filter((x) => x !== wake); } };
  }
}

// ---------------------------------------------------------------------------------------------------------
// The fixture: what valid values refer to (JSON, so that it can be handed to the Worker).

/**
 * Mints the fixture's tokens straight from the local Backend API (never through the package): opaque tokens of
 * machine A (scoped to B, so B's key verifies them), JWTs of A, a pool of token ids for revokeToken, and the
 * health check's own tokens (never referred to by a fuzz case, so never revoked by one).
 */
export async function makeFixture(ctx) {
  const [A, B, C] = ctx.machines;
  const bapi = async (method, path, key, body) => {
    const res = await fetch(`${ctx.url}${path}`, {
      method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const mint = (body = {}) => bapi('POST', '/v1/m2m_tokens', A.secretKey, body);
  const jwt = async () => (await mint({ token_format: 'jwt', seconds_until_expiration: 7 * 86400 })).token;
  const keys = await (await fetch(`${ctx.url}/__admin/keys`)).json();
  const opaque = [(await mint({ claims: { fixture: 1 } })).token, (await mint()).token];
  const ids = [];
  for (let i = 0; i < 6; i++) ids.push((await mint({ seconds_until_expiration: 86400 })).id);
  return {
    url: ctx.url,
    secretKey: ctx.secretKey,
    machines: [A, B, C].map((m) => ({ id: m.id, secretKey: m.secretKey })),
    pem: keys.current.pem,
    opaque,
    jwt: [await jwt()],
    ids,
    health: { opaque: (await mint()).token, jwt: await jwt() },
  };
}

/** Well-formed keys nobody has: used as wrong keys, and scanned for in error texts like the real ones. */
const FAKE_SK = 'sk_test_FUZZfuzzFUZZfuzzFUZZfuzzFUZZfuzz0123';
const FAKE_AK = 'ak_FUZZfuzzFUZZfuzzFUZZfuzzFUZZfuzz01234567';

function refs(fx) {
  const [A, B, C] = fx.machines;
  return {
    'A.id': A.id, 'B.id': B.id, 'C.id': C.id, 'A.key': A.secretKey, 'B.key': B.secretKey, 'C.key': C.secretKey,
    sk: fx.secretKey, pem: fx.pem, url: fx.url, opaque: fx.opaque[0], opaque2: fx.opaque[1], jwt: fx.jwt[0],
    fakeSk: FAKE_SK, fakeAk: FAKE_AK, unknownMch: 'mch_FUZZfuzzFUZZfuzzFUZZfuzzFUZ', unknownMt: `mt_${'0f'.repeat(16)}`,
    // A JWKS without keys, as jwtKey.
    jwks: JSON.stringify({ keys: [] }),
  };
}

function secretsOf(fx) {
  return [fx.secretKey, ...fx.machines.map((m) => m.secretKey), FAKE_SK, FAKE_AK];
}

// ---------------------------------------------------------------------------------------------------------
// Building recipes into values.

class Boom extends Error {
  constructor(where) {
    super(`boom (${where})`);
    this.name = 'Boom';
  }
}

/** What a hostile getter or trap throws. */
function thrown(kind, where) {
  switch (kind) {
    case 'string': return `boom (${where})`;
    case 'undefined': return undefined;
    case 'proxy': return new Proxy({}, throwingHandler('error', `${where}, thrown proxy`));
    default: return new Boom(where);
  }
}

function throwingHandler(kind, where, traps = ['get', 'has', 'ownKeys', 'getPrototypeOf', 'getOwnPropertyDescriptor']) {
  const handler = {};
  for (const trap of traps) handler[trap] = () => { throw thrown(kind, `${where}: ${trap} trap`); };
  return handler;
}

const INSTANCES = {
  class: () => new (class Point { constructor() { this.x = 1; } })(),
  date: () => new Date(0),
  invalidDate: () => new Date(NaN),
  map: () => new Map([['subject', 'x']]),
  set: () => new Set([1]),
  weakMap: () => new WeakMap(),
  u8: () => new Uint8Array([109, 116, 95]),
  f64: () => new Float64Array(3),
  bigU64: () => new BigUint64Array(2),
  dataView: () => new DataView(new ArrayBuffer(4)),
  arrayBuffer: () => new ArrayBuffer(8),
  regexp: () => /mt_.*/g,
  error: () => new TypeError('not a param'),
  promise: () => Promise.resolve('mt_x'),
  rejected: () => { const p = Promise.reject(new Boom('rejected promise value')); p.catch(() => {}); return p; },
  boxedString: () => new String('mt_boxed'),
  boxedNumber: () => new Number(10),
  boxedBool: () => new Boolean(false),
  args: function () { return arguments; },
  arraySubclass: () => { class Sub extends Array {} return Sub.from([1, 2]); },
  url: () => new URL('http://127.0.0.1:9/'),
  headers: () => new Headers({ authorization: 'Bearer mt_x' }),
  request: () => new Request('http://127.0.0.1:9/', { headers: { authorization: 'Bearer mt_x' } }),
  response: () => new Response('{}'),
  abortSignal: () => new AbortController().signal,
  eventTarget: () => new EventTarget(),
  textEncoder: () => new TextEncoder(),
  globalThis: () => globalThis,
  frozenArray: () => Object.freeze([1, 2]),
  json: () => JSON,
  math: () => Math,
};

const FUNCTIONS = {
  arrow: () => () => 1,
  async: () => async () => 1,
  generator: () => function* g() { yield 1; },
  klass: () => class K {},
  bound: () => function f() { return this; }.bind(null),
  throwing: () => () => { throw new Boom('function value called'); },
  withProps: () => Object.assign(() => 1, { subject: 'mch_x', token: 'mt_x' }),
  native: () => Math.max,
};

const SIGNALS = {
  live: () => new AbortController().signal,
  aborted: () => { const c = new AbortController(); c.abort(); return c.signal; },
  abortedWithReason: () => { const c = new AbortController(); c.abort(new Boom('abort reason')); return c.signal; },
  abortedWithString: () => { const c = new AbortController(); c.abort('reason string'); return c.signal; },
  abortStatic: () => AbortSignal.abort(),
  timeout1: () => AbortSignal.timeout(1),
  abortSoon: () => { const c = new AbortController(); setTimeout(() => c.abort(), 2); return c.signal; },
  likeAbortedTrue: () => ({ aborted: true }),
  likeAbortedFalse: () => ({ aborted: false, addEventListener() {}, removeEventListener() {} }),
  likeAbortedString: () => ({ aborted: 'yes' }),
  likeThrowingListeners: () => ({ aborted: false, addEventListener() { throw new Boom('addEventListener'); }, removeEventListener() { throw new Boom('removeEventListener'); } }),
  likeAbortedGetterThrows: () => ({ get aborted() { throw new Boom('signal.aborted getter'); } }),
  likeAbortedFlips: () => { let n = 0; return { get aborted() { return n++ > 0; }, addEventListener() {}, removeEventListener() {} }; },
  proxyGetThrows: () => new Proxy({ aborted: false }, { get() { throw new Boom('signal proxy get'); } }),
  proxyHasThrows: () => new Proxy({ aborted: false }, { has() { throw new Boom('signal proxy has'); } }),
  eventTarget: () => new EventTarget(),
  empty: () => ({}),
};

/**
 * Hostile `fetch` implementations for `createClerkClient({ fetch })`. None of them reaches the network. A Response-like
 * takes `over`'s properties as they are defined (a spread would run a throwing getter while building it).
 */
function response(over = {}) {
  const r = {
    status: 200,
    statusText: 'OK',
    headers: new Headers({ 'content-type': 'application/json' }),
    text: async () => '{"m2m_tokens":[],"total_count":0}',
  };
  return Object.defineProperties(r, Object.getOwnPropertyDescriptors(over));
}
const FETCHES = {
  throws: () => () => { throw new Boom('fetch'); },
  throwsString: () => () => { throw 'fetch threw a string'; },
  rejects: () => async () => { throw new Boom('fetch rejected'); },
  rejectsWithProxy: () => async () => { throw new Proxy({}, throwingHandler('error', 'fetch rejection value')); },
  returnsNumber: () => () => 5,
  returnsNull: () => async () => null,
  returnsProxy: () => async () => new Proxy({}, throwingHandler('error', 'response proxy')),
  thenableThrows: () => () => ({ then() { throw new Boom('fetch thenable'); } }),
  neverSettles: () => () => new Promise(() => {}),
  neverSettlesHonoursSignal: () => (url, init) => new Promise((_, reject) => {
    init?.signal?.addEventListener?.('abort', () => reject(new DOMException('aborted', 'AbortError')));
  }),
  statusGetterThrows: () => async () => response({ get status() { throw new Boom('response.status'); } }),
  statusNaN: () => async () => response({ status: NaN }),
  statusHuge: () => async () => response({ status: 1e9 }),
  statusString: () => async () => response({ status: '200' }),
  headersMissing: () => async () => response({ headers: undefined }),
  headersGetThrows: () => async () => response({ headers: { get() { throw new Boom('headers.get'); } } }),
  headersGetNumber: () => async () => response({ headers: { get: () => 5 } }),
  headersGetHuge: () => async () => response({ headers: { get: () => 'x'.repeat(2 ** 20) } }),
  textThrows: () => async () => response({ text() { throw new Boom('response.text'); } }),
  textGetterThrows: () => async () => response({ get text() { throw new Boom('response.text getter'); } }),
  textMissing: () => async () => response({ text: undefined }),
  textNeverSettles: () => async () => response({ text: () => new Promise(() => {}) }),
  headersGetHugeArrayLike: () => async () => response({ headers: { get: () => ({ length: 2 ** 32 - 1 }) } }),
  textNotPromise: () => async () => response({ text: () => '{"m2m_tokens":[],"total_count":0}' }),
  textThenableThrows: () => async () => response({ text: () => ({ then() { throw new Boom('text thenable'); } }) }),
  textRejects: () => async () => response({ text: async () => { throw new Boom('text rejected'); } }),
  textNumber: () => async () => response({ text: async () => 42 }),
  textHuge: () => async () => response({ text: async () => 'x'.repeat(5 * 2 ** 20) }),
  textDeepJson: () => async () => response({ text: async () => `{"m2m_tokens":${'['.repeat(1e5)}${']'.repeat(1e5)},"total_count":1}` }),
  textLoneSurrogate: () => async () => response({ text: async () => '{"m2m_tokens":[],"total_count":0,"x":"\uD800"}' }),
  textWrongShape: () => async () => response({ text: async () => '{"m2m_tokens":{"length":4294967295},"total_count":-1}' }),
  status500: () => async () => response({ status: 500, statusText: 'boom', text: async () => '<html>' }),
  status429: () => async () => response({ status: 429, headers: new Headers({ 'retry-after': '1e308' }) }),
  passthrough: () => (url, init) => fetch(url, init),
};

/** A fresh value for `recipe`. `ctx.signals` collects the signals built, to judge an AbortError. */
export function build(recipe, ctx) {
  if (recipe === null || typeof recipe !== 'object') return recipe;
  if (Array.isArray(recipe)) return recipe.map((r) => build(r, ctx));
  const b = (r) => build(r, ctx);
  // A literal object (a constant of PARAMS): built key by key.
  if (!('t' in recipe)) return Object.fromEntries(Object.entries(recipe).map(([k, v]) => [k, b(v)]));
  switch (recipe.t) {
    case 'ref': {
      const v = ctx.refs[recipe.name];
      return recipe.name === 'tokenId' ? ctx.fx.ids[recipe.i % ctx.fx.ids.length] : v;
    }
    case 'long': return recipe.ch.repeat(Math.ceil((recipe.mb * 2 ** 20) / recipe.ch.length)) + (recipe.tail ?? '');
    case 'sym': return recipe.registered ? Symbol.for(recipe.d) : recipe.d === 'iterator' ? Symbol.iterator : Symbol(recipe.d);
    case 'inst': return INSTANCES[recipe.kind]();
    case 'fn': return FUNCTIONS[recipe.kind]();
    case 'fetch': return FETCHES[recipe.kind]();
    case 'signal': {
      const s = SIGNALS[recipe.kind]();
      ctx.signals.push(s);
      return s;
    }
    case 'huge': {
      let a;
      if (recipe.how === 'new') a = new Array(recipe.len);
      else if (recipe.how === 'assign') a = Object.assign([], { length: recipe.len });
      else { a = []; a.length = recipe.len; }
      for (const [i, v] of recipe.at ?? []) a[Math.min(i, recipe.len - 1)] = b(v);
      return a;
    }
    case 'holes': {
      const a = new Array(recipe.len);
      for (const [i, v] of recipe.at) a[i % recipe.len] = b(v);
      return a;
    }
    case 'arr': return recipe.items.map(b);
    case 'wide': {
      if (recipe.array) return Array.from({ length: recipe.n }, (_, i) => i);
      const o = {};
      for (let i = 0; i < recipe.n; i++) o[`k${i}`] = i;
      return o;
    }
    case 'obj': return object(recipe, ctx);
    case 'deep': {
      let v = b(recipe.leaf);
      for (let i = 0; i < recipe.depth; i++) {
        const asArray = recipe.kind === 'arr' || (recipe.kind === 'mixed' && i % 2 === 1);
        v = asArray ? [v] : { k: v };
      }
      return v;
    }
    case 'cycle': {
      if (recipe.kind === 'arr') { const a = [1]; a.push(a); return a; }
      if (recipe.kind === 'mutual') { const x = {}; const y = { x }; x.y = y; return { x }; }
      const root = {};
      let node = root;
      for (let i = 0; i < recipe.at; i++) node = node.k = {};
      node.back = root;
      return root;
    }
    case 'shared': { const x = b(recipe.inner); return { a: x, b: x, c: [x, x] }; }
    case 'revoked': {
      const { proxy, revoke } = Proxy.revocable(recipe.array ? [] : {}, {});
      revoke();
      return proxy;
    }
    case 'proxy': {
      const target = recipe.target === 'arr' ? [1, 2] : recipe.target === 'fn' ? () => 1 : object({ entries: recipe.entries ?? [] }, ctx);
      return new Proxy(target, throwingHandler(recipe.throws, `proxy ${recipe.trap}`, [recipe.trap]));
    }
    case 'lying': return lying(recipe, ctx);
    case 'getter': {
      const o = object({ entries: recipe.entries ?? [] }, ctx);
      Object.defineProperty(o, recipe.key, { get() { throw thrown(recipe.throws, `getter ${recipe.key}`); }, enumerable: recipe.enumerable !== false, configurable: true });
      return o;
    }
    case 'arrIndexGetter': {
      const a = [1, 2, 3];
      Object.defineProperty(a, recipe.i % 3, { get() { throw thrown(recipe.throws, `array index getter ${recipe.i % 3}`); }, enumerable: true });
      return a;
    }
    case 'createOf': {
      const proto = b(recipe.proto);
      const o = Object.create(proto !== null && (typeof proto === 'object' || typeof proto === 'function') ? proto : null);
      for (const [k, v] of recipe.entries ?? []) Object.defineProperty(o, k, { value: b(v), enumerable: true, writable: true, configurable: true });
      return o;
    }
    case 'request': return requestLike(recipe, ctx);
    case 'params': return params(recipe, ctx);
    default: throw new Error(`unknown recipe ${recipe.t}`);
  }
}

function object(recipe, ctx) {
  const style = recipe.style ?? 'define';
  let o;
  if (style === 'nullproto') o = Object.create(null);
  else if (style === 'class') o = new (class Params {})();
  else o = {};
  for (const [k, v] of recipe.entries ?? []) {
    const value = build(v, ctx);
    const define = () => Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
    if (style !== 'assign') define();
    else {
      // After `__proto__` was assigned, the new prototype may refuse an assignment (a read-only `length` of a boxed
      // String, a revoked Proxy): then the key is defined instead.
      try { o[k] = value; } catch { define(); }
    }
  }
  for (const [d, v] of recipe.symbols ?? []) Object.defineProperty(o, Symbol(d), { value: build(v, ctx), enumerable: true });
  if (style === 'frozen') Object.freeze(o);
  return o;
}

function lying(recipe, ctx) {
  const { kind } = recipe;
  if (kind === 'arrayLength') {
    // Array.isArray is true for a Proxy of an array; its `length` is whatever the trap says.
    return new Proxy([1, 2], { get: (t, k, r) => (k === 'length' ? build(recipe.length, ctx) : Reflect.get(t, k, r)) });
  }
  if (kind === 'ownKeysDuplicate') return new Proxy({}, { ownKeys: () => ['a', 'a'] });
  if (kind === 'ownKeysPhantom') return new Proxy({}, { ownKeys: () => ['subject', 'token', 'claims'], getOwnPropertyDescriptor: () => ({ value: 1, enumerable: true, configurable: true }) });
  if (kind === 'protoArray') return new Proxy({}, { getPrototypeOf: () => Array.prototype });
  if (kind === 'protoSwap') {
    let n = 0;
    return new Proxy({ a: 1 }, { getPrototypeOf: () => (n++ === 0 ? Object.prototype : Date.prototype) });
  }
  if (kind === 'changing') {
    // Every read of any key returns a different, eventually hostile, value.
    let n = 0;
    return new Proxy({ subject: 1, token: 1, claims: 1 }, { get: (t, k) => (typeof k === 'symbol' ? undefined : [1, 'x', {}, [], new Array(1e8)][n++ % 5]) });
  }
  // 'keysChange': Object.keys sees one key set, get sees another value each time.
  let n = 0;
  return new Proxy({}, {
    ownKeys: () => (n++ % 2 ? ['a'] : ['b', 'c']),
    getOwnPropertyDescriptor: () => ({ value: n, enumerable: true, configurable: true }),
  });
}

/** A params/options object: documented keys (valid, wrong or hostile values) in one of several containers. */
function params(recipe, ctx) {
  const entries = recipe.entries.filter(([, v]) => !(v && v.t === 'absent'));
  const built = () => object({ entries, style: ['assign', 'nullproto', 'class', 'frozen'].includes(recipe.style) ? recipe.style : 'define', symbols: recipe.symbols }, ctx);
  switch (recipe.style) {
    case 'getters': {
      const o = {};
      for (const [k, v] of entries) { const value = build(v, ctx); Object.defineProperty(o, k, { get: () => value, enumerable: true, configurable: true }); }
      return o;
    }
    case 'toctou': {
      // Each key reads as its value once, then as `then` (e.g. a huge array) on every later read.
      const o = {};
      const later = build(recipe.then, ctx);
      for (const [k, v] of entries) {
        const value = build(v, ctx);
        let reads = 0;
        Object.defineProperty(o, k, { get: () => (reads++ === 0 ? value : later), enumerable: true, configurable: true });
      }
      return o;
    }
    case 'createOf': return Object.create(built());
    case 'proxyPass': return new Proxy(built(), {});
    case 'proxyThrows': return new Proxy(built(), throwingHandler(recipe.throws ?? 'error', `params proxy ${recipe.trap}`, [recipe.trap]));
    default: return built();
  }
}

function requestLike(recipe, ctx) {
  // `$name` in a string value is that fixture value (`Bearer $opaque`).
  const raw = build(recipe.value, ctx);
  const value = typeof raw === 'string' ? raw.replace(/\$(\w+)/g, (m, name) => ctx.refs[name] ?? m) : raw;
  switch (recipe.kind) {
    case 'real': {
      const headers = new Headers();
      if (typeof value === 'string') {
        try { headers.set('authorization', value); } catch { /* not a ByteString: no header */ }
      }
      return new Request('http://receiver.test/', { headers });
    }
    case 'getReturns': return { headers: { get: () => value } };
    case 'getThrows': return { headers: { get() { throw thrown(recipe.throws, 'request.headers.get'); } } };
    case 'getChanges': { let n = 0; return { headers: { get: () => (n++ === 0 ? `Bearer ${ctx.refs.opaque}` : value) } }; }
    case 'headersGetter': return { get headers() { throw thrown(recipe.throws, 'request.headers getter'); } };
    case 'headersProxy': return { headers: new Proxy({ get: () => value }, throwingHandler(recipe.throws, 'request.headers proxy', [recipe.trap ?? 'get'])) };
    case 'headersMap': return { headers: new Map([['authorization', value]]) };
    case 'headersNotFunction': return { headers: { get: value } };
    case 'requestProxy': return new Proxy({ headers: { get: () => value } }, throwingHandler(recipe.throws, 'request proxy', [recipe.trap ?? 'get']));
    default: return value;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries.

const ABSENT = { t: 'absent' };
const ref = (name) => ({ t: 'ref', name });
const c = (...values) => fc.constantFrom(...values);
const w = (weight, arbitrary) => ({ weight, arbitrary });
const rec = (shape) => fc.record(shape, { noNullPrototype: true });

const throwKind = c('error', 'string', 'undefined', 'proxy');
const TRAPS = ['get', 'has', 'ownKeys', 'getPrototypeOf', 'getOwnPropertyDescriptor', 'isExtensible', 'defineProperty', 'set', 'deleteProperty'];
const DOC_KEYS = ['subject', 'token', 'claims', 'limit', 'offset', 'signal', 'timeoutMs', 'machineSecretKey', 'secretKey', 'm2mTokenId', 'audience', 'acceptsToken', 'secret', 'tokenFormat'];
const key = fc.oneof(
  w(4, c('__proto__', 'constructor', 'toString', 'toJSON', 'valueOf', 'hasOwnProperty', 'then', 'length', 'prototype', '0', '-1', '4294967295', '', ' ', '\uD800', 'a\u0000b')),
  w(3, c(...DOC_KEYS)),
  w(2, fc.string({ maxLength: 8 })),
);

const strings = fc.oneof(
  w(3, c('', ' ', '\uD800', '\uDC00', 'a\uD800b', '\uDBFF\uDFFF', '\u0000', '\r\n', 'mt_', 'mch_', 'ak_', 'sk_test_', '__proto__', 'null',
    '{"a":1}', '%00', '../', 'Bearer', 'Bearer ', 'mt_\uD800', 'é', '😀', 'x'.repeat(5000))),
  w(2, fc.string({ unit: 'binary', maxLength: 40 })),
  w(1, fc.string({ maxLength: 20 })),
);
const numbers = fc.oneof(
  w(3, c(NaN, -0, Infinity, -Infinity, 0, 1, -1, 1.5, 0.1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, 5e-324, -1e308)),
  w(1, fc.double()),
  w(1, fc.integer()),
);
const longString = rec({ t: c('long'), mb: c(1, 2, 5, 10), ch: c('a', 'é', '😀', '\uD800', '"', '\\', '\u0000'), tail: c('', '\uD800', '"') });
const huge = rec({
  t: c('huge'),
  len: c(2 ** 32 - 1, 1e8, 2 ** 31, 2 ** 31 - 1, 1e7, 1e6, 2 ** 16 + 1),
  how: c('new', 'assign', 'length'),
  at: fc.array(fc.tuple(fc.nat(), c(1, 'x', null)), { maxLength: 2 }),
});

const leaf = fc.oneof(
  w(3, c(undefined, null, true, false)),
  w(4, numbers),
  w(4, strings),
  w(1, fc.bigInt()),
  w(1, longString),
  w(2, rec({ t: c('sym'), d: c('s', 'subject', 'iterator'), registered: fc.boolean() })),
  w(2, rec({ t: c('inst'), kind: c(...Object.keys(INSTANCES)) })),
  w(2, rec({ t: c('fn'), kind: c(...Object.keys(FUNCTIONS)) })),
  w(2, huge),
  w(1, rec({ t: c('revoked'), array: fc.boolean() })),
  w(1, rec({ t: c('wide'), n: c(1000, 100_000), array: fc.boolean() })),
  w(1, rec({ t: c('cycle'), kind: c('self', 'arr', 'mutual', 'deep'), at: fc.integer({ min: 1, max: 60 }) })),
  w(1, rec({ t: c('signal'), kind: c(...Object.keys(SIGNALS)) })),
  w(1, c(ref('A.key'), ref('sk'), ref('opaque'), ref('jwt'), ref('pem'))),
);

/** Any hostile value, recursively. */
export const hostile = fc.letrec((tie) => ({
  any: fc.oneof({ maxDepth: 3, depthIdentifier: 'hostile' }, w(6, leaf), w(3, tie('container')), w(3, tie('trap'))),
  container: fc.oneof(
    rec({ t: c('arr'), items: fc.array(tie('any'), { maxLength: 4 }) }),
    rec({ t: c('holes'), len: fc.integer({ min: 1, max: 50 }), at: fc.array(fc.tuple(fc.nat(), tie('any')), { maxLength: 3 }) }),
    rec({
      t: c('obj'), style: c('define', 'define', 'assign', 'nullproto', 'class', 'frozen'),
      entries: fc.array(fc.tuple(key, tie('any')), { maxLength: 4 }),
      symbols: fc.array(fc.tuple(c('s', 'k'), tie('any')), { maxLength: 1 }),
    }),
    rec({ t: c('deep'), depth: fc.oneof(fc.integer({ min: 10, max: 100 }), fc.integer({ min: 100, max: 10_000 })), kind: c('obj', 'arr', 'mixed'), leaf: tie('any') }),
    rec({ t: c('shared'), inner: tie('any') }),
    rec({ t: c('huge'), len: c(2 ** 32 - 1, 1e8, 1e6), how: c('new', 'assign', 'length'), at: fc.array(fc.tuple(fc.nat(), tie('any')), { maxLength: 2 }) }),
  ),
  trap: fc.oneof(
    rec({ t: c('getter'), key, throws: throwKind, enumerable: fc.boolean(), entries: fc.array(fc.tuple(key, tie('any')), { maxLength: 2 }) }),
    rec({ t: c('proxy'), trap: c(...TRAPS), throws: throwKind, target: c('obj', 'arr', 'fn'), entries: fc.array(fc.tuple(key, tie('any')), { maxLength: 2 }) }),
    rec({ t: c('lying'), kind: c('arrayLength', 'ownKeysDuplicate', 'ownKeysPhantom', 'protoArray', 'protoSwap', 'changing', 'keysChange'), length: c(2 ** 32 - 1, 1e9, -1, NaN, 'x', 2 ** 53) }),
    rec({ t: c('arrIndexGetter'), i: fc.nat(), throws: throwKind }),
    rec({ t: c('createOf'), proto: rec({ t: c('proxy'), trap: c(...TRAPS), throws: throwKind, target: c('obj') }), entries: fc.array(fc.tuple(key, tie('any')), { maxLength: 2 }) }),
    rec({ t: c('createOf'), proto: tie('any'), entries: fc.array(fc.tuple(key, tie('any')), { maxLength: 2 }) }),
  ),
})).any;

/** `{ v: <recipe> }`, e.g. `claims: { v: new Array(1e8) }`. */
const inObject = (arb) => rec({ t: c('obj'), style: c('define'), entries: fc.tuple(fc.tuple(c('v'), arb)) });
const signalArb = rec({ t: c('signal'), kind: c(...Object.keys(SIGNALS)) });
const V = (...values) => c(...values);

/**
 * Per documented parameter: valid values (so that the other keys decide the outcome) and plausible-but-wrong
 * ones. Generic hostile values are mixed in for every key.
 */
const PARAMS = {
  subject: { valid: V(ref('A.id'), ref('A.id'), ref('B.id'), ref('C.id'), ref('unknownMch')), wrong: V(42, '', 'user_123', 'mch_', [ref('A.id')], 'mch_x&limit=1', ' mch_x', 'mch_\uD800', null, ref('A.key')) },
  revoked: { valid: fc.boolean(), wrong: V('true', 1, 0, null, {}, 'false') },
  expired: { valid: fc.boolean(), wrong: V('true', 1, 0, null, [], 'false') },
  limit: { valid: fc.integer({ min: 1, max: 100 }), wrong: V(0, 101, -1, 1.5, '10', NaN, Infinity, 1e308, 2 ** 53, 10n, true, [10], null) },
  offset: { valid: fc.integer({ min: 0, max: 200 }), wrong: V(-1, 0.5, '0', NaN, 2 ** 53 + 2, 1e21, 5n, -0, null, '1e3') },
  machineSecretKey: { valid: V(ref('A.key'), ref('A.key'), ref('B.key')), wrong: V(ref('fakeAk'), ref('sk'), ref('fakeSk'), '', 'ak_', 'ak_ has space', 'ak_x\r\nX-Injected: 1', 'ak_\uD800', 42, null) },
  secretKey: { valid: V(ref('sk')), wrong: V(ref('fakeSk'), ref('A.key'), '', 'sk_test_ x', 'sk_live_\r\n', 42, null, { toString: 'sk' }) },
  signal: { valid: rec({ t: c('signal'), kind: c('live', 'live', 'aborted', 'abortedWithReason', 'timeout1') }), wrong: signalArb },
  timeoutMs: { valid: V(0, 1, 50, 2000), wrong: V(-1, NaN, Infinity, '100', 2 ** 32, 1.5, 1e308, 100n, null, true) },
  tokenFormat: { valid: V('opaque', 'jwt'), wrong: V('JWT', '', 'opaque ', 1, null, ['jwt'], 'jwt\u0000') },
  secondsUntilExpiration: { valid: V(null, 60, 3600, 0.5), wrong: V(0, -1, NaN, '60', 1e308, 2 ** 53, Infinity, 60n, {}, -0) },
  claims: { valid: V(null, {}, { k: 'v' }, { n: 1, nested: { a: [1, 2, { b: null }] } }), wrong: fc.oneof(V('claims', [1, 2], 42, true), huge, inObject(huge)) },
  minRemainingTtlSeconds: { valid: V(null, 0, 10), wrong: V(-1, 1.5, '10', NaN, 1e308) },
  m2mTokenId: {
    valid: fc.oneof(w(4, rec({ t: c('ref'), name: c('tokenId'), i: fc.nat() })), w(1, c(ref('unknownMt')))),
    wrong: V('', 'mt_', '../..', 'mt_x/../../jwks', 'mt_x?a=b#c', 'mt_%2e%2e', 42, ref('opaque'), 'mt_\uD800', null, 'mt_\r\n'),
  },
  revocationReason: { valid: V(null, 'fuzz', ''), wrong: V(42, {}, [], 'x'.repeat(5000), '\uD800', true) },
  token: { valid: V(ref('opaque'), ref('opaque2'), ref('jwt'), 'mt_0123456789abcdef0123456789abcdef', 'eyJ.eyJ.sig', 'a.b.c'), wrong: V(42, null, {}, ['mt_x'], '', 'mt_\uD800', ref('sk'), ref('A.key'), 'Bearer mt_x', ' ') },
  secret: { valid: V(ref('opaque'), ref('jwt')), wrong: V(42, null, {}, '', ref('sk')) },
  audience: { valid: V(ref('B.id'), [ref('B.id')], 'mch_other', [ref('B.id'), 'x']), wrong: fc.oneof(V(42, [42], [[]], '', [], [null], { 0: 'a' }, ['\uD800']), huge) },
  clockSkewInMs: { valid: V(0, 5000), wrong: V(-1, NaN, '5', 1e20, Infinity, 5n, null, 1.5) },
  skipJwksCache: { valid: fc.boolean(), wrong: V('yes', 1, null, {}) },
  acceptsToken: { valid: V('m2m_token', 'any', ['m2m_token'], ['m2m_token', 'api_key'], 'session_token', 'oauth_token'), wrong: fc.oneof(V('M2M', '', 5, [5], [], [[]], {}, ['any', 'any'], null), huge) },
  jwtKey: { valid: V(ref('pem')), wrong: V('', 'not a pem', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', ref('jwks'), '{}', '[]', '{"kty":"RSA","n":"","e":""}', 42, { kty: 'RSA' }, ref('sk')) },
  // Only loopback or invalid URLs: the package must never be pointed at another host (the fetch guard also refuses it).
  apiUrl: {
    valid: V(ref('url')),
    wrong: V('', ' ', 'not a url', 'http://', 'http://127.0.0.1:9', 'http://[::1]:9', 'http://localhost:9', 'ftp://127.0.0.1/', 'javascript:alert(1)',
      'data:text/plain,x', 'file:///etc/passwd', 'http://127.0.0.1:99999', 'https://user:pass@127.0.0.1:9', 'http://127.0.0.1:9/\r\nx', 'http://127.0.0.1:9/?q=1#f', 42, null, ['http://127.0.0.1:9']),
  },
  apiVersion: { valid: V('v1'), wrong: V('', '../', 'v1/../..', 'v1?x', 1, null, '\uD800') },
  userAgent: { valid: V('fuzz/1.0'), wrong: V('', '\r\nX-Injected: 1', '\u0000', 'é', 42, null, 'x'.repeat(10000)) },
  fetch: { valid: rec({ t: c('fetch'), kind: c(...Object.keys(FETCHES)) }), wrong: V(42, 'fetch', {}, null, true) },
  retry: {
    valid: V(false, { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 200 }, { maxAttempts: 1 }),
    wrong: V('yes', 1, { maxAttempts: -1 }, { maxAttempts: 1e9, baseDelayMs: 0, budgetMs: 300 }, { baseDelayMs: NaN }, { budgetMs: Infinity, maxAttempts: 2, baseDelayMs: 1 }, { maxAttempts: '3' }, [], null),
  },
  allowInsecureHttp: { valid: fc.boolean(), wrong: V('true', 1, null, {}) },
  jwksCacheTtlMs: { valid: V(0, 300000), wrong: V(-1, NaN, '1', 1e308, Infinity) },
  jwksCooldownMs: { valid: V(0, 30000), wrong: V(-1, NaN, '1', 2 ** 53) },
  jwksTimeoutMs: { valid: V(500, 2000), wrong: V(-1, NaN, '1', 2 ** 32, 0) },
  jwksStaleIfErrorMs: { valid: V(0, 3600000), wrong: V(-1, NaN, '1', 1e21) },
  verifiedTokenCacheSize: { valid: V(0, 1, 1000), wrong: V(-1, NaN, 1.5, 2 ** 32, 1e9, '10') },
  // Session-token settings: accepted and ignored (README).
  publishableKey: { valid: V('pk_test_Y2xlcmsuZXhhbXBsZS5jb20k'), wrong: V(42, '', 'pk_\uD800', {}, null) },
  domain: { valid: V('example.com'), wrong: V(42, '', '\r\n', [], null) },
  proxyUrl: { valid: V('https://example.com/__clerk'), wrong: V(42, 'not a url', {}, null) },
  isSatellite: { valid: fc.boolean(), wrong: V('true', 1, null, {}) },
  authorizedParties: { valid: V(['https://example.com'], []), wrong: fc.oneof(V('https://example.com', [42], [[]], {}, null), huge) },
  env: {
    valid: V({ CLERK_API_URL: ref('url'), CLERK_MACHINE_SECRET_KEY: ref('A.key') }, { CLERK_SECRET_KEY: ref('sk'), CLERK_API_URL: ref('url') }, {}),
    wrong: fc.oneof(
      c(42, 'env', null, { CLERK_SECRET_KEY: 42 }, { CLERK_API_URL: 'http://127.0.0.1:9', CLERK_SECRET_KEY: ref('fakeSk') }, { CLERK_JWT_KEY: 'x', CLERK_API_VERSION: 5 }),
      rec({ t: c('getter'), key: c('CLERK_SECRET_KEY', 'CLERK_API_URL', 'CLERK_MACHINE_SECRET_KEY', 'CLERK_JWT_KEY'), throws: throwKind, entries: c([]) }),
      rec({ t: c('proxy'), trap: c('get', 'has', 'ownKeys', 'getPrototypeOf'), throws: throwKind, target: c('obj') }),
      rec({ t: c('obj'), style: c('define'), entries: fc.array(fc.tuple(c('CLERK_SECRET_KEY', 'CLERK_API_URL', 'CLERK_JWT_KEY', 'CLERK_MACHINE_SECRET_KEY', 'CLERK_API_VERSION'), hostile), { maxLength: 2 }) }),
    ),
  },
};

/** An entry of a params recipe for `name`: absent, valid, plausible-but-wrong or hostile. */
function entry(name, { required = false } = {}) {
  const p = PARAMS[name];
  return fc.oneof(
    w(required ? 1 : 6, c(ABSENT)),
    w(required ? 10 : 4, p.valid),
    w(1, p.wrong),
    w(1, hostile),
  ).map((v) => [name, v]);
}

const PARAM_STYLES = ['define', 'define', 'define', 'define', 'define', 'define', 'assign', 'nullproto', 'class', 'frozen', 'getters', 'toctou', 'createOf', 'proxyPass', 'proxyThrows'];

/**
 * A params object recipe with the documented keys `names` (`required` ones mostly present), or a hostile value.
 * One in four is clean (valid or absent values in a plain container, but any `signal`), so that enough calls get
 * past validation to the Backend API and the async paths.
 */
function paramsArb(names, { required = [], extra = true } = {}) {
  const clean = rec({
    t: c('params'),
    style: c('define', 'define', 'define', 'assign', 'nullproto', 'frozen', 'getters', 'proxyPass'),
    entries: fc.tuple(...names.map((n) => (n === 'signal' ? entry(n) : fc.oneof(w(required.includes(n) ? 0 : 1, c(ABSENT)), w(2, PARAMS[n].valid)).map((v) => [n, v])))),
    symbols: c([]),
  });
  const object = rec({
    t: c('params'),
    style: c(...PARAM_STYLES),
    entries: fc.tuple(...names.map((n) => entry(n, { required: required.includes(n) })), fc.array(fc.tuple(key, hostile), { maxLength: extra ? 1 : 0 }))
      .map((parts) => [...parts.slice(0, -1), ...parts.at(-1)]),
    symbols: fc.array(fc.tuple(c('s'), hostile), { maxLength: 1 }),
    trap: c(...TRAPS),
    throws: throwKind,
    then: fc.oneof(hostile, huge),
  }).map(({ trap, throws, then, ...r }) => ({ ...r, ...(r.style === 'proxyThrows' ? { trap, throws } : {}), ...(r.style === 'toctou' ? { then } : {}) }));
  return fc.oneof(w(9, object), w(3, clean), w(1, hostile));
}

const LIST = ['subject', 'revoked', 'expired', 'limit', 'offset', 'machineSecretKey', 'signal', 'timeoutMs'];
const CREATE = ['tokenFormat', 'secondsUntilExpiration', 'claims', 'minRemainingTtlSeconds', 'machineSecretKey', 'signal', 'timeoutMs'];
const REVOKE = ['m2mTokenId', 'revocationReason', 'machineSecretKey', 'signal', 'timeoutMs'];
const VERIFY = ['token', 'machineSecretKey', 'audience', 'clockSkewInMs', 'skipJwksCache', 'signal', 'timeoutMs'];
const VERIFY_SECRET = ['secret', 'machineSecretKey', 'audience', 'clockSkewInMs', 'skipJwksCache', 'signal', 'timeoutMs'];
const AUTH = ['acceptsToken', 'secretKey', 'machineSecretKey', 'jwtKey', 'audience', 'clockSkewInMs', 'skipJwksCache', 'authorizedParties', 'timeoutMs', 'signal'];
const OPTIONS = ['secretKey', 'machineSecretKey', 'jwtKey', 'apiUrl', 'apiVersion', 'userAgent', 'fetch', 'env', 'timeoutMs', 'retry', 'allowInsecureHttp',
  'clockSkewInMs', 'audience', 'jwksCacheTtlMs', 'jwksCooldownMs', 'jwksTimeoutMs', 'jwksStaleIfErrorMs', 'verifiedTokenCacheSize',
  'publishableKey', 'domain', 'proxyUrl', 'isSatellite'];

/** Arguments: mostly the documented ones; sometimes none, or a hostile extra one. */
function argsArb(first, { optional = false } = {}) {
  return fc.oneof(
    w(16, first.map((p) => [p])),
    w(optional ? 2 : 1, c([])),
    w(1, fc.tuple(first, hostile)),
  );
}

const clientArb = (...names) => c(...names);

const bearer = fc.oneof(
  c('Bearer $opaque', 'Bearer $jwt', 'Bearer $opaque2', 'Bearer $sk', 'Bearer ', 'Bearer', 'bearer $opaque', 'Basic dXNlcjpwYXNz', 'Bearer  $opaque', 'Bearer mt_unknown', ''),
  fc.string({ maxLength: 30 }).map((s) => `Bearer ${s}`),
);
const requestArb = fc.oneof(
  w(6, rec({ t: c('request'), kind: c('real'), value: bearer })),
  w(4, rec({ t: c('request'), kind: c('getReturns', 'getChanges', 'headersMap', 'headersNotFunction'), value: fc.oneof(bearer, hostile, longString) })),
  w(2, rec({ t: c('request'), kind: c('getThrows', 'headersGetter'), throws: throwKind, value: c(null) })),
  w(2, rec({ t: c('request'), kind: c('headersProxy', 'requestProxy'), throws: throwKind, trap: c('get', 'has', 'getPrototypeOf', 'ownKeys'), value: bearer })),
  w(1, rec({ t: c('request'), kind: c('hostile'), value: hostile })),
);

/** The targets: each an arbitrary of inputs and how to call the package with the built arguments. */
export const TARGETS = {
  'm2m.list': {
    input: rec({ client: clientArb('sender', 'instance', 'receiver'), args: argsArb(paramsArb(LIST, { required: ['subject'] })) }),
    call: (cl, args) => cl.m2m.list(...args),
  },
  'm2m.list (for await)': {
    input: rec({ client: clientArb('sender', 'instance'), args: argsArb(paramsArb(LIST, { required: ['subject'] })) }),
    call: (cl, args) => cl.m2m.list(...args),
    iterate: 'asyncIterable',
  },
  'm2m.listAll': {
    input: rec({ client: clientArb('sender', 'instance'), args: argsArb(paramsArb(LIST, { required: ['subject'] })) }),
    call: (cl, args) => cl.m2m.listAll(...args),
    iterate: 'iterator',
  },
  'm2m.createToken': {
    input: rec({ client: clientArb('sender', 'sender', 'receiver', 'instance'), args: argsArb(paramsArb(CREATE), { optional: true }) }),
    call: (cl, args) => cl.m2m.createToken(...args),
  },
  'm2m.revokeToken': {
    input: rec({ client: clientArb('sender', 'instance', 'receiver'), args: argsArb(paramsArb(REVOKE, { required: ['m2mTokenId'] })) }),
    call: (cl, args) => cl.m2m.revokeToken(...args),
  },
  'm2m.verify': {
    input: rec({
      client: clientArb('receiver', 'instance', 'local', 'sender'),
      args: fc.oneof(w(5, argsArb(paramsArb(VERIFY, { required: ['token'] }))), w(1, fc.oneof(PARAMS.token.valid, PARAMS.token.wrong, hostile).map((t) => [t]))),
    }),
    call: (cl, args) => cl.m2m.verify(...args),
  },
  'm2mTokens.create': {
    input: rec({ client: clientArb('sender', 'instance'), args: argsArb(paramsArb(CREATE), { optional: true }) }),
    call: (cl, args) => cl.m2mTokens.create(...args),
  },
  'm2mTokens.revoke': {
    input: rec({ client: clientArb('sender', 'instance'), args: argsArb(paramsArb(REVOKE, { required: ['m2mTokenId'] })) }),
    call: (cl, args) => cl.m2mTokens.revoke(...args),
  },
  'm2mTokens.verifySecret': {
    input: rec({ client: clientArb('receiver', 'local', 'instance'), args: argsArb(paramsArb(VERIFY_SECRET, { required: ['secret'] })) }),
    call: (cl, args) => cl.m2mTokens.verifySecret(...args),
  },
  'm2mTokens.verifyToken': {
    input: rec({
      client: clientArb('receiver', 'local', 'instance'),
      args: fc.oneof(w(5, argsArb(paramsArb(VERIFY, { required: ['token'] }))), w(1, fc.oneof(PARAMS.token.valid, hostile).map((t) => [t]))),
    }),
    call: (cl, args) => cl.m2mTokens.verifyToken(...args),
  },
  authenticateRequest: {
    input: rec({
      client: clientArb('receiver', 'local', 'instance', 'sender'),
      args: fc.oneof(
        w(10, fc.tuple(requestArb, paramsArb(AUTH, { extra: false }))),
        w(1, requestArb.map((r) => [r])),
        w(1, fc.tuple(requestArb, paramsArb(AUTH), hostile)),
      ),
      has: fc.oneof(w(3, rec({ t: c('params'), style: c(...PARAM_STYLES), entries: fc.tuple(entry('audience').map(([, v]) => ['scope', v])), symbols: c([]), trap: c(...TRAPS), throws: throwKind, then: hostile })), w(1, hostile)),
    }),
    call: (cl, args) => cl.authenticateRequest(...args),
    after: 'requestState',
  },
  createClerkClient: {
    input: rec({
      args: fc.oneof(
        w(12, paramsArb(OPTIONS, { required: ['apiUrl'] }).map((o) => [o])),
        w(1, c([])),
        w(1, fc.tuple(paramsArb(OPTIONS, { required: ['apiUrl'] }), hostile)),
      ),
      followUp: c('list', 'verify', 'verifyJwt', 'authenticate', 'create', 'revoke'),
    }),
    sync: true,
  },
  'type guards': {
    input: rec({ args: hostile.map((h) => [h]) }),
    guard: true,
  },
};

// ---------------------------------------------------------------------------------------------------------
// Running and judging one case.

/** A short description of a thrown value that never throws itself (the value may be a hostile Proxy). */
export function describeThrown(e) {
  try {
    if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return `${typeof e} ${String(e).slice(0, 200)}`;
    let name = '?';
    try { name = e.constructor?.name ?? Object.prototype.toString.call(e); } catch { name = '(unreadable)'; }
    let message = '';
    try { message = String(e.message); } catch { message = '(message unreadable)'; }
    return `${name}: ${message.slice(0, 240)}`;
  } catch {
    return '(an unreadable value)';
  }
}

function safeText(e) {
  const parts = [];
  for (const f of [() => e.message, () => String(e), () => e.stack, () => JSON.stringify(e), () => JSON.stringify(e.errors), () => e.getFullMessage?.()]) {
    try { parts.push(String(f())); } catch { /* unreadable: nothing to leak */ }
  }
  return parts.join('\n');
}

/** `null` when `e` is a documented error for this call, else what is wrong with it. */
function judgeError(e, { pkg, signals }) {
  try {
    for (const s of signals) {
      let aborted = false;
      try { aborted = s.aborted === true; } catch { /* a hostile signal */ }
      if (!aborted) continue;
      let reason;
      try { reason = s.reason; } catch { /* */ }
      if (e === reason && reason !== undefined) return null;
    }
    if (e instanceof DOMException && e.name === 'AbortError' && signals.some((s) => { try { return Boolean(s.aborted); } catch { return false; } })) return null;
    const documented = [TypeError, pkg.ClerkAPIResponseError, pkg.MachineTokenVerificationError, pkg.ClerkConfigurationError];
    if (documented.some((C) => e instanceof C)) return null;
    return `not a documented error: ${describeThrown(e)}`;
  } catch (inspect) {
    return `an error that cannot be inspected (${describeThrown(inspect)})`;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** One turn of the event loop (unhandled rejections are reported at the end of a turn). */
const turn = () => new Promise((r) => (globalThis.setImmediate ?? setTimeout)(r));

/**
 * Awaits `p` within SETTLE_MS (shortened once an uncaught exception was recorded): `{ value }`, `{ error }` or
 * `{ pending: true }`.
 */
async function settle(p, h) {
  const started = Date.now();
  let timer;
  const guarded = Promise.resolve().then(() => p).then((value) => ({ value }), (error) => ({ error }));
  const deadline = new Promise((r) => { timer = setTimeout(() => r({ pending: true }), h.settleMs); });
  const next = h.log.next();
  const uncaught = next.promise.then(() => sleep(AFTER_UNCAUGHT_MS)).then(() => ({ pending: true, afterUncaught: true }));
  try {
    const outcome = await Promise.race([guarded, deadline, uncaught]);
    // A call that blocks the event loop (synchronous work) cannot be timed out by the timer: it shows as a late settle.
    outcome.ms = Date.now() - started;
    return outcome;
  } finally {
    clearTimeout(timer);
    next.cancel();
  }
}

/** Checks one awaited step; pushes what is wrong to `problems`. */
function check(step, outcome, h, problems) {
  if (outcome.pending) {
    problems.push(`${step}: did not settle within ${outcome.afterUncaught ? `${AFTER_UNCAUGHT_MS} ms of an uncaught exception` : `${h.settleMs} ms`}`);
    return;
  }
  if (outcome.ms > h.settleMs) problems.push(`${step}: settled only after ${outcome.ms} ms (more than ${h.settleMs} ms: the event loop was blocked)`);
  if ('error' in outcome) {
    h.tally(step, `rejected ${describeThrown(outcome.error).split(':')[0]}`);
    const wrong = judgeError(outcome.error, h);
    if (wrong) problems.push(`${step}: rejected with ${wrong}`);
    scan(step, outcome.error, h, problems);
  } else {
    h.tally(step, 'resolved');
  }
}

function scan(step, e, h, problems) {
  if (e === null || typeof e !== 'object') return;
  const text = safeText(e);
  const leaked = h.secrets.filter((s) => text.includes(s));
  if (leaked.length) problems.push(`${step}: error text contains ${leaked.length} secret key(s) (${leaked.map((s) => `${s.slice(0, 3)}…`).join(', ')})`);
}

/** Runs one case of `target`; resolves to the list of problems (empty when the property holds). */
async function runCase(name, target, input, h) {
  const ctx = { fx: h.fx, refs: h.refs, signals: [] };
  h.signals = ctx.signals;
  const problems = [];
  let args;
  try {
    args = build(input.args, ctx);
  } catch (e) {
    return [`the harness could not build the input: ${describeThrown(e)}`];
  }
  const requestsBefore = h.requests.count;
  if (target.guard) {
    for (const [label, guard] of [['isClerkAPIResponseError', h.pkg.isClerkAPIResponseError], ['isMachineTokenVerificationError', h.pkg.isMachineTokenVerificationError]]) {
      try {
        const r = guard(...args);
        if (typeof r !== 'boolean') problems.push(`${label}: returned ${typeof r}, not a boolean`);
        h.tally(label, String(r));
      } catch (e) {
        problems.push(`${label}: threw ${describeThrown(e)}`);
      }
    }
  } else if (target.sync) {
    let client;
    try {
      client = h.pkg.createClerkClient(...args);
      h.tally(name, 'returned a client');
    } catch (e) {
      h.tally(name, `threw ${describeThrown(e).split(':')[0]}`);
      const wrong = judgeError(e, { ...h, signals: [] });
      if (wrong) problems.push(`createClerkClient: threw ${wrong}`);
      scan('createClerkClient', e, h, problems);
    }
    if (client) {
      const step = `createClerkClient, then ${input.followUp}`;
      let p;
      try {
        p = followUp(client, input.followUp, h);
      } catch (e) {
        problems.push(`${step}: threw synchronously: ${describeThrown(e)}`);
      }
      if (p) check(step, await settle(p, h), h, problems);
    }
  } else {
    const cl = h.clients[input.client];
    let result;
    let threw = false;
    try {
      result = target.call(cl, args);
    } catch (e) {
      threw = true;
      problems.push(`${name}: threw synchronously (every method returns a promise): ${describeThrown(e)}`);
    }
    if (!threw) await awaitResult(name, target, result, input, h, ctx, problems);
  }
  // Unhandled rejections are reported after the microtask queue drains: give them a turn of the event loop.
  await turn();
  for (const ev of h.log.take()) problems.push(`${ev.kind}: ${ev.text}`);
  const made = h.requests.count - requestsBefore;
  if (made > MAX_REQUESTS_PER_CASE) problems.push(`made ${made} requests (more than ${MAX_REQUESTS_PER_CASE})`);
  return problems;
}

async function awaitResult(name, target, result, input, h, ctx, problems) {
  if (target.iterate) {
    let iterator;
    try {
      iterator = target.iterate === 'asyncIterable' ? result[Symbol.asyncIterator]() : result;
      if (typeof iterator?.next !== 'function') throw new TypeError('not an iterator');
    } catch (e) {
      problems.push(`${name}: not async-iterable: ${describeThrown(e)}`);
      return;
    }
    // At most three tokens (at most one page, or a few when the page size is 1), then `return()`.
    for (let i = 0; i < 3; i++) {
      const outcome = await settle(iterator.next(), h);
      check(`${name} next()`, outcome, h, problems);
      if (outcome.pending || 'error' in outcome || outcome.value?.done) return;
    }
    check(`${name} return()`, await settle(iterator.return?.(), h), h, problems);
    return;
  }
  if (result === null || (typeof result !== 'object' && typeof result !== 'function') || typeof result.then !== 'function') {
    problems.push(`${name}: returned ${typeof result}, not a promise`);
    return;
  }
  const outcome = await settle(result, h);
  check(name, outcome, h, problems);
  if (target.after === 'requestState' && outcome.value) {
    // The request state's own methods, with hostile `has` params.
    try {
      const auth = outcome.value.toAuth();
      // `has` with a missing or empty scope throws a TypeError (README); anything else is a boolean.
      let has;
      try {
        has = auth.has(build(input.has, ctx));
        if (typeof has !== 'boolean') problems.push(`toAuth().has: returned ${typeof has}`);
        h.tally('toAuth().has', String(has));
      } catch (e) {
        h.tally('toAuth().has', `threw ${describeThrown(e).split(':')[0]}`);
        let typeError = false;
        try { typeError = e instanceof TypeError; } catch { /* a hostile thrown value */ }
        if (!typeError) problems.push(`toAuth().has: threw ${describeThrown(e)}`);
      }
      auth.debug();
      check('toAuth().getToken()', await settle(auth.getToken(), h), h, problems);
    } catch (e) {
      problems.push(`request state: toAuth()/debug() threw ${describeThrown(e)}`);
    }
  }
}

/**
 * The one call made on a client `createClerkClient` returned (valid params: the options decide the outcome).
 * Each with `timeoutMs: 1000`, so that a fuzzed `fetch` that never answers ends well within SETTLE_MS (the default
 * timeout is 30 s), whether it honours its signal or not (the timeout races the fetch and the body read: B4).
 */
function followUp(client, kind, h) {
  const { refs } = h;
  const timeoutMs = 1000;
  switch (kind) {
    case 'list': return client.m2m.list({ subject: refs['A.id'], limit: 1, timeoutMs });
    case 'verify': return client.m2m.verify({ token: refs.opaque, timeoutMs });
    case 'verifyJwt': return client.m2m.verify({ token: refs.jwt, timeoutMs });
    case 'create': return client.m2m.createToken({ timeoutMs });
    case 'revoke': return client.m2m.revokeToken({ m2mTokenId: refs.unknownMt, timeoutMs });
    default: return client.authenticateRequest(new Request('http://receiver.test/', { headers: { authorization: `Bearer ${refs.opaque}` } }), { acceptsToken: 'm2m_token', timeoutMs });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Health: the instance still works after a batch.

async function health(pkg, fx, long) {
  const [A, B] = fx.machines;
  const fresh = {
    receiver: pkg.createClerkClient({ apiUrl: fx.url, machineSecretKey: B.secretKey }),
    sender: pkg.createClerkClient({ apiUrl: fx.url, machineSecretKey: A.secretKey }),
    local: pkg.createClerkClient({ apiUrl: fx.url, jwtKey: fx.pem }),
  };
  const bearer = (t) => new Request('http://receiver.test/', { headers: { authorization: `Bearer ${t}` } });
  const checks = [];
  for (const [label, set] of [['fresh', fresh], ['long-lived', long]]) {
    checks.push(
      [`${label} m2m.verify (opaque, Backend API)`, () => set.receiver.m2m.verify({ token: fx.health.opaque }), (v) => v.subject === A.id],
      [`${label} m2m.verify (JWT, local)`, () => set.local.m2m.verify({ token: fx.health.jwt }), (v) => v.subject === A.id],
      [`${label} m2m.list`, () => set.sender.m2m.list({ subject: A.id, limit: 2 }), (v) => Array.isArray(v.data) && v.totalCount >= 1],
      [`${label} authenticateRequest`, () => set.receiver.authenticateRequest(bearer(fx.health.opaque), { acceptsToken: 'm2m_token' }), (v) => v.isAuthenticated === true && v.toAuth().subject === A.id],
    );
  }
  checks.push(['version()', async () => pkg.version(), (v) => typeof v === 'string' && v.length > 0]);
  const failed = [];
  for (const [label, run, ok] of checks) {
    try {
      const v = await Promise.race([run(), sleep(SETTLE_MS).then(() => { throw new Error('did not settle'); })]);
      if (!ok(v)) failed.push(`${label}: unexpected result`);
    } catch (e) {
      failed.push(`${label}: ${describeThrown(e)}`);
    }
  }
  return failed;
}

// ---------------------------------------------------------------------------------------------------------
// The run.

/** Lets only loopback (and data:) URLs through to the runtime's fetch; counts every request. */
function guardFetch() {
  const original = globalThis.fetch;
  const requests = { count: 0, blocked: [] };
  const guarded = function fetch(input, init) {
    let url;
    try { url = new URL(typeof input === 'string' ? input : input.url); } catch { return original.call(globalThis, input, init); }
    const host = url.hostname;
    const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
    if (url.protocol !== 'data:' && !loopback) {
      requests.blocked.push(url.origin);
      return Promise.reject(new TypeError(`boundary fuzz: a request to ${url.origin} was refused (loopback only)`));
    }
    requests.count++;
    return original.call(globalThis, input, init);
  };
  globalThis.fetch = guarded;
  return { requests, restore: () => { globalThis.fetch = original; } };
}

/** A stable 32-bit seed for one target, derived from the run's seed. */
function targetSeed(seed, name) {
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h | 0;
}

/** A normalised key for grouping failures (numbers and long paths do not split a group). */
function groupKey(problem) {
  return problem.replace(/\d+/g, 'N').replace(/(\.[A-Za-z_$][\w$]*|\[N\]){3,}/g, '…').slice(0, 160);
}

/**
 * Runs every target (or `targets`) for `runs` cases each. Resolves to a JSON report:
 * `{ seed, runs, durationMs, requests, blocked, targets: { name: { seed, cases, ms, outcomes, failures } },
 *   health: [...], failureCount }`.
 */
export async function fuzz({ pkg, fixture, runs = 200, seconds, seed = 1, targets = Object.keys(TARGETS), log, settleMs = SETTLE_MS, shrink = false, path, progress = () => {} }) {
  const started = Date.now();
  const guard = guardFetch();
  const [A, B] = fixture.machines;
  const base = { apiUrl: fixture.url, timeoutMs: 3000, jwksTimeoutMs: 3000 };
  const h = {
    pkg, fx: fixture, refs: refs(fixture), log, settleMs, secrets: secretsOf(fixture), requests: guard.requests, signals: [],
    clients: {
      sender: pkg.createClerkClient({ ...base, machineSecretKey: A.secretKey, retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 500 } }),
      receiver: pkg.createClerkClient({ ...base, machineSecretKey: B.secretKey, secretKey: fixture.secretKey }),
      instance: pkg.createClerkClient({ ...base, secretKey: fixture.secretKey }),
      local: pkg.createClerkClient({ ...base, jwtKey: fixture.pem }),
    },
  };
  const long = {
    receiver: pkg.createClerkClient({ apiUrl: fixture.url, machineSecretKey: B.secretKey }),
    sender: pkg.createClerkClient({ apiUrl: fixture.url, machineSecretKey: A.secretKey }),
    local: pkg.createClerkClient({ apiUrl: fixture.url, jwtKey: fixture.pem }),
  };
  const report = { seed, runs, seconds, targets: {}, health: [], failureCount: 0 };
  try {
    const before = await health(pkg, fixture, long);
    if (before.length) report.health.push({ after: '(before the first target)', failed: before });
    for (const name of targets) {
      const target = TARGETS[name];
      const t0 = Date.now();
      const outcomes = {};
      h.tally = (step, what) => { const k = `${step} → ${what}`; outcomes[k] = (outcomes[k] ?? 0) + 1; };
      const groups = new Map();
      const slow = [];
      let index = path ? Number(String(path).split(':')[0]) : 0;
      let cases = 0;
      const s = targetSeed(seed, name);
      const property = fc.asyncProperty(target.input, async (input) => {
        const i = index++;
        cases++;
        const c0 = Date.now();
        const problems = await runCase(name, target, input, h);
        const took = Date.now() - c0;
        if (took >= 200) {
          slow.push({ ms: took, path: String(i), input: fc.stringify(input).slice(0, 300) });
          slow.sort((a, b) => b.ms - a.ms);
          slow.length = Math.min(slow.length, 5);
        }
        for (const problem of problems) {
          const k = groupKey(problem);
          let g = groups.get(k);
          if (!g) groups.set(k, (g = { problem, count: 0, examples: [] }));
          g.count++;
          const input_ = fc.stringify(input);
          g.examples.push({ path: String(i), input: input_.length > 600 ? `${input_.slice(0, 600)}…` : input_ });
          g.examples.sort((a, b) => a.input.length - b.input.length);
          g.examples.length = Math.min(g.examples.length, 3);
        }
        return !shrink || problems.length === 0;
      });
      // `seconds`: run until that time is up (or `runs` cases); an interrupted run is not a failure.
      const limit = seconds ? { interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false } : {};
      const result = await fc.check(property, { seed: s, numRuns: path ? 1 : runs, path, endOnFailure: false, ...limit });
      const failures = [...groups.values()].sort((a, b) => b.count - a.count);
      const entry_ = { seed: s, cases, ms: Date.now() - t0, interrupted: Boolean(result.interrupted), outcomes, failures, slow };
      if (shrink && result.failed) entry_.shrunk = { path: result.counterexamplePath, input: fc.stringify(result.counterexample[0]) };
      report.targets[name] = entry_;
      report.failureCount += failures.length;
      const after = await health(pkg, fixture, long);
      if (after.length) {
        report.health.push({ after: name, failed: after });
        report.failureCount += 1;
      }
      progress(name, entry_);
    }
  } finally {
    guard.restore();
  }
  for (const ev of log.take()) {
    report.health.push({ after: '(end)', failed: [`${ev.kind}: ${ev.text}`] });
    report.failureCount += 1;
  }
  report.requests = guard.requests.count;
  report.blocked = [...new Set(guard.requests.blocked)];
  report.durationMs = Date.now() - started;
  return report;
}

/** A human-readable summary of a report (what the test and scripts/fuzz print). */
export function summary(report, runtime, { outcomes = false } = {}) {
  const budget = report.seconds ? `${report.seconds} s per target` : `${report.runs} runs per target`;
  const lines = [`boundary fuzz (${runtime}): seed ${report.seed}, ${budget}, ${Object.values(report.targets).reduce((n, t) => n + t.cases, 0)} cases, ` +
    `${report.requests} requests, ${(report.durationMs / 1000).toFixed(1)} s, ${report.failureCount} failure group(s)`];
  for (const [name, t] of Object.entries(report.targets)) {
    lines.push(`  ${name}: ${t.cases} cases in ${t.ms} ms (seed ${t.seed})${t.failures.length ? `, ${t.failures.length} failure group(s)` : ''}`);
    if (outcomes) for (const [k, n] of Object.entries(t.outcomes).sort((a, b) => b[1] - a[1])) lines.push(`      ${String(n).padStart(5)}  ${k}`);
    for (const f of t.failures) {
      lines.push(`    ✗ ${f.count}× ${f.problem}`);
      for (const ex of f.examples) lines.push(`        FUZZ_PATH=${ex.path}: ${ex.input}`);
    }
    if (t.shrunk) lines.push(`    shrunk (path ${t.shrunk.path}): ${t.shrunk.input}`);
    if (outcomes) for (const x of t.slow ?? []) lines.push(`      slow: ${x.ms} ms FUZZ_PATH=${x.path}: ${x.input}`);
  }
  for (const hf of report.health) lines.push(`  ✗ health after ${hf.after}: ${hf.failed.join('; ')}`);
  if (report.blocked.length) lines.push(`  requests refused by the loopback guard: ${report.blocked.join(', ')}`);
  return lines.join('\n');
}
