// The public API. Entries (index.js, workerd.js, node-entry.js) differ only in how they load the WASM module;
// all logic is in Rust: this file only moves arguments across and lifts errors into their classes.
import { generation, restartError, track, trapped, wasm } from './runtime.js';
import { liftError } from './lift.js';
import { createMachinesApi } from './machines.js';

export { TokenType, AuthStatus } from './constants.js';

/** The package version, read from the WASM module (proves the module is loaded and callable). */
export function version() {
  const gen = generation;
  const inst = wasm();
  try {
    return inst.glue.version();
  } catch (e) {
    throw fail(e, { inst, gen });
  }
}

/**
 * Creates a client. Options win over `options.env` (an env-like object such as a Worker's `env`), which wins
 * over `process.env` where the runtime has one. Throws synchronously for an unusable configuration.
 */
export function createClerkClient(options = {}) {
  const opts = options ?? {};
  // Read once each, as `{ fetch, env, ...rest } = opts` would, but a getter or Proxy trap that throws is a TypeError.
  const fetch = isObject(opts) ? guarded(() => opts.fetch, 'options.fetch') : undefined;
  const env = isObject(opts) ? guarded(() => opts.env, 'options.env') : undefined;
  const sharedCache = isObject(opts) ? guarded(() => opts.sharedCache, 'options.sharedCache') : undefined;
  const rest = isObject(opts) ? copyOwn(opts, 'options', ['fetch', 'env', 'sharedCache']) : undefined;
  if (fetch !== undefined && typeof fetch !== 'function') throw new TypeError('options.fetch must be a function');
  checkSharedCache(sharedCache);
  const clientArgs = [isObject(opts) ? rest : opts, env, processEnv(), fetch, sharedCache];
  // The wasm `Client`, the instance it lives in and what this file keeps of it. After the instance trapped
  // (runtime.js), the next call makes a new one from the same arguments in the new instance, with empty caches.
  let session;
  const connect = () => {
    const gen = generation;
    const inst = wasm();
    let client;
    try {
      client = new inst.Client(...clientArgs);
    } catch (e) {
      throw fail(e, { inst, gen });
    }
    if (gen !== generation) throw restartError(inst.glue);
    return (session = { client, inst, gen, hits: new Map(), handout: client.handoutAt() >>> 2 });
  };
  connect();
  const current = () => (session.gen === generation ? session : connect());
  // One async call of the wasm Client: `params` (its last argument) holds the call's `signal`.
  const call = async (method, params, ...first) => {
    const signal = signalOf(params);
    const s = current();
    try {
      return await track(s.client[method](...first, params), s.inst);
    } catch (e) {
      throw fail(e, s, signal);
    }
  };
  const list = (params) => call('list', params);
  const verifyInRust = (params) => call('verify', params);
  // A local JWT whose key is at hand is verified with one await: Rust runs every check but the RSA one
  // synchronously, this awaits `crypto.subtle.verify`, Rust finishes. Anything else is `verifyInRust`.
  const verify = async (params) => {
    const signal = signalOf(params);
    const s = current();
    let outcome;
    try {
      outcome = s.client.step(STEP_VERIFY, onlyToken(params), params);
      // A cache hit's serial hands out nothing: the hand-out area is read only when it is not one.
      if (typeof outcome === 'number') outcome = hitResult(s, outcome);
      else {
        const handed = handedOut(s);
        if (handed === HANDED_OUT_SIGNATURE) outcome = await checkSignature(outcome, s);
        // `onlyToken` again for the second step: its UTF-8 is a shared scratch buffer, overwritten across an await.
        else if (handed === HANDED_OUT_IMPORT) outcome = await importThenStep(s, outcome, STEP_VERIFY, () => onlyToken(params), params);
      }
    } catch (e) {
      throw fail(e, s, signal);
    }
    // The result, or undefined: I/O is needed.
    return outcome === undefined ? verifyInRust(params) : outcome;
  };
  const createToken = (params) => call('createToken', params);
  const revokeToken = (params) => call('revokeToken', params);
  // `m2m.verify(token)`, as Clerk's 2.33 changelog writes it, is `m2m.verify({ token })`.
  const verifyTokenOrParams = (params) => verify(typeof params === 'string' ? { token: params } : params);
  const m2m = {
    list: (params) => pagePromise(() => list(params), () => listAll(list, params)),
    listAll: (params) => listAll(list, params),
    createToken,
    revokeToken,
    verify: verifyTokenOrParams,
  };
  // The names of the changeset that introduced M2M (`m2mTokens.create/revoke/verifySecret`) and of the releases
  // after it (`verifyToken`): the same calls as `m2m.*`.
  const m2mTokens = {
    create: createToken,
    revoke: revokeToken,
    verifySecret: async (params) => verify(secretAsToken(params)),
    verifyToken: verifyTokenOrParams,
  };
  /** Authenticates a `Request` by its `Authorization` header (reference §5); resolves to a request state. */
  const authenticateRequest = async (request, options) => {
    const header = headersOf(request);
    const authorization = header('authorization');
    const signal = signalOf(options);
    const s = current();
    let state;
    try {
      // Like `verify`: synchronous unless a JWKS fetch, a key import or the Backend API is needed.
      const text = () => (authorization === undefined ? undefined : utf8(authorization));
      state = s.client.step(STEP_AUTHENTICATE, text(), options);
      const handed = handedOut(s);
      if (handed === HANDED_OUT_SIGNATURE) state = await checkSignature(state, s);
      else if (handed === HANDED_OUT_IMPORT) state = await importThenStep(s, state, STEP_AUTHENTICATE, text, options);
    } catch (e) {
      throw fail(e, s, signal);
    }
    if (state !== undefined) return requestState(state);
    // The Backend API may be needed: the client IP, for the machineTokenRateLimiter.
    return requestState(await call('authenticateRequest', options, authorization, header('cf-connecting-ip'), header('x-forwarded-for')));
  };
  const client = { m2m, m2mTokens, authenticateRequest, machines: createMachinesApi((operation, params) => call('machines', params, operation), { pagePromise, listAll }) };
  // Tests only (tests/node/trap-recovery.test.mjs), not part of the API or its types: a trap in a synchronous
  // call of this client or in the poll of an async one's future, through the same error handling as every call.
  Object.defineProperty(client, INTERNAL, {
    value: {
      trap: async (asynchronously) => {
        const s = current();
        try {
          if (!asynchronously) s.inst.glue.__trapForTests(false);
          return await track(s.inst.glue.__trapForTests(true), s.inst);
        } catch (e) {
          throw fail(e, s);
        }
      },
      /** The instance this client's next call runs in: its generation and its `WebAssembly.Memory`. */
      instance: () => {
        const s = current();
        return { generation: s.gen, memory: s.inst.memory };
      },
    },
  });
  return client;
}

/** The hidden test hook of each client (see the end of `createClerkClient`). */
const INTERNAL = Symbol.for('clerk-m2m-edge.internal');

/**
 * What a call of session `s` (a wasm `Client`, or just the instance and its generation) that threw `e` throws: the
 * lifted error; or, when its instance trapped during the call or before it, an Error saying the module was
 * restarted, with the trap as `cause`. A trap seen here (a synchronous call, or an async export's promise) is
 * reported to runtime.js first.
 */
function fail(e, s, signal) {
  const lifted = liftError(e, signal);
  if (lifted === e && isTrap(e)) trapped(e, s.inst.glue);
  return s.gen === generation ? lifted : restartError(s.inst.glue);
}

/** Whether `e` is a trap; never throws (`instanceof` runs a Proxy's getPrototypeOf trap). */
function isTrap(e) {
  try {
    return e instanceof WebAssembly.RuntimeError;
  } catch {
    return false;
  }
}

/**
 * A verified-token cache hit comes back as its entry's serial. The result built once (`lastHit`) is kept in the
 * session by it (never handed out) and each hit gets a copy: copying in JS is cheaper than building it again in
 * Rust. Serials are per instance: a new session starts with no kept results.
 */
function hitResult(s, serial) {
  let result = s.hits.get(serial);
  if (result === undefined) {
    result = s.client.lastHit();
    if (result === undefined) return undefined;
    if (s.hits.size >= MAX_KEPT_HITS) s.hits.delete(s.hits.keys().next().value);
    s.hits.set(serial, result);
  }
  return copyJson(result);
}

/**
 * `m2mTokens.verifySecret({ secret, ... })` as `m2m.verify({ token: secret, ... })`. Anything but an object with
 * a string `secret` is a TypeError that names `secret`, not the `token` the caller never wrote.
 */
function secretAsToken(params) {
  const secret = isObject(params) ? guarded(() => params.secret, 'params.secret') : undefined;
  if (typeof secret !== 'string' || secret === '') {
    throw new TypeError('m2mTokens.verifySecret expects { secret: string } (the M2M token to verify); m2m.verify({ token }) is the current name');
  }
  const rest = copyOwn(params, 'params', ['secret']);
  return { ...rest, token: secret };
}

/** The kinds of `Client.step`, the hot path of src/lib.rs (its crate docs describe the protocol). */
const STEP_VERIFY = 0;
const STEP_AUTHENTICATE = 1;

/**
 * After a step of session `s` that handed out a key import (`importing`, a promise of whether it succeeded; src/lib.rs,
 * crate docs): awaits it and steps once more, `client.step(kind, text(), params)`, then finishes as the first step
 * would have. Resolves to the result, or undefined (make the call: the import failed, or the key is still missing).
 */
async function importThenStep(s, importing, kind, text, params) {
  // Tracked like every async call: a trap while it runs rejects it (runtime.js).
  const imported = await track(importing, s.inst);
  if (s.gen !== generation) throw restartError(s.inst.glue);
  if (!imported) return undefined;
  const outcome = s.client.step(kind, text(), params);
  const handed = handedOut(s);
  // A second import promise resolves to a boolean and never rejects: it can be left alone.
  if (handed === HANDED_OUT_IMPORT) return undefined;
  if (typeof outcome === 'number') return hitResult(s, outcome);
  return handed === HANDED_OUT_SIGNATURE ? checkSignature(outcome, s) : outcome;
}

const HANDED_OUT_NOTHING = 0;
const HANDED_OUT_IMPORT = 1;
const HANDED_OUT_SIGNATURE = 2;

/** What the last step of session `s` handed out: a signature check, a key import, or nothing. */
function handedOut(s) {
  const m = memoryU32(s.inst);
  if (m[s.handout] !== 0) return HANDED_OUT_SIGNATURE;
  return m[s.handout + 1] === HANDED_OUT_IMPORT ? HANDED_OUT_IMPORT : HANDED_OUT_NOTHING;
}

/**
 * The memory of instance `inst` as u32s, for the hand-out areas of its `Client`s (src/lib.rs, crate docs): at
 * `s.handout`, `[handle, signature pointer, length, data pointer, length]`. Made again when the memory grew (the old
 * buffer is then detached); kept on the instance record, which runtime.js empties when the instance traps.
 */
function memoryU32(inst) {
  const buffer = inst.memory.buffer;
  if (inst.u32 === undefined || inst.u32.buffer !== buffer) inst.u32 = new Uint32Array(buffer);
  return inst.u32;
}

/**
 * Checks the signature a `step` of session `s` handed out (`key`, and the hand-out area) with WebCrypto and hands
 * the answer, or what WebCrypto threw, to `finish` in the same `Client`, unless its instance has trapped since.
 * The signature and the signed data are views of the instance's memory, made here with no call into it in between:
 * `verify` copies them before it returns its promise.
 */
async function checkSignature(key, s) {
  const m = memoryU32(s.inst);
  const at = s.handout;
  const handle = m[at];
  let verdict;
  let error;
  try {
    verdict = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, new Uint8Array(m.buffer, m[at + 1], m[at + 2]), new Uint8Array(m.buffer, m[at + 3], m[at + 4]));
  } catch (e) {
    error = e ?? null;
  }
  if (s.gen !== generation) throw restartError(s.inst.glue);
  return s.client.finish(handle, verdict, error);
}

/** How many cache hits' results one client keeps (oldest first out); a miss only costs building it again. */
const MAX_KEPT_HITS = 256;

/**
 * A copy of `value` (from `JSON.parse`) equal to what `JSON.parse` of the same text returns: fresh plain
 * objects and arrays with the same own keys in the same order. Spread defines properties as `JSON.parse`
 * does, so a `__proto__` key or a setter on `Object.prototype` changes nothing.
 */
function copyJson(value) {
  const copy = Array.isArray(value) ? value.slice() : { ...value };
  const keys = Object.keys(copy);
  for (let i = 0; i < keys.length; i++) {
    const v = copy[keys[i]];
    if (typeof v === 'object' && v !== null) copy[keys[i]] = copyJson(v);
  }
  return copy;
}

const EMPTY_URL_FIELDS = { proxyUrl: '', publishableKey: '', domain: '', signInUrl: '', signUpUrl: '', afterSignInUrl: '', afterSignUpUrl: '' };

function requestState(state) {
  const { auth, headers, ...fields } = state;
  const token = fields.token;
  return {
    ...fields,
    ...EMPTY_URL_FIELDS,
    isSatellite: false,
    headers: new Headers(headers),
    toAuth: () => ({
      ...auth,
      getToken: async () => token,
      /** `has({ scope })`: whether the token may call that machine (its `scopes` contain it). */
      has: (params) => {
        const scope = isObject(params) ? guarded(() => params.scope, 'params.scope') : undefined;
        // An unset RECEIVER_MACHINE_ID must not quietly become a 403 for every caller.
        if (typeof scope !== 'string' || scope === '') {
          throw new TypeError('has({ scope }) needs scope: the receiving machine id (mch_…), a non-empty string; is its environment variable set?');
        }
        return Boolean(auth.isAuthenticated && auth.scopes.includes(scope));
      },
      /** What was authenticated; never a key or the token. */
      debug: () => ({ tokenType: auth.tokenType, isAuthenticated: auth.isAuthenticated, subject: auth.subject, reason: fields.reason }),
    }),
  };
}

/** Every token matching `params`, page after page (offset pagination, newest first). */
async function* listAll(list, params) {
  // One copy for every page: each page is asked with the same params, and a getter or trap that throws is a TypeError.
  const base = isObject(params) ? copyOwn(params, 'params') : {};
  let offset = base.offset ?? 0;
  const limit = base.limit ?? 100;
  for (;;) {
    const page = await list({ ...base, limit, offset });
    yield* page.data;
    offset += page.data.length;
    if (page.data.length === 0 || offset >= page.totalCount) return;
  }
}

/**
 * What `m2m.list()` returns: awaitable for one page, and async-iterable over every page. The request starts
 * on the first `then`, so iterating never leaves an unobserved (unhandled) first request behind.
 */
function pagePromise(start, iterate) {
  let started;
  const promise = () => (started ??= start());
  return {
    then: (onFulfilled, onRejected) => promise().then(onFulfilled, onRejected),
    catch: (onRejected) => promise().catch(onRejected),
    finally: (onFinally) => promise().finally(onFinally),
    [Symbol.asyncIterator]: () => iterate()[Symbol.asyncIterator](),
    [Symbol.toStringTag]: 'Promise',
  };
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(4096);

/**
 * `text` as UTF-8 in a reused buffer (valid until the next call): a string argument would be copied into the
 * WASM memory character by character in JS, and `TextEncoder.encode` allocates a new buffer per call.
 */
function utf8(text) {
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  return scratch.subarray(0, written);
}

/**
 * `params.token` as UTF-8 when `params` is a plain `{ token: string }` and nothing else: then only the token crosses.
 * Otherwise undefined, also when a getter or Proxy trap throws: then the walker reads `params` and names what threw.
 */
function onlyToken(params) {
  try {
    if (!isObject(params) || Object.getPrototypeOf(params) !== Object.prototype) return undefined;
    const keys = Object.keys(params);
    if (keys.length !== 1 || keys[0] !== 'token') return undefined;
    const token = params.token;
    return typeof token === 'string' ? utf8(token) : undefined;
  } catch {
    return undefined;
  }
}

/** `sharedCache`: undefined or true (automatic: `caches.default` where it exists), false, or a `Cache`. */
function checkSharedCache(cache) {
  if (cache === undefined || typeof cache === 'boolean') return;
  const usable = isObject(cache)
    && typeof guarded(() => cache.match, 'options.sharedCache.match') === 'function'
    && typeof guarded(() => cache.put, 'options.sharedCache.put') === 'function';
  if (!usable) throw new TypeError('options.sharedCache must be true, false or a Cache (an object with match and put), such as caches.default');
}

/**
 * A reader of the headers of `request` (a `Request`, or an object with `headers.get`): `request.headers` and its
 * `get` are read once, here; each header read gives its value, or undefined when absent. A getter or Proxy trap that
 * throws, or a value that is not a string, is a TypeError.
 */
function headersOf(request) {
  const headers = isObject(request) ? guarded(() => request.headers, 'request.headers') : undefined;
  const get = isObject(headers) ? guarded(() => headers.get, 'request.headers.get') : undefined;
  if (typeof get !== 'function') throw new TypeError('authenticateRequest expects a Request (or an object with headers.get)');
  return (name) => {
    const value = guarded(() => get.call(headers, name), `request.headers.get('${name}')`);
    if (value === null || value === undefined) return undefined;
    if (typeof value !== 'string') throw new TypeError(`request.headers.get('${name}') must return a string or null`);
    return value;
  };
}

/**
 * The `signal` of a call's `params`, read once here (and its `aborted`, as src/platform.rs reads it before each
 * request): a getter or Proxy trap that throws is a TypeError naming it, as the walker gives for other params.
 */
function signalOf(params) {
  if (!isObject(params)) return undefined;
  const signal = guarded(() => params.signal, 'params.signal');
  if (isObject(signal)) guarded(() => signal.aborted, 'params.signal.aborted');
  return signal;
}

/** What the walker of src/convert.rs says of a value whose getter or Proxy trap threw. */
const UNREADABLE = 'cannot be read (a getter or a Proxy threw)';

/** `read()`, or, when it throws (the caller's getter or Proxy trap), the walker's TypeError naming `path`. */
function guarded(read, path) {
  try {
    return read();
  } catch {
    throw new TypeError(`${path} ${UNREADABLE}`);
  }
}

/**
 * `{ ...value }` without the keys `omit`, as a plain object: own enumerable properties, each read once; a getter or
 * Proxy trap that throws is the TypeError naming that property (or `path`, for the key list itself).
 */
function copyOwn(value, path, omit = []) {
  const copy = {};
  for (const key of guarded(() => Reflect.ownKeys(value), path)) {
    if (omit.includes(key)) continue;
    const at = typeof key === 'string' ? `${path}.${key}` : path;
    if (!guarded(() => Object.prototype.propertyIsEnumerable.call(value, key), at)) continue;
    Object.defineProperty(copy, key, { value: guarded(() => value[key], at), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

function processEnv() {
  try {
    return globalThis.process?.env;
  } catch {
    return undefined;
  }
}

function isObject(v) {
  return v !== null && typeof v === 'object';
}
