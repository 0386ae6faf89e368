// examples/cloudflare-worker, deployed the way wrangler deploys it: the packed package installed into a copy of
// the example, bundled by `wrangler deploy --dry-run`, run in workerd (miniflare) with its env pointing at a local
// Backend API, and called over HTTP with M2M tokens of a scoped and an unscoped sender. Also the Vercel Edge route
// handler of examples/vercel-edge, bundled under the `edge-light` condition and run in workerd, and the servers of
// examples/{node,deno,bun} in their runtimes (the quickstarts of docs/quickstarts.md are these files).
//
// This file moves the Backend API's clock (expired JWT), so it runs its own local Backend API instead of the one
// scripts/test shares through CLERK_TEST_CONTEXT: other test files see no clock jump.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { admin, localBapi, root } from './context.mjs';
import { bundleExample, compatibilityDate, startWorker, typecheckExample } from '../../examples/cloudflare-worker/local.mjs';

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

test('without any Clerk key the Worker answers 500 and does not echo its configuration', async () => {
  const bare = await startWorker(bundle, { bindings: { RECEIVER_MACHINE_ID: receiver.id, CLERK_API_URL: ctx.url } });
  try {
    const res = await fetch(`${bare.url}/`, { headers: { authorization: 'Bearer mt_0123456789abcdef0123456789abcdef' } });
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'misconfigured', message: 'the server cannot authenticate requests' });
  } finally {
    await bare.dispose();
  }
});

test('examples/vercel-edge: the route handler under the edge-light condition, in workerd with process.env', async () => {
  const { build } = await import(`${root}/node_modules/esbuild/lib/main.js`);
  const dir = mkdtempSync(join(tmpdir(), 'clerk-m2m-vercel-'));
  try {
    mkdirSync(join(dir, 'out'));
    writeFileSync(join(dir, 'entry.js'), `import { GET } from ${JSON.stringify(`${root}/examples/vercel-edge/app/api/machine/route.js`)};
export default { fetch: (request) => GET(request) };`);
    // As wrangler does: the .wasm import stays a module of its own, which workerd loads precompiled.
    const wasmCopy = {
      name: 'wasm-module',
      setup(b) {
        b.onResolve({ filter: /\.wasm$/ }, (args) => {
          const source = join(args.resolveDir, args.path);
          copyFileSync(source, join(dir, 'out', basename(source)));
          return { path: `./${basename(source)}`, external: true };
        });
      },
    };
    // `clerk-m2m-edge` resolves from the copy bundleExample installed the packed tarball into.
    const result = await build({
      entryPoints: [join(dir, 'entry.js')], bundle: true, format: 'esm', platform: 'neutral', conditions: ['edge-light'],
      outfile: join(dir, 'out/index.js'), nodePaths: [join(bundle.dir, 'node_modules')], plugins: [wasmCopy], metafile: true, logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.some((p) => p.endsWith('clerk-m2m-edge/workerd.js')), `edge-light selects workerd.js: ${inputs.join(', ')}`);
    assert.ok(!inputs.some((p) => /node\.(cjs|mjs)$|clerk-m2m-edge\/index\.js$/.test(p)), 'no other entry is bundled');
    const { Miniflare } = await import(`${root}/node_modules/miniflare/dist/src/index.js`);
    const mf = new Miniflare({
      modules: true, scriptPath: join(dir, 'out/index.js'), modulesRoot: join(dir, 'out'),
      modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
      compatibilityDate, compatibilityFlags: ['nodejs_compat'],
      bindings: { CLERK_SECRET_KEY: ctx.secretKey, CLERK_MACHINE_SECRET_KEY: receiver.secretKey, CLERK_API_URL: ctx.url, RECEIVER_MACHINE_ID: receiver.id },
    });
    try {
      const get = async (token) => {
        const res = await mf.dispatchFetch('http://edge.test/api/machine', { headers: token ? { authorization: `Bearer ${token}` } : {} });
        return { status: res.status, headers: res.headers, body: await res.json() };
      };
      const none = await get();
      assert.equal(none.status, 401);
      assert.equal(none.body.reason, 'No token in header');
      assert.equal(none.headers.get('x-clerk-auth-status'), 'signed-out');
      const ok = await get((await mint(sender, { tokenFormat: 'jwt', secondsUntilExpiration: 600 })).token);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(ok.body, { subject: sender.id, tokenType: 'm2m_token', scopes: [receiver.id] });
      assert.equal((await get((await mint(sender)).token)).status, 200, 'opaque, verified with the machine key from process.env');
      assert.equal((await get((await mint(unscoped, { tokenFormat: 'jwt', secondsUntilExpiration: 600 })).token)).status, 403);
    } finally {
      await mf.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('examples/node, deno, bun: the same protection as a server in each runtime', async () => {
  const bin = (name) => join(root, 'node_modules/.bin', name);
  const servers = [
    ['node (ESM)', 'node/server.mjs', 'server.mjs', [process.execPath, 'server.mjs']],
    ['node (CJS)', 'node/server.cjs', 'server.cjs', [process.execPath, 'server.cjs']],
    ['deno', 'deno/server.js', 'deno-server.js', [bin('deno'), 'run', '--quiet', '--allow-net=127.0.0.1', '--allow-env', '--allow-read', 'deno-server.js']],
    ['bun', 'bun/server.js', 'bun-server.js', [bin('bun'), 'run', 'bun-server.js']],
  ];
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CLERK_'))),
    CLERK_SECRET_KEY: ctx.secretKey, CLERK_MACHINE_SECRET_KEY: receiver.secretKey, CLERK_API_URL: ctx.url, RECEIVER_MACHINE_ID: receiver.id, PORT: '0',
  };
  await Promise.all(servers.map(async ([name, source, file, [cmd, ...args]]) => {
    // Run from the copy bundleExample installed the packed package into (`npm:` resolves there too in Deno).
    copyFileSync(join(root, 'examples', source), join(bundle.dir, file));
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
      const get = async (token) => {
        const res = await fetch(`${url}/api`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        return { status: res.status, headers: res.headers, body: await res.json() };
      };
      const none = await get();
      assert.equal(none.status, 401, name);
      assert.deepEqual(none.body, { error: 'unauthenticated', reason: 'No token in header' }, name);
      assert.equal(none.headers.get('x-clerk-auth-status'), 'signed-out', name);
      const ok = await get((await mint(sender, { tokenFormat: 'jwt', secondsUntilExpiration: 600 })).token);
      assert.equal(ok.status, 200, `${name}: ${JSON.stringify(ok.body)}`);
      assert.deepEqual(ok.body, { subject: sender.id, tokenType: 'm2m_token', scopes: [receiver.id] }, name);
      assert.equal((await get((await mint(sender)).token)).status, 200, `${name}: opaque`);
      assert.equal((await get((await mint(unscoped, { tokenFormat: 'jwt', secondsUntilExpiration: 600 })).token)).status, 403, `${name}: unscoped JWT`);
      assert.equal((await get((await mint(unscoped)).token)).status, 401, `${name}: unscoped opaque`);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    }
  }));
});

test('docs/quickstarts.md: every JS/TS block mirrors a file that a test runs (lines in order, `// …` = omission)', () => {
  const doc = readFileSync(join(root, 'docs/quickstarts.md'), 'utf8');
  const blocks = [...doc.matchAll(/<!-- mirrors: (\S+) -->\n```(?:js|ts)\n([\s\S]*?)\n```/g)];
  assert.equal(blocks.length, (doc.match(/^```(js|ts)$/gm) ?? []).length, 'every js/ts block is marked');
  assert.ok(blocks.length >= 7);
  const lines = (text) => text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (const [, path, code] of blocks) {
    const file = lines(readFileSync(join(root, path), 'utf8'));
    let from = 0;
    for (const chunk of code.split(/^\s*\/\/ …\s*$/m).map(lines).filter((c) => c.length)) {
      let at = -1;
      for (let i = from; i + chunk.length <= file.length && at < 0; i++) if (chunk.every((l, j) => file[i + j] === l)) at = i;
      assert.ok(at >= 0, `${path}: not found in order:\n${chunk.join('\n')}`);
      from = at + chunk.length;
    }
  }
});
