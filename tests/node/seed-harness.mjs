// Runs one code example of the seed documents (tests/node/seed-examples.test.mjs) and reports what it did. The
// same file runs in Node and, bundled into a Worker, in workerd: no Node-only code.
//
// The example is an async function whose body is the block's text. The free names the documents assume are
// provided as globals for the duration of the run: `createClerkClient` (the package's, wrapped in a recorder),
// `clerkClient` (a client from that `createClerkClient()`, i.e. configured from `process.env`) and `c` (a Hono
// context whose `c.req.raw` is a real `Request` carrying `Authorization: Bearer <token>`). A block that
// declares or imports one of these names shadows the global, as it would in the reader's own code.
// `console.log` is captured. The recorder hands the block the package's own results (the very same objects);
// it only notes every call, its arguments and its result, so that promises the block leaves floating (the
// changeset's examples do not await) can be settled and checked afterwards.

/** A JSON-safe view of a value the package returned (request states keep their fields and `toAuth()`). */
export function serialize(v) {
  if (v instanceof Error) {
    const out = { error: true, name: v.name, message: v.message };
    for (const k of ['code', 'status', 'reason']) if (v[k] !== undefined) out[k] = v[k];
    if (Array.isArray(v.errors)) out.errors = v.errors.map((e) => ({ code: e.code, message: e.message }));
    return out;
  }
  if (v !== null && typeof v === 'object' && typeof v.toAuth === 'function') {
    const { toAuth, headers, ...fields } = v;
    const auth = toAuth();
    return {
      ...JSON.parse(JSON.stringify(fields)),
      headers: headers && typeof headers.entries === 'function' ? Object.fromEntries(headers.entries()) : headers,
      toAuth: JSON.parse(JSON.stringify(auth)),
    };
  }
  return v === undefined ? null : JSON.parse(JSON.stringify(v));
}

/**
 * Runs `example` with the free names provided; resolves to
 * `{ threw, logs, clients, calls, runtime }`, all JSON-safe:
 * - `logs`: each `console.log` call's arguments, and for each argument the index of the recorded call whose
 *   result is that very object (-1 for none);
 * - `clients`: the options of every `createClerkClient` call (`provided: true` for the `clerkClient` global);
 * - `calls`: every method call on those clients: `{ client, method, args, awaited, iterated, value | error }`.
 */
export async function runExample(example, { createClerkClient, authorization, requestUrl = 'https://receiver.example/api' }) {
  const clients = [];
  const calls = [];
  const settled = [];
  const recordingCreate = (...args) => {
    const client = createClerkClient(...args);
    const index = clients.push({ args: args.map(serialize), provided: false }) - 1;
    return recorder(client, index);
  };
  const recorder = (target, client, prefix = '') => new Proxy(target, {
    get(obj, key, receiver) {
      const value = Reflect.get(obj, key, receiver);
      if (typeof key !== 'string') return value;
      if (typeof value === 'function') {
        return (...args) => {
          const call = { client, method: prefix + key, args: args.map(serializeArg), awaited: false, iterated: false };
          calls.push(call);
          let result;
          try {
            result = value.apply(obj, args);
          } catch (e) {
            call.syncError = serialize(e);
            throw e;
          }
          if (result === null || typeof result !== 'object' || typeof result.then !== 'function') {
            call.value = serialize(result);
            return result;
          }
          // The block gets the package's own promise (or `m2m.list`'s thenable, async-iterable page promise);
          // the proxy only notes whether it was awaited or iterated. A result the block iterated is not awaited
          // here: that would start a request the block never made.
          call.promise = result;
          // A floating promise that rejects is reported below, not as an unhandled rejection.
          if (result instanceof Promise) result.catch(() => {});
          return new Proxy(result, {
            get(p, k) {
              if (k === 'then') call.awaited = true;
              if (k === Symbol.asyncIterator) call.iterated = true;
              const v = Reflect.get(p, k, p);
              return typeof v === 'function' ? v.bind(p) : v;
            },
          });
        };
      }
      if (value !== null && typeof value === 'object' && prefix === '') return recorder(value, client, `${key}.`);
      return value;
    },
  });
  const logs = [];
  const saved = { clerkClient: globalThis.clerkClient, createClerkClient: globalThis.createClerkClient, c: globalThis.c };
  const savedLog = console.log;
  let threw = null;
  try {
    const provided = recordingCreate();
    clients[0].provided = true;
    globalThis.createClerkClient = recordingCreate;
    globalThis.clerkClient = provided;
    const headers = authorization === undefined ? {} : { authorization };
    globalThis.c = { req: { raw: new Request(requestUrl, { headers }) } };
    console.log = (...args) => logs.push(args);
    await example();
  } catch (e) {
    threw = serialize(e);
  } finally {
    console.log = savedLog;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete globalThis[k];
      else globalThis[k] = v;
    }
  }
  // Settle what the block started and did not iterate (awaiting an awaited promise again starts nothing).
  for (const call of calls) {
    if (!call.promise) continue;
    if (call.iterated && !call.awaited) continue;
    try {
      const value = await call.promise;
      settled.push([call, value]);
      call.value = serialize(value);
    } catch (e) {
      call.error = serialize(e);
    }
  }
  const resultIndex = (arg) => {
    const hit = settled.find(([, value]) => value === arg && arg !== null && typeof arg === 'object');
    return hit ? calls.indexOf(hit[0]) : -1;
  };
  return {
    threw,
    logs: logs.map((args) => ({ args: args.map(serialize), resultOf: args.map(resultIndex) })),
    clients,
    calls: calls.map(({ promise, ...rest }) => rest),
  };
}

/** Arguments as JSON; a `Request` as its method, URL and Authorization header. */
function serializeArg(a) {
  if (typeof Request !== 'undefined' && a instanceof Request) {
    return { request: true, method: a.method, url: a.url, authorization: a.headers.get('authorization') };
  }
  return serialize(a);
}
