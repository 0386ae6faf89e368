// examples/cloudflare-worker, deployed the way wrangler deploys it: the packed package installed into a copy of
// the example, bundled by `wrangler deploy --dry-run`, run in workerd (miniflare) with its env pointing at a local
// Backend API, and called over HTTP with M2M tokens of a scoped and an unscoped sender. Then every quickstart of
// README.md and docs/quickstarts.md in its runtime, against the same local Backend API: the README Quickstart
// script in Node, the README's edge handler (a Worker) and the Vercel Edge route handler (bundled by the esbuild
// command of the docs) in workerd, and the servers of examples/{node,deno,bun} in Node (ESM and CommonJS), Deno and
// Bun. Each answers 200 with its JSON for a scoped sender, 401 without a token, 403 for an unscoped sender's JWT,
// and names the setting that is missing. (That the documents show these files byte for byte, and that they
// compile under strict TypeScript, is tests/node/quickstarts.test.mjs.)
//
// This file moves the Backend API's clock (expired JWT), so it runs its own local Backend API instead of the one
// scripts/test shares through CLERK_TEST_CONTEXT: other test files see no clock jump.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { basename, join } from 'node:path';
import { admin, localBapi, root } from './context.mjs';
import { bundleExample, compatibilityDate, startWorker, typecheckExample } from '../../examples/cloudflare-worker/local.mjs';
import { bundleWorker, startWorker as startBundled } from './packed.mjs';

const { createClerkClient } = await import(`${root}/pkg/node.mjs`);

let ctx, bundle, worker, receiver, sender, unscoped;
before(async () => {
  const shared = process.env.CLERK_TEST_CONTEXT;
  delete process.env.CLERK_TEST_CONTEXT;
  try {
    ctx = await localBapi();
  } finally {
    if (shared !== undefined) process.env.CLERK_TEST_CONTEXT = shared;
  }
  receiver = await admin(ctx, 'POST', '/machines', { name: 'example-worker' });
  sender = await admin(ctx, 'POST', '/machines', { name: 'example-sender', scopes: [receiver.id] });
  unscoped = await admin(ctx, 'POST', '/machines', { name: 'example-unscoped' });
  bundle = bundleExample();
  worker = await startWorker(bundle, {
    bindings: { CLERK_SECRET_KEY: ctx.secretKey, CLERK_MACHINE_SECRET_KEY: receiver.secretKey, CLERK_API_URL: ctx.url, RECEIVER_MACHINE_ID: receiver.id },
  });
});
after(async () => {
  await worker?.dispose();
  bundle?.cleanup();
  await ctx?.stop();
});

const mint = (machine, params) => createClerkClient({ apiUrl: ctx.url, machineSecretKey: machine.secretKey }).m2m.createToken(params);
const call = async (token, path = '/api/orders') => {
  const res = await fetch(`${worker.url}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, body: await res.json() };
};
const requests = () => admin(ctx, 'GET', '/requests');
async function requestsDuring(fn) {
  const before = (await requests()).length;
  const value = await fn();
  return { value, log: (await requests()).slice(before) };
}
const signedOut = (res, reason) => {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.body.error, 'unauthenticated');
  assert.equal(res.body.reason, reason);
  assert.equal(res.headers.get('x-clerk-auth-status'), 'signed-out');
  assert.equal(res.headers.get('x-clerk-auth-reason'), reason);
  assert.match(res.headers.get('www-authenticate'), /^Bearer/);
  assert.equal(res.headers.get('content-type'), 'application/json');
};

test('the example type-checks with tsc against @cloudflare/workers-types and the packed index.d.ts', () => {
  typecheckExample(bundle.dir);
});

test('no token: 401 with a JSON body and the x-clerk-auth-* headers', async () => {
  const res = await call(undefined);
  signedOut(res, 'No token in header');
  assert.equal(res.body.message, '');
  assert.equal(res.headers.get('x-clerk-auth-message'), null);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  signedOut(await call('not-a-machine-token'), 'token-type-mismatch');
});

test('a scoped sender\'s opaque token: 200, verified by Clerk with the Worker\'s own machine key', async () => {
  const t = await mint(sender);
  const { value: res, log } = await requestsDuring(() => call(t.token));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body, { subject: sender.id, tokenType: 'm2m_token', scopes: [receiver.id] });
  const verify = log.filter((r) => r.route === 'verify');
  assert.equal(verify.length, 1);
  assert.equal(verify[0].headers.authorization, `Bearer ${receiver.secretKey}`);
  assert.deepEqual(JSON.parse(verify[0].body), { token: t.token });
});

test('a scoped sender\'s JWT: 200, verified inside the Worker (JWKS once, then cached by the module-scope client)', async () => {
  const t = await mint(sender, { tokenFormat: 'jwt', secondsUntilExpiration: 600 });
  assert.equal(t.token.split('.').length, 3);
  const first = await requestsDuring(() => call(t.token));
  assert.equal(first.value.status, 200, JSON.stringify(first.value.body));
  assert.deepEqual(first.value.body, { subject: sender.id, tokenType: 'm2m_token', scopes: [receiver.id] });
  assert.deepEqual(first.log.map((r) => `${r.method} ${r.path}`), ['GET /v1/jwks'], 'no /m2m_tokens/verify for a JWT');
  assert.equal(first.log[0].headers.authorization, `Bearer ${ctx.secretKey}`);
  const other = await mint(sender, { tokenFormat: 'jwt', secondsUntilExpiration: 600 });
  const second = await requestsDuring(() => call(other.token, '/api/other'));
  assert.equal(second.value.status, 200);
  assert.deepEqual(second.log, [], 'the client (and its JWKS cache) outlives a request');
});

test('a revoked opaque token: 200 before, 401 token-invalid after', async () => {
  const t = await mint(sender);
  assert.equal((await call(t.token)).status, 200);
  await createClerkClient({ apiUrl: ctx.url, secretKey: ctx.secretKey }).m2m.revokeToken({ m2mTokenId: t.id, revocationReason: 'test' });
  const res = await call(t.token);
  signedOut(res, 'token-invalid');
  assert.match(res.body.message, /\(code=token-invalid, status=404\)$/);
  assert.equal(res.headers.get('x-clerk-auth-message'), res.body.message);
});

test('an expired JWT (minted an hour ago, 60 s lifetime): 401 token-verification-failed', async () => {
  await admin(ctx, 'POST', '/clock', { offset_ms: -3_600_000 });
  let t;
  try {
    t = await mint(sender, { tokenFormat: 'jwt', secondsUntilExpiration: 60 });
  } finally {
    await admin(ctx, 'POST', '/clock', { offset_ms: 0 });
  }
  assert.ok(t.expiration < Date.now() - 3_000_000, 'minted in the past');
  const res = await call(t.token);
  signedOut(res, 'token-verification-failed');
  assert.match(res.body.message, /^JWT is expired\. .*\(code=token-verification-failed, status=n\/a\)$/);
});

test('a JWT from a machine without the scope: 403 (only has({ scope }) stops it)', async () => {
  const t = await mint(unscoped, { tokenFormat: 'jwt', secondsUntilExpiration: 600 });
  const res = await call(t.token);
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.equal(res.body.error, 'forbidden');
  assert.equal(res.body.message, `machine ${unscoped.id} is not allowed to call ${receiver.id}`);
  assert.equal(res.headers.get('x-clerk-auth-status'), null);
});

test('an opaque token from a machine without the scope: 401 (Clerk refuses it at verify)', async () => {
  const t = await mint(unscoped);
  signedOut(await call(t.token), 'token-invalid');
});

test('a missing setting: 500 naming it (never its value), checked before any token is looked at', async () => {
  const keys = { CLERK_SECRET_KEY: ctx.secretKey, CLERK_MACHINE_SECRET_KEY: receiver.secretKey, CLERK_API_URL: ctx.url, RECEIVER_MACHINE_ID: receiver.id };
  const cases = [
    [{ ...keys, RECEIVER_MACHINE_ID: undefined }, 'RECEIVER_MACHINE_ID is not set'],
    [{ ...keys, CLERK_SECRET_KEY: undefined }, 'CLERK_SECRET_KEY is not set'],
    [{ RECEIVER_MACHINE_ID: receiver.id, CLERK_API_URL: ctx.url }, 'CLERK_SECRET_KEY is not set'],
    // A setting the client refuses: the Worker cannot say more than that, and does not echo it.
    [{ ...keys, CLERK_API_URL: 'not a url' }, 'the server cannot authenticate requests'],
  ];
  for (const [env, message] of cases) {
    const bare = await startWorker(bundle, { bindings: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) });
    try {
      const res = await fetch(`${bare.url}/`, { headers: { authorization: 'Bearer mt_0123456789abcdef0123456789abcdef' } });
      assert.equal(res.status, 500);
      assert.deepEqual(await res.json(), { error: 'misconfigured', message });
    } finally {
      await bare.dispose();
    }
  }
});

// ---- the quickstarts of README.md and docs/quickstarts.md, each in its runtime --------------------------------

const KEYS = () => ({ CLERK_SECRET_KEY: ctx.secretKey, CLERK_MACHINE_SECRET_KEY: receiver.secretKey, CLERK_API_URL: ctx.url, RECEIVER_MACHINE_ID: receiver.id });
const bin = (name) => join(root, 'node_modules/.bin', name);

/**
 * What every edge handler and server quickstart answers: 401 without a token (`reason` and the x-clerk-auth-*
 * headers), 200 with its JSON for a scoped sender's JWT and opaque token, 403 for an unscoped sender's JWT, 401 for
 * an unscoped sender's opaque token (Clerk refuses it). `get(token?)` → { status, headers, body }.
 */
async function protects(name, get) {
  const none = await get();
  assert.equal(none.status, 401, `${name}: ${JSON.stringify(none.body)}`);
  assert.equal(none.body.error, 'unauthenticated', name);
  assert.equal(none.body.reason, 'No token in header', name);
  assert.equal(none.headers.get('x-clerk-auth-status'), 'signed-out', name);
  assert.equal(none.headers.get('x-clerk-auth-reason'), 'No token in header', name);
  const expected = { subject: sender.id, tokenType: 'm2m_token', scopes: [receiver.id] };
  const jwt = await get((await mint(sender, { tokenFormat: 'jwt', secondsUntilExpiration: 600 })).token);
  assert.equal(jwt.status, 200, `${name}: ${JSON.stringify(jwt.body)}`);
  assert.deepEqual(jwt.body, expected, name);
  const opaque = await get((await mint(sender)).token);
  assert.equal(opaque.status, 200, `${name} (opaque): ${JSON.stringify(opaque.body)}`);
  assert.deepEqual(opaque.body, expected, `${name} (opaque)`);
  const stray = await get((await mint(unscoped, { tokenFormat: 'jwt', secondsUntilExpiration: 600 })).token);
  assert.equal(stray.status, 403, `${name}: unscoped JWT: ${JSON.stringify(stray.body)}`);
  assert.equal(stray.body.error, 'forbidden', name);
  const strayOpaque = await get((await mint(unscoped)).token);
  assert.equal(strayOpaque.status, 401, `${name}: unscoped opaque`);
  assert.equal(strayOpaque.body.reason, 'token-invalid', `${name}: unscoped opaque`);
}

/** `get` for a Miniflare instance of packed.mjs's startWorker. */
const dispatch = (mf, path) => async (token) => {
  const res = await mf.dispatchFetch(`http://quickstart.test${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, headers: res.headers, body: await res.json() };
};

/** Runs a bundle written by esbuild into `outDir` (entry `index.js`) in workerd with `bindings`, then `fn(mf)`. */
async function inWorkerd(outDir, bindings, fn, compatibilityFlags = []) {
  const mf = await startBundled(outDir, { compatibilityDate, compatibilityFlags, bindings });
  try {
    return await fn(mf);
  } finally {
    await mf.dispose();
  }
}

test('README.md Quickstart (examples/node/quickstart.mjs): mints a JWT and verifies it with audience RECEIVER_MACHINE_ID', async () => {
  const file = join(bundle.dir, 'quickstart.mjs');
  copyFileSync(join(root, 'examples/node/quickstart.mjs'), file);
  const env = { ...noClerkEnv(), CLERK_MACHINE_SECRET_KEY: sender.secretKey, CLERK_SECRET_KEY: ctx.secretKey, CLERK_API_URL: ctx.url, RECEIVER_MACHINE_ID: receiver.id };
  const { value: run, log } = await requestsDuring(() => runScript(process.execPath, [file], { cwd: bundle.dir, env }));
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, `verified: ${sender.id} may call ${receiver.id}\n`);
  // The sender's machine key created the token; the JWT was verified locally (the JWKS, with the instance key).
  assert.deepEqual(log.map((r) => `${r.method} ${r.path}`), ['POST /m2m_tokens', 'GET /v1/jwks']);
  assert.equal(log[0].headers.authorization, `Bearer ${sender.secretKey}`);
  assert.equal(log[1].headers.authorization, `Bearer ${ctx.secretKey}`);

  // `audience` is checked: the same sender's JWT is refused for a machine it may not call.
  const other = await runScript(process.execPath, [file], { cwd: bundle.dir, env: { ...env, RECEIVER_MACHINE_ID: unscoped.id } });
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /MachineTokenVerificationError/);
  assert.match(other.stderr, /token-verification-failed/);

  // A missing setting is named before anything is sent.
  const { value: bare, log: none } = await requestsDuring(() => runScript(process.execPath, [file], { cwd: bundle.dir, env: { ...env, RECEIVER_MACHINE_ID: '' } }));
  assert.notEqual(bare.code, 0);
  assert.match(bare.stderr, /Error: Environment variables not set: RECEIVER_MACHINE_ID\n/);
  assert.deepEqual(none, []);
  const empty = await runScript(process.execPath, [file], { cwd: bundle.dir, env: noClerkEnv() });
  assert.match(empty.stderr, /Error: Environment variables not set: CLERK_MACHINE_SECRET_KEY, CLERK_SECRET_KEY, RECEIVER_MACHINE_ID\n/);
});

test('README.md edge handler (examples/cloudflare-worker/src/minimal.ts): in workerd, 200/401/403, and a missing setting named', async () => {
  const out = join(bundle.dir, 'minimal-out');
  mkdirSync(out);
  await bundleWorker(join(bundle.dir, 'src/minimal.ts'), out);
  await inWorkerd(out, KEYS(), (mf) => protects('minimal Worker', dispatch(mf, '/api/orders')));
  for (const name of ['RECEIVER_MACHINE_ID', 'CLERK_SECRET_KEY']) {
    const { [name]: _, ...bindings } = KEYS();
    await inWorkerd(out, bindings, async (mf) => {
      const res = await dispatch(mf, '/')('mt_0123456789abcdef0123456789abcdef');
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, { error: 'misconfigured', message: `${name} is not set` });
    });
  }
});

// The command docs/quickstarts.md shows for bundling the route with esbuild (Vercel's Build Output API, or any
// edge bundle made with esbuild): the .wasm becomes a file next to the bundle, imported as a module.
const VERCEL_ESBUILD = ['app/api/machine/route.ts', '--bundle', '--format=esm', '--conditions=edge-light', '--loader:.wasm=copy', '--outdir=dist'];

test('examples/vercel-edge: bundled by the esbuild command of the docs, run in workerd with process.env', async () => {
  const doc = readFileSync(join(root, 'docs/quickstarts.md'), 'utf8');
  assert.ok(doc.includes(`npx esbuild ${VERCEL_ESBUILD.join(' ')}`), 'docs/quickstarts.md shows the esbuild command');
  const at = join(bundle.dir, 'vercel');
  mkdirSync(join(at, 'app/api/machine'), { recursive: true });
  copyFileSync(join(root, 'examples/vercel-edge/app/api/machine/route.ts'), join(at, 'app/api/machine/route.ts'));
  // Without the .wasm loader, esbuild stops (the error the docs quote).
  assert.throws(
    () => execFileSync(bin('esbuild'), VERCEL_ESBUILD.filter((a) => !a.startsWith('--loader')), { cwd: at, stdio: 'pipe', encoding: 'utf8' }),
    (e) => /No loader is configured for "\.wasm" files/.test(e.stderr),
  );
  execFileSync(bin('esbuild'), [...VERCEL_ESBUILD, '--metafile=meta.json', '--log-level=warning'], { cwd: at, stdio: 'pipe' });
  const inputs = Object.keys(JSON.parse(readFileSync(join(at, 'meta.json'), 'utf8')).inputs);
  assert.ok(inputs.some((p) => p.endsWith('clerk-m2m-edge/workerd.js')), `edge-light selects workerd.js: ${inputs.join(', ')}`);
  assert.ok(!inputs.some((p) => /node\.(cjs|mjs)$|clerk-m2m-edge\/index\.js$/.test(p)), 'no other entry is bundled');
  const dist = join(at, 'dist');
  assert.ok(readdirSync(dist).some((f) => /^clerk_m2m_edge_bg-\w+\.wasm$/.test(f)), 'the .wasm is copied next to the bundle');
  assert.match(readFileSync(join(dist, 'route.js'), 'utf8'), /^import \w+ from "\.\/clerk_m2m_edge_bg-\w+\.wasm";$/m);
  // The edge runtime calls GET(request); workerd calls a module's fetch.
  writeFileSync(join(dist, 'index.js'), "import { GET } from './route.js';\nexport default { fetch: (request) => GET(request) };\n");
  // nodejs_compat (with a compatibility date from 2025-04-01 on) fills process.env from the bindings, as Vercel's
  // project environment variables do.
  await inWorkerd(dist, KEYS(), (mf) => protects('vercel-edge', dispatch(mf, '/api/machine')), ['nodejs_compat']);
  const { RECEIVER_MACHINE_ID: _, ...bindings } = KEYS();
  await inWorkerd(dist, bindings, async (mf) => {
    const res = await dispatch(mf, '/api/machine')('mt_0123456789abcdef0123456789abcdef');
    assert.equal(res.status, 500);
    assert.deepEqual(res.body, { error: 'misconfigured', message: 'RECEIVER_MACHINE_ID is not set' });
  }, ['nodejs_compat']);
});

const SERVERS = [
  ['node (ESM)', 'node/server.mjs', 'server.mjs', () => [process.execPath, 'server.mjs']],
  ['node (CJS)', 'node/server.cjs', 'server.cjs', () => [process.execPath, 'server.cjs']],
  ['deno', 'deno/server.ts', 'deno-server.ts', () => [bin('deno'), 'run', '--quiet', '--allow-net=127.0.0.1', '--allow-env', '--allow-read', 'deno-server.ts']],
  ['bun', 'bun/server.ts', 'bun-server.ts', () => [bin('bun'), 'run', 'bun-server.ts']],
];

test('examples/node, deno, bun: the same protection as a server in each runtime', async () => {
  const env = { ...noClerkEnv(), ...KEYS(), PORT: '0' };
  await Promise.all(SERVERS.map(async ([name, source, file, command]) => {
    // Run from the copy bundleExample installed the packed package into (`npm:` resolves there too in Deno).
    copyFileSync(join(root, 'examples', source), join(bundle.dir, file));
    const [cmd, ...args] = command();
    const child = spawn(cmd, args, { cwd: bundle.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    try {
      const line = await Promise.race([
        once(createInterface({ input: child.stdout }), 'line').then(([l]) => l),
        once(child, 'exit').then(([code]) => { throw new Error(`${name} exited with ${code}: ${stderr}`); }),
      ]);
      const url = line.match(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/)?.[1];
      assert.ok(url, `${name} printed ${line}`);
      await protects(name, async (token) => {
        const res = await fetch(`${url}/api`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        return { status: res.status, headers: res.headers, body: await res.json() };
      });
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }
  }));
});

test('examples/node, deno, bun: without RECEIVER_MACHINE_ID (or CLERK_SECRET_KEY) the server does not start, and says which', async () => {
  await Promise.all(SERVERS.flatMap(([name, source, file, command]) => ['RECEIVER_MACHINE_ID', 'CLERK_SECRET_KEY'].map(async (missing) => {
    const copy = join(bundle.dir, `${missing}-${file}`);
    copyFileSync(join(root, 'examples', source), copy);
    const [cmd, ...args] = command();
    const { [missing]: _, ...keys } = KEYS();
    const run = await runScript(cmd, [...args.slice(0, -1), basename(copy)], { cwd: bundle.dir, env: { ...noClerkEnv(), ...keys, PORT: '0' }, timeoutMs: 30_000 });
    assert.notEqual(run.code, 0, `${name} without ${missing} exited with 0`);
    assert.equal(run.stdout, '', `${name} without ${missing} printed ${run.stdout}`);
    assert.match(run.stderr, new RegExp(`${missing} is not set`), `${name} without ${missing}: ${run.stderr}`);
  })));
});

/** process.env without any CLERK_* variable (the tests set those they mean). */
function noClerkEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CLERK_') && k !== 'RECEIVER_MACHINE_ID'));
}

/** Runs a command to its end: { code, stdout, stderr }; killed after `timeoutMs`. */
async function runScript(cmd, args, { cwd, env, timeoutMs = 60_000 }) {
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code ?? signal, stdout, stderr };
}
