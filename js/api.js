// The public API. Entries (index.js, workerd.js, node-entry.js) differ only in how they load the WASM module;
// all logic is in Rust: this file only moves arguments across and lifts errors into their classes.
import { wasm } from './runtime.js';
import { liftError } from './lift.js';

export { TokenType, AuthStatus } from './constants.js';

/** The package version, read from the WASM module (proves the module is loaded and callable). */
export function version() {
  return wasm().version();
}

/**
 * Creates a client. Options win over `options.env` (an env-like object such as a Worker's `env`), which wins
 * over `process.env` where the runtime has one. Throws synchronously for an unusable configuration.
 */
export function createClerkClient(options = {}) {
  const opts = options ?? {};
  const { fetch, env, ...rest } = isObject(opts) ? opts : {};
  if (fetch !== undefined && typeof fetch !== 'function') throw new TypeError('options.fetch must be a function');
  let client;
  try {
    client = new (wasm().Client)(isObject(opts) ? rest : opts, env, processEnv(), fetch);
  } catch (e) {
    throw liftError(e);
  }
  // The last argument holds the call's options, and so its `signal`.
  const call = (method) => async (...args) => {
    try {
      return await client[method](...args);
    } catch (e) {
      const options = args.at(-1);
      throw liftError(e, isObject(options) ? options.signal : undefined);
    }
  };
  const list = call('list');
  const verifyInRust = call('verify');
  const finishVerify = (handle, verdict, error) => client.verifyFinish(handle, verdict, error);
  // A verified-token cache hit comes back as its entry's serial. The result parsed once is kept here by it
  // (never handed out) and each hit gets a copy: copying is ~4x cheaper than parsing the text again.
  const hits = new Map();
  const hitResult = (serial) => {
    let result = hits.get(serial);
    if (result === undefined) {
      const text = client.lastHitText();
      if (text === undefined) return undefined;
      result = JSON.parse(text);
      if (hits.size >= MAX_KEPT_HITS) hits.delete(hits.keys().next().value);
      hits.set(serial, result);
    }
    return copyJson(result);
  };
  // A local JWT whose key is at hand is verified with one await: Rust runs every check but the RSA one
  // synchronously, this awaits `crypto.subtle.verify`, Rust finishes. Anything else is `verifyInRust`.
  const verify = async (params) => {
    let outcome;
    try {
      outcome = client.verifyNow(onlyToken(params), params);
      if (typeof outcome === 'number') outcome = hitResult(outcome);
      else if (Array.isArray(outcome)) {
        const text = await checkSignature(outcome, finishVerify);
        outcome = text === undefined ? undefined : JSON.parse(text);
      }
    } catch (e) {
      throw liftError(e, isObject(params) ? params.signal : undefined);
    }
    // The result, or undefined: I/O is needed.
    return outcome === undefined ? verifyInRust(params) : outcome;
  };
  const createToken = call('createToken');
  const revokeToken = call('revokeToken');
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
  const authenticateInRust = call('authenticateRequest');
  const finishAuthenticate = (handle, verdict, error) => client.authenticateFinish(handle, verdict, error);
  /** Authenticates a `Request` by its `Authorization` header (reference §5); resolves to a request state. */
  const authenticateRequest = async (request, options) => {
    if (!isObject(request) || typeof request.headers?.get !== 'function') {
      throw new TypeError('authenticateRequest expects a Request (or an object with headers.get)');
    }
    const authorization = request.headers.get('authorization') ?? undefined;
    let state;
    try {
      // Like `verify`: synchronous unless a JWKS fetch, a key import or the Backend API is needed.
      state = client.authenticateNow(authorization === undefined ? undefined : utf8(authorization), options);
      if (Array.isArray(state)) state = await checkSignature(state, finishAuthenticate);
    } catch (e) {
      throw liftError(e, isObject(options) ? options.signal : undefined);
    }
    return requestState(state === undefined ? await authenticateInRust(authorization, options) : state);
  };
  return { m2m, m2mTokens, authenticateRequest };
}

/**
 * `m2mTokens.verifySecret({ secret, ... })` as `m2m.verify({ token: secret, ... })`. Anything but an object with
 * a string `secret` is a TypeError that names `secret`, not the `token` the caller never wrote.
 */
function secretAsToken(params) {
  if (!isObject(params) || typeof params.secret !== 'string' || params.secret === '') {
    throw new TypeError('m2mTokens.verifySecret expects { secret: string } (the M2M token to verify); m2m.verify({ token }) is the current name');
  }
  const { secret, ...rest } = params;
  return { ...rest, token: secret };
}

/** The WASM module's `WebAssembly.Memory` (the object stays; its `buffer` changes when it grows). */
let memory;

/** `hand_out` in src/lib.rs packs the two lengths of a signature check as `data * BASE + signature`. */
const SIGNATURE_LEN_BASE = 4096;

/**
 * Checks the signature a synchronous step asked for with WebCrypto and hands the answer, or what WebCrypto
 * threw, to `finish`. The step is `[handle, cryptoKey, signatureAt, dataAt, lengths]`: the bytes stay in the
 * WASM memory, which Rust leaves unchanged until `finish`; `crypto.subtle.verify` copies them before it
 * returns, so the views are made right before the call.
 */
async function checkSignature(step, finish) {
  let verdict;
  let error;
  try {
    const { buffer } = (memory ??= wasm().wasmMemory());
    const lengths = step[4];
    const signature = new Uint8Array(buffer, step[2], lengths % SIGNATURE_LEN_BASE);
    const data = new Uint8Array(buffer, step[3], Math.floor(lengths / SIGNATURE_LEN_BASE));
    verdict = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', step[1], signature, data);
  } catch (e) {
    error = e ?? null;
  }
  return finish(step[0], verdict, error);
}

/** How many cache hits' parsed results one client keeps (oldest first out); a miss only costs a parse. */
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
        // An unset RECEIVER_MACHINE_ID must not quietly become a 403 for every caller.
        if (!isObject(params) || typeof params.scope !== 'string' || params.scope === '') {
          throw new TypeError('has({ scope }) needs scope: the receiving machine id (mch_…), a non-empty string; is its environment variable set?');
        }
        return Boolean(auth.isAuthenticated && auth.scopes.includes(params.scope));
      },
      /** What was authenticated; never a key or the token. */
      debug: () => ({ tokenType: auth.tokenType, isAuthenticated: auth.isAuthenticated, subject: auth.subject, reason: fields.reason }),
    }),
  };
}

/** Every token matching `params`, page after page (offset pagination, newest first). */
async function* listAll(list, params) {
  const base = isObject(params) ? params : {};
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

/** `params.token` as UTF-8 when `params` is a plain `{ token: string }` and nothing else: then only the token crosses. */
function onlyToken(params) {
  if (!isObject(params) || Object.getPrototypeOf(params) !== Object.prototype) return undefined;
  const keys = Object.keys(params);
  if (keys.length !== 1 || keys[0] !== 'token') return undefined;
  const token = params.token;
  return typeof token === 'string' ? utf8(token) : undefined;
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
