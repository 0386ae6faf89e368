// Every code example of the seed documents (/work/shared/seeds, the verbatim pages this project was started
// from) run as written against this package and a local Backend API, in Node and in workerd (miniflare), each
// checked for what its document says it does: its result, what it printed, and the request the Backend API
// received (method, path, query, body and the key in `Authorization`).
//
// The blocks are read from the seed files when the test runs, never copied here. "As written" means the block's
// text is run unchanged except for:
//   (a) TypeScript stripped by esbuild's `transform` (a block's `import` lines are hoisted to the top of the
//       module the block runs in, where ES modules put them anyway);
//   (b) placeholders replaced by real values from the local Backend API, each an exact quoted literal that must
//       occur in the block: 'mt_123' (a machine id) → the machine's id, 'mt_xxxxx' → a token id,
//       'sk_xxxx' → the instance secret key, 'ak_xxx' → a machine secret key, 'mt_secret_xxxxx' → an opaque
//       token, and 003's account id → a machine id;
//   (c) the free names the documents assume, provided as globals by ./seed-harness.mjs: `createClerkClient`
//       (the package's, behind a recorder that notes each call and its result), `clerkClient` (`createClerkClient()`, configured from process.env) and `c` (a Hono
//       context: `c.req.raw` is a real Request with `Authorization: Bearer <token>`). process.env holds
//       CLERK_SECRET_KEY, CLERK_MACHINE_SECRET_KEY and CLERK_API_URL of the local Backend API, in Node the real
//       process.env and in workerd the one `nodejs_compat` + `nodejs_compat_populate_process_env` fill from the
//       Worker's bindings. Both secrets are set, as on a server that holds both: the examples that pass a key
//       explicitly must then use that key and not the ambient other one (the first of explicit options,
//       options.env and process.env that holds either secret key supplies both: crates/core/src/config.rs).
// 002's "Revoke" and "Verify" blocks each declare `const clerkClient` twice: they are run as their two examples,
// split at the `// Using machine secret` / `// Using instance secret (default)` lines, each in its own scope.
// 001 is 000 rendered as HTML text: its examples are found in the text, asserted identical to 000's, and run once.
// 003 is Cloudflare's SDK page: its example lists `client.accounts.tokens` of the `cloudflare` package. Its
// pattern (an auto-paginating `for await` over `list()`) is run against this package after the mechanical
// rewrite in `rewrite003` below (names of the package, the option and the environment variable; the page's text
// lost its line breaks, so its two `//` comments become `/* */` comments, without which the one line would be
// a comment from the first `//` on). The two signature blocks (`function list(...)`, `function createToken(...)`)
// are not runnable: tsc (strict) checks them against the package's index.d.ts.
//
// This file moves the Backend API's clock (an expired token for the list examples), so it runs its own local
// Backend API, like example-worker.test.mjs. The seeds are read from CLERK_SEEDS_DIR, default ../shared/seeds
// next to the repository; SEED_EXAMPLES_KEEP=1 keeps the scratch directory (the generated example modules, the
// Worker bundle) for a look at what ran.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { admin, localBapi, root } from './context.mjs';
import { runExample } from './seed-harness.mjs';
import { bundleWorker, installPacked, startWorker } from './packed.mjs';

const seedsDir = process.env.CLERK_SEEDS_DIR ?? join(root, '../shared/seeds');
/** The text of seed `NNN_<hash>.txt`. */
const seed = (prefix) => {
  const files = readdirSync(seedsDir).filter((f) => f.startsWith(`${prefix}_`) && f.endsWith('.txt'));
  assert.equal(files.length, 1, `one seed ${prefix}_*.txt in ${seedsDir}`);
  return readFileSync(join(seedsDir, files[0]), 'utf8');
};
const { transform } = await import(`${root}/node_modules/esbuild/lib/main.js`);
const compatibilityDate = '2026-04-01';

// ---------------------------------------------------------------------------------------------------------
// Extraction: the fenced blocks of the markdown seeds (000, 002, 004), the examples in 001's rendered text, and
// 003's one `node` block.

/** Fenced blocks of a markdown text: `{ lang, code, heading }` (heading: the nearest `#…` line above). */
function fenced(text) {
  const blocks = [];
  let heading = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^```(\w+)$/);
    if (!open) {
      if (/^#{1,6} /.test(lines[i])) heading = lines[i].replace(/^#+ /, '');
      continue;
    }
    const end = lines.indexOf('```', i + 1);
    assert.ok(end > i, `unterminated block at line ${i + 1}`);
    blocks.push({ lang: open[1], code: lines.slice(i + 1, end).join('\n'), heading, line: i + 2 });
    i = end;
  }
  return blocks;
}

/** 002's blocks that hold two examples, split at the comment lines that name them. */
function splitByKeyComment(code) {
  const marks = /^\/\/ (Using machine secret|Using instance secret \(default\))$/;
  const lines = code.split('\n');
  const starts = lines.map((l, i) => (marks.test(l) ? i : -1)).filter((i) => i >= 0);
  if (starts.length === 0) return [{ part: '', code }];
  assert.equal(starts[0], 0, 'a split block starts with its first comment line');
  return starts.map((s, k) => ({ part: lines[s].slice(3), code: lines.slice(s, starts[k + 1] ?? lines.length).join('\n').trim() }));
}

/** 001: the signature line and each example (from `const machineId = ` through its closing `})`). */
function renderedExamples(text) {
  const lines = text.split('\n');
  const signature = lines.filter((l) => l.startsWith('function '));
  const examples = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('const machineId = ')) continue;
    const end = lines.indexOf('})', i);
    assert.ok(end > i, `001: example at line ${i + 1} has no closing })`);
    examples.push(lines.slice(i, end + 1).join('\n'));
    i = end;
  }
  return { signature, examples };
}

/** 003's text has no line breaks: its one `node` block, as it stands. */
function block003(text) {
  const blocks = [...text.matchAll(/```(\w+) (.*?) ```/g)].map((m) => ({ lang: m[1], code: m[2] }));
  assert.deepEqual(blocks.map((b) => b.lang), ['node', 'json'], '003: one code example and its JSON response');
  return blocks[0].code;
}

/**
 * 003's example in terms of this package: each pair is an exact substring of the block, replaced once. Only
 * names change (the package, its factory, the option, the environment variable, the method, the query
 * parameter, the account placeholder); the `for await` loop and its body are the page's own.
 */
const rewrite003 = (machineId) => [
  // The page's text lost its line breaks: a `//` comment would swallow the rest of the one line.
  ["// This is the default and can be omitted }", "/* This is the default and can be omitted */ }"],
  ["// Automatically fetches more pages as needed. for", "/* Automatically fetches more pages as needed. */ for"],
  ["import Cloudflare from 'cloudflare';", "import { createClerkClient } from 'clerk-m2m-edge';"],
  ['new Cloudflare(', 'createClerkClient('],
  ["apiToken: process.env['CLOUDFLARE_API_TOKEN']", "secretKey: process.env['CLERK_SECRET_KEY']"],
  ['client.accounts.tokens.list(', 'client.m2m.list('],
  ["account_id: '023e105f4ecef8ad9ca31a8372d0c353'", `subject: '${machineId}'`],
];

function applyExact(code, pairs, what) {
  for (const [from, to] of pairs) {
    const n = code.split(from).length - 1;
    assert.equal(n, 1, `${what}: ${JSON.stringify(from)} occurs ${n} times`);
    code = code.replace(from, () => to);
  }
  return code;
}

const md000 = fenced(seed('000'));
const md002 = fenced(seed('002'));
const md004 = fenced(seed('004'));
const html001 = renderedExamples(seed('001'));
const text003 = block003(seed('003'));

/**
 * The runnable examples, in document order: `{ key, title, lang, code, placeholders(fx), rewrite?(fx) }`.
 * `placeholders` maps each quoted placeholder of the block to its real value for a fixture.
 */
const examples = [];
for (const [i, b] of md000.filter((b) => b.lang === 'tsx').entries()) {
  examples.push({ key: `000:${i + 1}`, title: `000 ${b.heading}`, lang: 'tsx', code: b.code, placeholders: (fx) => ({ "'mt_123'": fx.R.id }) });
}
{
  let n = 0;
  for (const b of md002.filter((b) => b.lang === 'ts')) {
    for (const { part, code } of splitByKeyComment(b.code)) {
      n += 1;
      const key = `002:${n}`;
      const title = `002 ${b.heading}${part ? ` — ${part}` : ''}${code.includes('authenticateRequest') ? ' — authenticateRequest' : ''}`;
      examples.push({ key, title, lang: 'ts', code, placeholders: (fx) => placeholders002[key](fx) });
    }
  }
}
examples.push({
  key: '003:1', title: '003 List Tokens (the for-await pattern, rewritten to this package)', lang: 'js', code: text003,
  placeholders: () => ({}), rewrite: (fx) => rewrite003(fx.T.id),
});
for (const [i, b] of md004.filter((b) => b.lang === 'ts' && !b.code.startsWith('function ')).entries()) {
  examples.push({ key: `004:${i + 1}`, title: `004 createToken() example ${i + 1}`, lang: 'ts', code: b.code, placeholders: (fx) => (b.code.includes("'ak_xxx'") ? { "'ak_xxx'": fx.S.secretKey } : {}) });
}

const placeholders002 = {
  '002:1': () => ({}),
  '002:2': (fx) => ({ "'mt_xxxxx'": fx.revokeByMachine.id }),
  '002:3': (fx) => ({ "'sk_xxxx'": fx.secretKey, "'mt_xxxxx'": fx.revokeByInstance.id }),
  '002:4': (fx) => ({ "'mt_secret_xxxxx'": fx.verifyByMachine.token }),
  '002:5': (fx) => ({ "'sk_xxxx'": fx.secretKey, "'mt_secret_xxxxx'": fx.verifyByInstance.token }),
  '002:6': () => ({}),
};

/** The example's text as it runs for a fixture: placeholders replaced, 003 rewritten, TypeScript stripped. */
async function moduleSource(example, fx) {
  let code = example.code;
  if (example.rewrite) code = applyExact(code, example.rewrite(fx), example.key);
  for (const [placeholder, value] of Object.entries(example.placeholders(fx))) {
    assert.match(value, /^[\w.-]+$/, `${example.key}: a value that needs no quoting`);
    assert.ok(code.includes(placeholder), `${example.key}: placeholder ${placeholder} not in the block`);
    code = code.replaceAll(placeholder, `'${value}'`);
  }
  const js = (await transform(code, { loader: example.lang === 'js' ? 'js' : example.lang, format: 'esm', target: 'es2022' })).code;
  const lines = js.split('\n');
  const imports = lines.filter((l) => /^import\b/.test(l));
  const body = lines.filter((l) => !/^import\b/.test(l));
  return `${imports.join('\n')}\nexport default async function example() {\n${body.join('\n')}\n}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// The package (packed and installed into a scratch project, as a user gets it) and the local Backend API.

let ctx, dir;
before(async () => {
  assert.ok(existsSync(join(root, 'pkg/package.json')), 'pkg/ is missing: run scripts/build first');
  const shared = process.env.CLERK_TEST_CONTEXT;
  delete process.env.CLERK_TEST_CONTEXT;
  try {
    ctx = await localBapi();
  } finally {
    if (shared !== undefined) process.env.CLERK_TEST_CONTEXT = shared;
  }
  dir = installPacked('clerk-m2m-seeds-');
});
after(async () => {
  if (dir && !process.env.SEED_EXAMPLES_KEEP) rmSync(dir, { recursive: true, force: true });
  await ctx?.stop();
});

/** A Clerk Backend API call made directly (fixtures and state checks, never through the package). */
async function bapi(method, path, key, body) {
  const res = await fetch(`${ctx.url}/v1${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
const mint = (machine, body = {}) => bapi('POST', '/m2m_tokens', machine.secretKey, body);
/** Every token of `subject` as the Backend API holds it (instance key, revoked and expired included). */
const stored = async (subject) => (await bapi('GET', `/m2m_tokens?subject=${subject}&revoked=true&expired=true&limit=100`, ctx.secretKey)).m2m_tokens;
const requestLog = () => admin(ctx, 'GET', '/requests');

/**
 * Fresh machines and tokens for one runtime's run:
 * - R, the server's own machine: its key is CLERK_MACHINE_SECRET_KEY; 12 live tokens, one expired (minted an
 *   hour ago for 60 s: the oldest) and one revoked (the newest); the 000 examples list R's tokens;
 * - S, scoped to R (its tokens verify with R's key); U, unscoped (its tokens do not); T, 105 live tokens (003).
 */
async function makeFixture(name) {
  const machine = (suffix, scopes = []) => admin(ctx, 'POST', '/machines', { name: `seed-${name}-${suffix}`, scopes });
  const R = await machine('receiver');
  const S = await machine('sender', [R.id]);
  const U = await machine('unscoped');
  const T = await machine('many');
  await admin(ctx, 'POST', '/clock', { offset_ms: -3_600_000 });
  let expired;
  try {
    expired = await mint(R, { seconds_until_expiration: 60 });
  } finally {
    await admin(ctx, 'POST', '/clock', { offset_ms: 0 });
  }
  const live = [];
  for (let i = 0; i < 12; i++) live.push(await mint(R));
  const revoked = await mint(R);
  await bapi('POST', `/m2m_tokens/${revoked.id}/revoke`, ctx.secretKey, { revocation_reason: 'fixture' });
  const many = [];
  for (let i = 0; i < 105; i++) many.push(await mint(T));
  const fx = {
    name, secretKey: ctx.secretKey, url: ctx.url, R, S, U, T, expired, live, revoked, many,
    revokeByMachine: live[0],
    revokeByInstance: await mint(U),
    verifyByMachine: await mint(S),
    verifyByInstance: await mint(U),
    authToken: await mint(S),
    authTokenUnscoped: await mint(U),
    env: { CLERK_SECRET_KEY: ctx.secretKey, CLERK_MACHINE_SECRET_KEY: R.secretKey, CLERK_API_URL: ctx.url },
  };
  assert.deepEqual((await stored(R.id)).map((t) => [t.revoked, t.expired]).filter(([r, e]) => r || e), [[true, false], [false, true]]);
  return fx;
}

/** The examples of one runtime as module files under `dir/<runtime>/`: `{ key → path }`. */
async function writeModules(runtime, fx) {
  const out = join(dir, runtime);
  mkdirSync(out, { recursive: true });
  const files = {};
  for (const [i, ex] of examples.entries()) {
    files[ex.key] = join(out, `example-${i}.mjs`);
    writeFileSync(files[ex.key], `// ${ex.title}\n${await moduleSource(ex, fx)}`);
  }
  return files;
}

// ---------------------------------------------------------------------------------------------------------
// What each example must have done. `r` is the harness's report, `log` the Backend API requests it made.

const hex32 = /^mt_[0-9a-f]{32}$/;
const query = (entry) => Object.fromEntries(new URLSearchParams(entry.query ?? ''));
const body = (entry) => (entry.body ? JSON.parse(entry.body) : {});
const ids = (tokens) => tokens.map((t) => t.id);
const ok = (r) => {
  assert.equal(r.threw, null, `the example threw: ${JSON.stringify(r.threw)}`);
  for (const call of r.calls) assert.equal(call.error, undefined, `${call.method} rejected: ${JSON.stringify(call.error)}`);
};
/** The one request of an example: its route, method and path, and the key it was sent with. */
function only(log, { method, path, key, route }) {
  assert.equal(log.length, 1, `one Backend API request, got ${JSON.stringify(log.map((e) => `${e.method} ${e.path}?${e.query ?? ''}`))}`);
  const [entry] = log;
  assert.equal(entry.route, route);
  assert.equal(`${entry.method} ${entry.path}`, `${method} ${path}`);
  assert.equal(entry.headers.authorization, `Bearer ${key}`, `sent with the ${key.startsWith('sk_') ? 'instance' : 'machine'} key`);
  return entry;
}
/** A list query: the subject and the given parameters; the others absent or at the documented default. */
function listQuery(entry, subject, given) {
  const q = query(entry);
  const defaults = { revoked: 'false', expired: 'false', limit: '10', offset: '0' };
  assert.equal(q.subject, subject);
  for (const [k, d] of Object.entries(defaults)) assert.equal(q[k] ?? d, given[k] ?? d, `query ${k}`);
  assert.deepEqual(Object.keys(q).filter((k) => !(k in defaults) && k !== 'subject'), [], 'no other query parameter');
}
/** The one `createClerkClient` of a block that creates its own client (the provided `clerkClient` aside). */
const createdWith = (r, options) => {
  assert.deepEqual(r.clients.map((c) => c.args), [[], [options]], 'createClerkClient was called as written');
};
const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

const checks = {
  // 000 (and 001): "Retrieves a list of M2M tokens for a given machine … `data` … `totalCount`"; with a machine
  // secret key "only tokens associated with the authenticated machine"; revoked/expired default false, limit 10.
  '000:1': (r, log, fx) => {
    ok(r);
    assert.deepEqual(r.logs, []);
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[0, 'm2m.list', [{ subject: fx.R.id }], true]]);
    const page = r.calls[0].value;
    assert.equal(page.totalCount, fx.live.length, 'totalCount: the live tokens (no revoked, no expired)');
    assert.equal(page.data.length, 10, 'the default limit is 10');
    for (const t of page.data) {
      assert.ok(ids(fx.live).includes(t.id), `${t.id} is one of R's live tokens`);
      assert.deepEqual([t.subject, t.revoked, t.expired], [fx.R.id, false, false]);
    }
    listQuery(only(log, { route: 'list', method: 'GET', path: '/m2m_tokens', key: fx.R.secretKey }), fx.R.id, {});
  },
  '000:2': (r, log, fx) => {
    ok(r);
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[0, 'm2m.list', [{ subject: fx.R.id, revoked: true, expired: true }], true]]);
    const page = r.calls[0].value;
    assert.equal(page.totalCount, fx.live.length + 2, 'totalCount counts the revoked and the expired token');
    assert.equal(page.data.length, 10);
    assert.equal(page.data[0].id, fx.revoked.id, 'the revoked token (the newest) is listed');
    assert.equal(page.data[0].revoked, true);
    assert.ok(page.data.every((t) => t.subject === fx.R.id));
    listQuery(only(log, { route: 'list', method: 'GET', path: '/m2m_tokens', key: fx.R.secretKey }), fx.R.id, { revoked: 'true', expired: 'true' });
  },
  '000:3': (r, log, fx) => {
    ok(r);
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[0, 'm2m.list', [{ subject: fx.R.id, limit: 20, offset: 0 }], true]]);
    const page = r.calls[0].value;
    assert.equal(page.totalCount, fx.live.length);
    assert.deepEqual(ids(page.data).sort(), ids(fx.live).sort(), 'limit 20: every live token on one page');
    listQuery(only(log, { route: 'list', method: 'GET', path: '/m2m_tokens', key: fx.R.secretKey }), fx.R.id, { limit: '20', offset: '0' });
  },
  // 002: "A machine secret is required when creating M2M tokens."
  '002:1': async (r, log, fx) => {
    ok(r);
    createdWith(r, { machineSecretKey: fx.R.secretKey });
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[1, 'm2mTokens.create', [{ secondsUntilExpiration: 3600 }], false]]);
    const t = r.calls[0].value;
    assert.match(t.id, hex32);
    assert.match(t.token, /^mt_\w{32}$/, 'an opaque token');
    assert.deepEqual([t.subject, t.revoked, t.expired], [fx.R.id, false, false]);
    assert.ok(Math.abs(t.expiration - (t.createdAt + 3_600_000)) <= 1000, `expires in 3600 s: ${t.expiration - t.createdAt} ms`);
    const entry = only(log, { route: 'create', method: 'POST', path: '/m2m_tokens', key: fx.R.secretKey });
    assert.equal(body(entry).seconds_until_expiration, 3600);
    assert.ok(ids(await stored(fx.R.id)).includes(t.id), 'the Backend API holds the new token');
  },
  // "You can revoke tokens using either a machine secret or instance secret".
  '002:2': async (r, log, fx) => {
    ok(r);
    createdWith(r, { machineSecretKey: fx.R.secretKey });
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]),
      [[1, 'm2mTokens.revoke', [{ m2mTokenId: fx.revokeByMachine.id, revocationReason: 'Revoked by user' }], false]]);
    const entry = only(log, { route: 'revoke', method: 'POST', path: `/m2m_tokens/${fx.revokeByMachine.id}/revoke`, key: fx.R.secretKey });
    assert.deepEqual(body(entry), { revocation_reason: 'Revoked by user' });
    const t = r.calls[0].value;
    assert.deepEqual([t.id, t.subject, t.revoked, t.revocationReason], [fx.revokeByMachine.id, fx.R.id, true, 'Revoked by user']);
    const held = (await stored(fx.R.id)).find((x) => x.id === fx.revokeByMachine.id);
    assert.deepEqual([held.revoked, held.revocation_reason], [true, 'Revoked by user']);
  },
  '002:3': async (r, log, fx) => {
    // The instance secret passed explicitly is the key sent, although CLERK_MACHINE_SECRET_KEY is set too.
    // (Expected to fail until crates/core/src/config.rs takes both keys from the first source holding either.)
    createdWith(r, { secretKey: fx.secretKey });
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]),
      [[1, 'm2mTokens.revoke', [{ m2mTokenId: fx.revokeByInstance.id, revocationReason: 'Revoked by user' }], false]]);
    const entry = only(log, { route: 'revoke', method: 'POST', path: `/m2m_tokens/${fx.revokeByInstance.id}/revoke`, key: fx.secretKey });
    assert.deepEqual(body(entry), { revocation_reason: 'Revoked by user' });
    ok(r);
    const t = r.calls[0].value;
    assert.deepEqual([t.id, t.subject, t.revoked, t.revocationReason], [fx.revokeByInstance.id, fx.U.id, true, 'Revoked by user'], "the instance key revokes another machine's token");
    assert.equal((await stored(fx.U.id)).find((x) => x.id === fx.revokeByInstance.id).revoked, true);
  },
  // "You can verify tokens using either a machine secret or instance secret".
  '002:4': (r, log, fx) => {
    ok(r);
    createdWith(r, { machineSecretKey: fx.R.secretKey });
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[1, 'm2mTokens.verifySecret', [{ secret: fx.verifyByMachine.token }], false]]);
    const entry = only(log, { route: 'verify', method: 'POST', path: '/m2m_tokens/verify', key: fx.R.secretKey });
    assert.deepEqual(body(entry), { token: fx.verifyByMachine.token });
    const t = r.calls[0].value;
    assert.deepEqual([t.id, t.subject, t.scopes, t.revoked, t.expired], [fx.verifyByMachine.id, fx.S.id, [fx.R.id], false, false]);
  },
  '002:5': (r, log, fx) => {
    // As 002:3: the explicit instance secret, not the ambient machine key (R could not verify U's token).
    createdWith(r, { secretKey: fx.secretKey });
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[1, 'm2mTokens.verifySecret', [{ secret: fx.verifyByInstance.token }], false]]);
    const entry = only(log, { route: 'verify', method: 'POST', path: '/m2m_tokens/verify', key: fx.secretKey });
    assert.deepEqual(body(entry), { token: fx.verifyByInstance.token });
    ok(r);
    const t = r.calls[0].value;
    assert.deepEqual([t.id, t.subject, t.scopes, t.revoked], [fx.verifyByInstance.id, fx.U.id, [], false]);
  },
  // "To verify machine-to-machine tokens … `authenticateRequest()` with a machine secret": a token whose scopes
  // hold this machine is authenticated (the `if (authReq.isAuthenticated)` branch is taken).
  '002:6': (r, log, fx) => {
    ok(r);
    createdWith(r, { machineSecretKey: fx.R.secretKey });
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[1, 'authenticateRequest',
      [{ request: true, method: 'GET', url: 'https://receiver.example/api', authorization: `Bearer ${fx.authToken.token}` }, { acceptsToken: 'm2m_token' }], true]]);
    const state = r.calls[0].value;
    assert.deepEqual([state.isAuthenticated, state.status, state.tokenType], [true, 'signed-in', 'm2m_token']);
    assert.deepEqual([state.toAuth.id, state.toAuth.subject, state.toAuth.scopes], [fx.authToken.id, fx.S.id, [fx.R.id]]);
    const entry = only(log, { route: 'verify', method: 'POST', path: '/m2m_tokens/verify', key: fx.R.secretKey });
    assert.deepEqual(body(entry), { token: fx.authToken.token });
  },
  // 003's pattern: "Automatically fetches more pages as needed." 105 tokens: every id printed, newest first,
  // from two pages; the client was given the instance key explicitly (the ambient machine key R may not list T).
  '003:1': (r, log, fx) => {
    for (const entry of log) {
      assert.equal(`${entry.method} ${entry.path} ${entry.route}`, 'GET /m2m_tokens list');
      assert.equal(entry.headers.authorization, `Bearer ${fx.secretKey}`, 'the instance key given as secretKey');
      assert.equal(query(entry).subject, fx.T.id);
    }
    assert.ok(log.length >= 2, `more than one page: ${log.length} request(s)`);
    let offset = 0;
    for (const [i, entry] of log.entries()) {
      const q = query(entry);
      assert.equal(Number(q.offset ?? 0), offset, `page ${i + 1} starts where the previous one ended`);
      offset += Number(q.limit ?? 10);
    }
    assert.ok(offset >= fx.many.length && offset - Number(query(log.at(-1)).limit ?? 10) < fx.many.length, 'no page beyond the last token');
    ok(r);
    assert.deepEqual(r.clients.map((c) => c.args), [[]], 'the block creates its client from its own import, not the provided global');
    assert.deepEqual(r.calls, []);
    assert.deepEqual(r.logs.map((l) => l.args), ids(fx.many).reverse().map((id) => [id]), 'every token id printed once, newest first');
  },
  // 004: "Creates a new M2M token. Must be authenticated via a Machine Secret Key." Default: opaque.
  '004:1': async (r, log, fx) => {
    ok(r);
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[0, 'm2m.createToken', [], true]]);
    assert.deepEqual(r.logs.map((l) => l.resultOf), [[0]], 'console.log printed the token createToken returned');
    const t = r.calls[0].value;
    assert.deepEqual(r.logs[0].args[0], t);
    assert.match(t.id, hex32);
    assert.match(t.token, /^mt_\w{32}$/, 'opaque by default');
    assert.deepEqual([t.subject, t.expiration, t.expired, t.revoked], [fx.R.id, null, false, false], 'never expires by default');
    const entry = only(log, { route: 'create', method: 'POST', path: '/m2m_tokens', key: fx.R.secretKey });
    assert.equal(body(entry).token_format ?? 'opaque', 'opaque');
    assert.ok(ids(await stored(fx.R.id)).includes(t.id));
  },
  '004:2': async (r, log, fx) => {
    ok(r);
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[0, 'm2m.createToken', [{ tokenFormat: 'jwt' }], true]]);
    assert.deepEqual(r.logs.map((l) => l.resultOf), [[0]]);
    const t = r.calls[0].value;
    const parts = t.token.split('.');
    assert.equal(parts.length, 3, 'a JSON Web Token');
    assert.deepEqual([decode(parts[0]).alg, decode(parts[0]).typ], ['RS256', 'JWT']);
    assert.deepEqual([decode(parts[1]).sub, decode(parts[1]).jti], [fx.R.id, t.id]);
    assert.equal(t.subject, fx.R.id);
    const entry = only(log, { route: 'create', method: 'POST', path: '/m2m_tokens', key: fx.R.secretKey });
    assert.equal(body(entry).token_format, 'jwt');
    assert.ok(!ids(await stored(fx.R.id)).includes(t.id), '000: "JWT tokens are not stored by Clerk"');
  },
  '004:3': async (r, log, fx) => {
    ok(r);
    assert.deepEqual(r.calls.map((c) => [c.client, c.method, c.args, c.awaited]), [[0, 'm2m.createToken', [{ machineSecretKey: fx.S.secretKey }], true]]);
    assert.deepEqual(r.logs.map((l) => l.resultOf), [[0]]);
    const t = r.calls[0].value;
    assert.equal(t.subject, fx.S.id, 'created as the machine whose key was passed, not the ambient one');
    assert.match(t.token, /^mt_\w{32}$/);
    const entry = only(log, { route: 'create', method: 'POST', path: '/m2m_tokens', key: fx.S.secretKey });
    assert.ok(!entry.body?.includes(fx.S.secretKey), 'the key goes in the header, not the body');
    assert.equal(body(entry).token_format ?? 'opaque', 'opaque');
    assert.ok(ids(await stored(fx.S.id)).includes(t.id));
  },
};

// ---------------------------------------------------------------------------------------------------------

test('the seed documents hold the examples this file runs (001 = 000, 002 split in two where it declares clerkClient twice)', () => {
  assert.deepEqual(md000.map((b) => b.lang), ['ts', 'tsx', 'tsx', 'tsx']);
  assert.deepEqual(md002.map((b) => b.lang), ['ts', 'ts', 'ts', 'ts']);
  assert.deepEqual(md004.map((b) => b.lang), ['ts', 'ts', 'ts', 'ts']);
  // 001 is 000 rendered: the same three examples, character for character, and the same signature.
  assert.deepEqual(html001.examples, md000.filter((b) => b.lang === 'tsx').map((b) => b.code));
  assert.deepEqual(html001.signature, [md000[0].code]);
  assert.deepEqual(examples.map((e) => e.key), Object.keys(checks), 'every example has its check, and no check is left over');
  assert.deepEqual(examples.filter((e) => e.key.startsWith('002:')).map((e) => e.title), [
    '002 Create M2M Tokens',
    '002 Revoke M2M Tokens — Using machine secret',
    '002 Revoke M2M Tokens — Using instance secret (default)',
    '002 Verify M2M Tokens — Using machine secret',
    '002 Verify M2M Tokens — Using instance secret (default)',
    '002 Verify M2M Tokens — authenticateRequest',
  ]);
  for (const e of examples.filter((e) => e.key.startsWith('002:'))) {
    assert.equal((e.code.match(/const clerkClient\b/g) ?? []).length, 1, `${e.title}: one clerkClient per example`);
  }
});

test('the signature blocks (000 list, 004 createToken) type-check against the package\'s index.d.ts (tsc, strict)', () => {
  const signatures = [md000[0].code, md004[0].code];
  const globals = new Set(['Promise', 'Record']);
  const names = new Set();
  const lines = [];
  for (const sig of signatures) {
    const m = sig.match(/^function (\w+)\((.*)\): (.+)$/);
    assert.ok(m, `a signature: ${sig}`);
    const [, name, params, ret] = m;
    for (const id of sig.matchAll(/\b[A-Z]\w*\b/g)) if (!globals.has(id[0])) names.add(id[0]);
    assert.match(ret, /\bM2MToken\b/);
    lines.push(
      `// ${sig}`,
      `const notAny_${name}: IsAny<typeof clerkClient.m2m.${name}> = false;`,
      `const documented_${name}: (${params}) => ${ret} = clerkClient.m2m.${name};`,
      // A control: the same check with the wrong result type must fail (else the check above proves nothing).
      '// @ts-expect-error',
      `const wrong_${name}: (${params}) => ${ret.replace(/\bM2MToken\b/, 'string')} = clerkClient.m2m.${name};`,
    );
  }
  const types = join(dir, 'types');
  mkdirSync(types, { recursive: true });
  writeFileSync(join(types, 'signatures.ts'), [
    `import { createClerkClient, ${[...names].map((n) => `type ${n}`).join(', ')} } from 'clerk-m2m-edge';`,
    'type IsAny<T> = 0 extends 1 & T ? true : false;',
    'const clerkClient = createClerkClient();',
    ...lines,
    `export { ${signatures.map((s) => s.match(/^function (\w+)/)[1]).flatMap((n) => [`notAny_${n}`, `documented_${n}`, `wrong_${n}`]).join(', ')} };`,
    '',
  ].join('\n'));
  writeFileSync(join(types, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], types: [] },
    include: ['*.ts'],
  }));
  try {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', types], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc:\n${e.stdout}${e.stderr}\n${readFileSync(join(types, 'signatures.ts'), 'utf8')}`);
  }
  assert.deepEqual([...names].sort(), ['CreateM2MTokenParams', 'GetM2MTokenListParams', 'M2MToken', 'PaginatedResourceResponse']);
});

/**
 * Runs every example in one runtime: `run(key, { authorization })` resolves to the harness's report; the log
 * of Backend API requests made during the run is read around it. `setup(fx)` returns `{ run, dispose }`.
 */
function runtimeSuite(runtime, setup) {
  describe(runtime, () => {
    let fx, runner;
    before(async () => {
      fx = await makeFixture(runtime);
      runner = await setup(fx);
    });
    after(async () => {
      await runner?.dispose();
    });
    const during = async (fn) => {
      const before = (await requestLog()).length;
      const value = await fn();
      return { value, log: (await requestLog()).slice(before) };
    };
    for (const ex of examples) {
      test(ex.title, async () => {
        const authorization = ex.key === '002:6' ? `Bearer ${fx.authToken.token}` : undefined;
        const { value: report, log } = await during(() => runner.run(ex.key, { authorization }));
        await checks[ex.key](report, log, fx);
      });
    }
    test('control: 002\'s authenticateRequest example with a token not scoped to this machine is not authenticated', async () => {
      const { value: r, log } = await during(() => runner.run('002:6', { authorization: `Bearer ${fx.authTokenUnscoped.token}` }));
      assert.equal(r.threw, null);
      const state = r.calls[0].value;
      assert.deepEqual([state.isAuthenticated, state.status, state.reason, state.toAuth.isAuthenticated], [false, 'signed-out', 'token-invalid', false]);
      only(log, { route: 'verify', method: 'POST', path: '/m2m_tokens/verify', key: fx.R.secretKey });
    });
  });
}

runtimeSuite('node', async (fx) => {
  const files = await writeModules('node', fx);
  writeFileSync(join(dir, 'node', 'package-entry.mjs'), "export { createClerkClient } from 'clerk-m2m-edge';\n");
  const { createClerkClient } = await import(pathToFileURL(join(dir, 'node', 'package-entry.mjs')).href);
  // process.env holds exactly the three variables (no other CLERK_* the package would read).
  const names = [...new Set([...Object.keys(process.env).filter((k) => k.startsWith('CLERK_') && k !== 'CLERK_TEST_CONTEXT'), ...Object.keys(fx.env)])];
  const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
  for (const k of names) delete process.env[k];
  Object.assign(process.env, fx.env);
  return {
    run: async (key, { authorization }) => {
      const { default: example } = await import(pathToFileURL(files[key]).href);
      return runExample(example, { createClerkClient, authorization });
    },
    dispose: async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
});

runtimeSuite('workerd', async (fx) => {
  const files = await writeModules('workerd', fx);
  const out = join(dir, 'workerd', 'dist');
  mkdirSync(out, { recursive: true });
  const keys = Object.keys(files);
  // The harness is copied next to the entry, so that bundling reads no file of the working tree but the harness.
  copyFileSync(join(root, 'tests/node/seed-harness.mjs'), join(dir, 'workerd', 'seed-harness.mjs'));
  writeFileSync(join(dir, 'workerd', 'entry.mjs'), [
    "import { createClerkClient } from 'clerk-m2m-edge';",
    "import { runExample } from './seed-harness.mjs';",
    ...keys.map((k, i) => `import example${i} from ${JSON.stringify(files[k])};`),
    `const examples = { ${keys.map((k, i) => `${JSON.stringify(k)}: example${i}`).join(', ')} };`,
    'export default {',
    '  async fetch(request, env) {',
    '    const { key, authorization } = await request.json();',
    '    const report = await runExample(examples[key], { createClerkClient, authorization });',
    '    // process.env is the one nodejs_compat_populate_process_env filled from the bindings, not a shim.',
    '    const keys = ["CLERK_SECRET_KEY", "CLERK_MACHINE_SECRET_KEY", "CLERK_API_URL"];',
    '    report.processEnv = keys.every((k) => typeof process === "object" && process.env[k] === env[k] && typeof env[k] === "string");',
    '    return Response.json(report);',
    '  },',
    '};',
    '',
  ].join('\n'));
  await bundleWorker(join(dir, 'workerd', 'entry.mjs'), out);
  const mf = await startWorker(out, { compatibilityDate, compatibilityFlags: ['nodejs_compat', 'nodejs_compat_populate_process_env'], bindings: fx.env });
  return {
    run: async (key, { authorization }) => {
      const res = await mf.dispatchFetch('http://seed.test/', { method: 'POST', body: JSON.stringify({ key, authorization }) });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      const report = JSON.parse(text);
      assert.equal(report.processEnv, true, 'process.env in workerd holds the bindings');
      delete report.processEnv;
      return report;
    },
    dispose: () => mf.dispose(),
  };
});
