// The scenarios of tests/node/trap-recovery.test.mjs: a WASM trap (a `WebAssembly.RuntimeError`) in a call of the
// package, and what every call after it sees (docs/reliability.md, "Restart after a trap"). The same file runs in
// Node (./trap-recovery-node.mjs, a process of its own with --expose-gc) and, bundled into a Worker, in workerd: no
// Node-only code. Nothing here asserts: each step records what it saw, and the test file asserts the record.
//
// Traps come from the package's test-only export `__trapForTests` (src/lib.rs), reached through the hidden hook
// `client[Symbol.for('clerk-m2m-edge.internal')]` (js/api.js), which calls it through the same error handling as
// every call of that client: `trap(false)` traps inside a synchronous call (like `step`), `trap(true)` in the
// poll of an async call's future, which wasm-bindgen-futures runs in a microtask. The hook also tells which instance
// a client's next call runs in (`instance()`: its generation and `WebAssembly.Memory`).
//
// No network: JWTs are verified with `jwtKey` (a key made here with WebCrypto); the calls left in flight across a
// trap wait on a `fetch` option that never answers.

const INTERNAL = Symbol.for('clerk-m2m-edge.internal');
const SENDER = 'mch_2vYVtrapRecoverySenderXXXX';
const RECEIVER = 'mch_2vYVtrapRecoveryReceiverXX';
const CAT_M2M = 'cl_B7d4PD333AAA';

const b64u = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const segment = (value) => b64u(new TextEncoder().encode(JSON.stringify(value)));
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A signing key, its public JWK as `jwtKey`, and a minter of distinct M2M JWTs signed with it. */
async function keyAndTokens() {
  const { publicKey, privateKey } = await crypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'],
  );
  const jwk = { ...(await crypto.subtle.exportKey('jwk', publicKey)), kid: 'ins_trap_recovery', alg: 'RS256', use: 'sig' };
  let serial = 0;
  const mint = async () => {
    const now = Math.floor(Date.now() / 1000);
    const jti = `mt_${(++serial).toString(16).padStart(32, '0')}`;
    const input = `${segment({ alg: 'RS256', typ: 'JWT', kid: jwk.kid, cat: CAT_M2M })}.${segment({
      iss: 'https://clerk.trap-recovery.test', sub: SENDER, jti, aud: [RECEIVER], scopes: RECEIVER, iat: now - 1, nbf: now - 1, exp: now + 3600,
    })}`;
    const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, new TextEncoder().encode(input));
    return { token: `${input}.${b64u(signature)}`, jti };
  };
  return { jwtKey: JSON.stringify(jwk), mint };
}

/** What a call that trapped, or was in flight when the module trapped, rejected with (or that it did not). */
function rejection(settled) {
  if (settled.status === 'pending') return { settled: false };
  if (settled.status === 'fulfilled') return { settled: true, fulfilled: true };
  const e = settled.reason;
  return {
    settled: true,
    fulfilled: false,
    isError: e instanceof Error,
    name: e?.name,
    message: e?.message,
    causeIsRuntimeError: e?.cause instanceof WebAssembly.RuntimeError,
    cause: e?.cause === undefined ? undefined : String(e.cause),
  };
}

/** Settles `promise` within `ms`, or reports it pending. */
async function within(promise, ms = 2000) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve({ status: 'pending' }), ms); });
  try {
    return await Promise.race([promise.then((value) => ({ status: 'fulfilled', value }), (reason) => ({ status: 'rejected', reason })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every scenario. `env`: `{ createClerkClient, version, events, gc, traps }` — the package's two functions,
 * the array the host pushes each unhandled rejection and uncaught exception into, a function that forces a full
 * garbage collection (Node with --expose-gc; undefined in workerd), and how many traps in a row the long scenario
 * makes. Resolves to the record the test asserts.
 */
export async function runTrapRecovery({ createClerkClient, version, events, gc, traps = 100 }) {
  const { jwtKey, mint } = await keyAndTokens();
  const report = { steps: [], events: [] };
  const record = (label, fields) => report.steps.push({ label, ...fields });
  /** Verifies a fresh token (and the same one again: a cache hit where the cache is on) with `client`. */
  const verifies = async (client, minter = mint) => {
    const { token, jti } = await minter();
    const first = await within(client.m2m.verify({ token }));
    const again = await within(client.m2m.verify(token));
    for (const r of [first, again]) if (r.status !== 'fulfilled') return r.status === 'pending' ? 'did not settle' : `${r.reason?.name}: ${r.reason?.message}`;
    return first.value.subject === SENDER && first.value.id === jti && again.value.id === jti;
  };
  /** Whether `client` refuses a token signed by another key (a MachineTokenVerificationError). */
  const refuses = async (client, minter) => {
    const r = await within(client.m2m.verify({ token: (await minter()).token }));
    return r.status === 'rejected' && r.reason?.name === 'MachineTokenVerificationError' ? true : r.status === 'pending' ? 'did not settle' : `${r.status}: ${r.reason?.message}`;
  };
  const authenticates = async (client) => {
    const { token } = await mint();
    const r = await within(client.authenticateRequest(new Request('https://receiver.test/', { headers: { authorization: `Bearer ${token}` } }), { acceptsToken: 'm2m_token' }));
    if (r.status !== 'fulfilled') return r.status === 'pending' ? 'did not settle' : `${r.reason?.name}: ${r.reason?.message}`;
    return r.value.isAuthenticated && r.value.toAuth().subject === SENDER;
  };
  const instanceOf = (client) => client[INTERNAL].instance();
  // A: the verified-token cache on (hits), B: off (every verification checks a signature), `hanging`: Backend API
  // calls whose fetch never answers, to be in flight when the module traps.
  const a = createClerkClient({ jwtKey, apiUrl: 'http://127.0.0.1:9' });
  const b = createClerkClient({ jwtKey, apiUrl: 'http://127.0.0.1:9', verifiedTokenCacheSize: 0 });
  const hanging = createClerkClient({ secretKey: 'sk_test_trapRecoveryXXXXXXXXXXXXXXXXXXXX', apiUrl: 'http://127.0.0.1:9', fetch: () => new Promise(() => {}) });
  const inFlight = () => [
    hanging.m2m.verify({ token: 'mt_0123456789abcdef0123456789abcdef' }),
    Promise.resolve(hanging.m2m.list({ subject: SENDER })), // list() starts on its first `then`
    hanging.authenticateRequest(new Request('https://receiver.test/', { headers: { authorization: 'Bearer mt_0123456789abcdef0123456789abcdef' } }), { acceptsToken: 'm2m_token' }),
  ];

  const before = instanceOf(a);
  record('before: A and B verify', { a: await verifies(a), b: await verifies(b), authenticates: await authenticates(a), generation: before.generation });

  for (const asynchronously of [false, true]) {
    const kind = asynchronously ? 'async' : 'sync';
    const old = instanceOf(a);
    const { token, jti } = await mint();
    const pending = inFlight();
    await tick(); // their futures now wait for the fetch
    // A verification of B between its synchronous step and its finish (awaiting crypto.subtle.verify).
    const halfway = b.m2m.verify({ token });
    const trap = await within(a[INTERNAL].trap(asynchronously));
    const others = await Promise.all(pending.map((p) => within(p)));
    const half = await within(halfway);
    const now = instanceOf(a);
    record(`${kind} trap`, {
      trap: rejection(trap),
      inFlight: others.map(rejection),
      // The module trapped before it finished (rejected as in flight), or after (the right result).
      halfway: half.status === 'fulfilled' ? { settled: true, fulfilled: true, right: half.value.id === jti } : rejection(half),
      oldGeneration: old.generation,
      newGeneration: now.generation,
      newMemory: now.memory !== old.memory,
      a: await verifies(a),
      b: await verifies(b),
      authenticates: await authenticates(b),
      sameInstance: instanceOf(b).memory === now.memory,
      version: version(),
    });
  }

  // A GC after the restart collects the old instance's wasm Clients (and closures): its FinalizationRegistry
  // callbacks must free them into the dead instance, never into the new one, where the same addresses may now hold
  // the new instance's Clients (made in the same order). Then clients of another key reuse what was freed, and each
  // client must still verify with its own key, and only with it.
  const apiUrl = 'http://127.0.0.1:9';
  const other = await keyAndTokens();
  const many = Array.from({ length: 50 }, () => createClerkClient({ jwtKey, apiUrl, verifiedTokenCacheSize: 0 }));
  for (const c of many) await verifies(c);
  const gcTrap = await within(many[0][INTERNAL].trap(false));
  let fine = 0;
  for (const c of many) if ((await verifies(c)) === true) fine++; // each makes its new wasm Client, dropping the old
  many.length = 25; // and these are dropped altogether
  if (gc) for (let i = 0; i < 3; i++) { gc(); await tick(); }
  const others = Array.from({ length: 25 }, () => createClerkClient({ jwtKey: other.jwtKey, apiUrl, verifiedTokenCacheSize: 0 }));
  const afterGc = [];
  for (let i = 0; i < 100; i++) afterGc.push(await verifies(many[i % 25]), await verifies(others[i % 25], other.mint));
  for (let i = 0; i < 25; i++) afterGc.push(await refuses(many[i], other.mint), await refuses(others[i], mint));
  const fresh = createClerkClient({ jwtKey, apiUrl });
  record('GC after a restart', {
    trap: rejection(gcTrap), reconnected: fine, gc: Boolean(gc),
    verifications: afterGc.length, failed: afterGc.filter((v) => v !== true).slice(0, 3), fresh: await verifies(fresh), a: await verifies(a),
  });

  // `traps` traps in a row, sync and async in turn, each followed by verifications; the old instances' memories
  // must be collectable (WeakRefs; Node only, where the test forces GCs).
  const memories = [];
  const rss = () => (typeof process === 'object' && process.memoryUsage ? process.memoryUsage().rss : undefined);
  let rssAt10;
  const failures = [];
  // One trap and what follows it, in a function of its own: a suspended async function may keep a dead
  // register's value (here: the old memory) alive.
  const oneTrap = async (i) => {
    const { generation, memory } = instanceOf(a);
    memories.push(new WeakRef(memory));
    const r = rejection(await within(a[INTERNAL].trap(i % 2 === 1)));
    if (r.fulfilled !== false || !r.causeIsRuntimeError) failures.push({ i, trap: r });
    const now = instanceOf(a);
    if (now.generation !== generation + 1 || now.memory === memory) failures.push({ i, instance: 'not new' });
    const ok = await verifies(i % 3 === 0 ? b : a);
    if (ok !== true) failures.push({ i, verify: ok });
  };
  for (let i = 0; i < traps; i++) {
    await oneTrap(i);
    if (i === 9 && gc) {
      for (let j = 0; j < 3; j++) { gc(); await tick(); }
      rssAt10 = rss();
    }
  }
  if (gc) for (let j = 0; j < 5; j++) { gc(); await tick(); }
  const last = instanceOf(a);
  record(`${traps} traps in a row`, {
    failures: failures.slice(0, 5),
    generations: last.generation - before.generation,
    aliveOldMemories: gc ? memories.flatMap((w, i) => (w.deref() !== undefined && w.deref() !== last.memory ? [i] : [])) : undefined,
    rssAt10, rssAtEnd: rss(),
    a: await verifies(a), b: await verifies(b), authenticates: await authenticates(a), version: version(),
  });

  await tick();
  report.events = events.map((e) => String(e && e.stack || e));
  return report;
}
