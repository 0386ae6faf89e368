// scripts/demo.mjs: the round trip with its own local Backend API (--no-serve), the same against a Clerk instance
// given through CLERK_* variables (here a local Backend API standing in for one), and serving until SIGINT with a
// clean shutdown of every child.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { admin, localBapi, root } from './context.mjs';

/** The environment without any CLERK_* variable (so the demo starts its own local Backend API). */
const cleanEnv = (extra = {}) => ({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CLERK_'))), ...extra });

function runDemo(args, env, { until } = {}) {
  const child = spawn(process.execPath, [join(root, 'scripts/demo.mjs'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  let reached;
  const seen = new Promise((resolve) => (reached = resolve));
  child.stdout.on('data', (d) => {
    out += d;
    if (until?.test(out)) reached();
  });
  child.stderr.on('data', (d) => (err += d));
  // A demo that hangs is stopped the way a user would (Ctrl-C: it cleans up), then for good.
  const soft = setTimeout(() => child.kill('SIGINT'), 45_000);
  const hard = setTimeout(() => child.kill('SIGKILL'), 52_000);
  const exited = once(child, 'exit').then(([code, signal]) => {
    clearTimeout(soft);
    clearTimeout(hard);
    child.stdout.destroy();
    child.stderr.destroy();
    return { code, signal, out, err };
  });
  return { child, seen, exited, output: () => out };
}

/** Whether something still accepts connections at `url`. */
const listening = (url) => fetch(url, { signal: AbortSignal.timeout(2000) }).then(() => true, () => false);
const urlOf = (out, label) => out.match(new RegExp(`^${label}\\s+(http://127\\.0\\.0\\.1:\\d+)`, 'm'))?.[1];

test('--no-serve: the round trip with the local Backend API, printed step by step, then everything stops', async () => {
  const { code, out, err } = await runDemo(['--no-serve'], cleanEnv()).exited;
  assert.equal(code, 0, `${out}\n${err}`);
  const bapiUrl = urlOf(out, 'Local Backend API');
  const workerUrl = urlOf(out, 'Worker \\(workerd\\)');
  const consoleUrl = urlOf(out, 'Token console');
  assert.ok(bapiUrl && workerUrl && consoleUrl, out);
  assert.match(out, /its keys are fake test keys, fine to show/);
  assert.match(out, /^Worker \(workerd\)\s+\S+\s+acting as machine machine-b mch_\w{27}$/m);
  assert.match(out, /^ {2}Instance secret key {2}sk_test_\w+$/m);
  assert.match(out, /^ {2}Machine secret key {3}ak_\w+ {2}\(machine-a mch_\w{27}, may call machine-b\)$/m);
  const steps = out.split('\n').filter((l) => /^ {2}\[\d+\] /.test(l));
  const expected = [
    /^ {2}\[1\] machine-a mints a JWT \(expires in 300 s\): jti mt_[0-9a-f]{32}, aud \["mch_\w{27}"\], token eyJ/,
    /^ {2}\[2\] machine-a calls the Worker with it: GET http:\/\/127\.0\.0\.1:\d+\/api\/orders$/,
    /^ {2}\[3\] the Worker verified it locally: Backend API calls during the request: GET \/v1\/jwks \(no \/m2m_tokens\/verify\)$/,
    /^ {2}\[4\] the Worker answers 200 \{"subject":"mch_\w{27}","tokenType":"m2m_token","scopes":\["mch_\w{27}"\]\}$/,
    /^ {2}\[5\] machine-a mints an opaque token: mt_[0-9a-f]{32}, token mt_/,
    /^ {2}\[6\] the Worker accepts it: 200 \(Clerk verified it: POST \/m2m_tokens\/verify with the Worker's machine key\)$/,
    /^ {2}\[7\] machine-a revokes it: revoked=true$/,
    /^ {2}\[8\] machine-a calls the Worker with the revoked token: 401 token-invalid \(x-clerk-auth-reason: token-invalid\)$/,
    /^ {2}\[9\] machine-c \(no scopes\) mints a valid JWT and calls the Worker: 403 forbidden$/,
  ];
  assert.equal(steps.length, expected.length, out);
  expected.forEach((re, i) => assert.match(steps[i], re));
  assert.match(out, /^Round trip passed: JWT → 200, revoked opaque token → 401\.$/m);
  assert.doesNotMatch(out, /Serving until Ctrl-C/);
  for (const url of [bapiUrl, workerUrl, consoleUrl]) assert.equal(await listening(url), false, `${url} is still up`);
});

test('CLERK_* in the environment: that instance is used, keys are redacted, admin-only steps are skipped', async () => {
  const ctx = await localBapi(); // stands in for a real Clerk instance: only its Clerk routes are used by the demo
  try {
    const receiver = await admin(ctx, 'POST', '/machines', { name: 'demo-receiver' });
    const sender = await admin(ctx, 'POST', '/machines', { name: 'demo-sender', scopes: [receiver.id] });
    const { code, out, err } = await runDemo(['--no-serve'], cleanEnv({
      CLERK_SECRET_KEY: ctx.secretKey, CLERK_MACHINE_SECRET_KEY: sender.secretKey, CLERK_API_URL: ctx.url,
    })).exited;
    assert.equal(code, 0, `${out}\n${err}`);
    assert.match(out, new RegExp(`^Clerk Backend API  ${ctx.url}  \\(CLERK_SECRET_KEY and CLERK_MACHINE_SECRET_KEY from the environment; keys shown redacted\\)$`, 'm'));
    assert.doesNotMatch(out, /Local Backend API/);
    assert.ok(!out.includes(ctx.secretKey) && !out.includes(sender.secretKey), 'no key in full');
    assert.match(out, /^ {2}Instance secret key {2}sk_test_\w{4}…\(redacted\)$/m);
    assert.match(out, new RegExp(`acting as machine ${receiver.id} \\(the first scope of the sending machine`));
    assert.match(out, /\[3\] the Worker verified it locally \(request log skipped: it needs the local Backend API\)/);
    assert.match(out, /\[4\] the Worker answers 200 /);
    assert.match(out, /\[8\] the sending machine calls the Worker with the revoked token: 401 token-invalid/);
    assert.doesNotMatch(out, /machine-c|\[9\]/);
    assert.match(out, /^Round trip passed/m);
    // The demo really talked to this server: tokens of the sender exist there, the opaque one revoked.
    const tokens = await admin(ctx, 'GET', '/requests');
    assert.ok(tokens.some((r) => r.route === 'revoke' && r.headers.authorization === `Bearer ${sender.secretKey}`));
  } finally {
    await ctx.stop();
  }
});

test('serving: the Worker and the console answer until SIGINT, then every child stops and the exit code is 0', async () => {
  const demo = runDemo(['--worker-port', '0', '--www-port', '0'], cleanEnv(), { until: /Serving until Ctrl-C\./ });
  await Promise.race([demo.seen, demo.exited.then((r) => { throw new Error(`demo exited early (${r.code})\n${r.out}\n${r.err}`); })]);
  const out = demo.output();
  const [bapiUrl, workerUrl, consoleUrl] = [urlOf(out, 'Local Backend API'), urlOf(out, 'Worker \\(workerd\\)'), urlOf(out, 'Token console')];
  assert.match(out, /curl -i http:\/\/127\.0\.0\.1:\d+\/api\/orders -H "Authorization: Bearer \$TOKEN"/);
  const res = await fetch(`${workerUrl}/api/orders`);
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('x-clerk-auth-reason'), 'No token in header');
  const page = await fetch(consoleUrl);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>M2M token console/);
  assert.equal((await fetch(`${consoleUrl}/pkg/web/clerk_m2m_edge_bg.wasm`)).headers.get('content-type'), 'application/wasm');
  demo.child.kill('SIGINT');
  const { code, signal, out: all } = await demo.exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, all);
  assert.match(all, /Stopping…/);
  for (const url of [bapiUrl, workerUrl, consoleUrl]) assert.equal(await listening(url), false, `${url} is still up`);
});
