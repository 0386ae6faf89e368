// The demo: a local Clerk Backend API, the example Worker (examples/cloudflare-worker) in workerd, and the token
// console (www/), then one scripted M2M round trip printed step by step; then it serves until Ctrl-C.
//
//   node scripts/demo.mjs [--no-serve] [--worker-port N] [--www-port N]
//
// --no-serve       run the round trip and exit (0: it went as expected, 1: it did not)
// --worker-port N  the Worker's port (default 8787, or any free port if taken; 0: any)
// --www-port N     the console's port (default 8788, or any free port if taken; 0: any)
//
// With CLERK_SECRET_KEY and CLERK_MACHINE_SECRET_KEY (and optionally CLERK_API_URL, RECEIVER_MACHINE_ID,
// CLERK_RECEIVER_MACHINE_SECRET_KEY) in the environment it uses that Clerk instance instead of the local server,
// and skips the steps that need the local server's admin routes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { bundleExample, startWorker } from '../examples/cloudflare-worker/local.mjs';
import { serveConsole } from './www.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { createClerkClient, version } = await import(`${root}/pkg/node.mjs`);

// ---- arguments and output ------------------------------------------------------------------------------------

function parseArgs(argv) {
  const opts = { serve: true, workerPort: 8787, wwwPort: 8788, fixedWorker: false, fixedWww: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-serve') opts.serve = false;
    else if ((a === '--worker-port' || a === '--www-port') && /^\d+$/.test(argv[i + 1] ?? '')) {
      const port = Number(argv[++i]);
      if (a === '--worker-port') Object.assign(opts, { workerPort: port, fixedWorker: true });
      else Object.assign(opts, { wwwPort: port, fixedWww: true });
    } else {
      console.error('usage: scripts/demo [--no-serve] [--worker-port N] [--www-port N]');
      process.exit(2);
    }
  }
  return opts;
}

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);
const say = (s = '') => console.log(s);
/** The start of a token: 20 characters of a local (fake) one, 10 of a real one. */
const shortToken = (local) => (token) => `${token.slice(0, local ? 20 : 10)}…(${token.length} chars)`;
/** A real key shows only its type prefix and 4 more characters. */
const redact = (key) => {
  const prefix = key.match(/^(sk_(?:test|live)_|ak_)?/)[0];
  return `${prefix}${key.slice(prefix.length, prefix.length + 4)}…(redacted)`;
};

/** `preferred` if it is free on 127.0.0.1, else 0 (any free port). */
async function portOr0(preferred) {
  if (preferred === 0) return 0;
  const probe = createServer();
  try {
    await new Promise((ok, fail) => probe.once('error', fail).listen(preferred, '127.0.0.1', ok));
    return preferred;
  } catch {
    return 0;
  } finally {
    probe.close();
  }
}

// ---- the pieces ----------------------------------------------------------------------------------------------

async function startLocalBapi() {
  const child = spawn(`${root}/scripts/local-bapi`, ['--port', '0', '--seed', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const line = await Promise.race([
    once(lines, 'line').then(([l]) => l),
    once(child, 'exit').then(([code]) => { throw new Error(`scripts/local-bapi exited with ${code} before it was ready`); }),
  ]);
  const info = JSON.parse(line);
  const admin = async (method, path) => {
    const res = await fetch(`${info.url}/__admin${path}`, { method });
    if (!res.ok) throw new Error(`local Backend API admin ${method} ${path}: ${res.status}`);
    return res.json();
  };
  onExit.push(() => child.kill('SIGTERM'));
  return {
    ...info,
    admin,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Everything the demo needs to know about the Clerk instance it runs against. */
async function clerkSetup() {
  const env = process.env;
  if (env.CLERK_SECRET_KEY && env.CLERK_MACHINE_SECRET_KEY) {
    return {
      local: false,
      apiUrl: env.CLERK_API_URL || 'https://api.clerk.com',
      secretKey: env.CLERK_SECRET_KEY,
      sender: { name: 'the machine of CLERK_MACHINE_SECRET_KEY', secretKey: env.CLERK_MACHINE_SECRET_KEY },
      receiverId: env.RECEIVER_MACHINE_ID || null,
      receiverKey: env.CLERK_RECEIVER_MACHINE_SECRET_KEY || undefined,
      jwtKey: env.CLERK_JWT_KEY || undefined,
      showKey: redact,
      stop: async () => {},
    };
  }
  const bapi = await startLocalBapi();
  const [a, b, c] = bapi.machines;
  return {
    local: true,
    bapi,
    apiUrl: bapi.url,
    secretKey: bapi.secretKey,
    sender: a,
    receiverId: b.id,
    receiver: b,
    receiverKey: b.secretKey,
    unscoped: c,
    showKey: (key) => key, // fake keys of the local server
    stop: () => bapi.stop(),
  };
}

// ---- the round trip ------------------------------------------------------------------------------------------

class StepFailed extends Error {}

function expect(ok, message) {
  if (!ok) throw new StepFailed(message);
}

async function callWorker(workerUrl, token) {
  const res = await fetch(`${workerUrl}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** Backend API requests made while `fn` ran (local server only). */
async function logged(setup, fn) {
  if (!setup.local) return { value: await fn(), log: null };
  const before = (await setup.bapi.admin('GET', '/requests')).length;
  const value = await fn();
  return { value, log: (await setup.bapi.admin('GET', '/requests')).slice(before) };
}

async function roundTrip(setup, worker, mintJwt) {
  const sender = createClerkClient({ apiUrl: setup.apiUrl, machineSecretKey: setup.sender.secretKey });
  const name = setup.local ? setup.sender.name : 'the sending machine';
  const short = shortToken(setup.local);
  let n = 0;
  const step = (text) => say(`  [${++n}] ${text}`);

  // A JWT: verified inside the Worker with the instance's public key (JWKS), Clerk is not asked.
  const jwt = await mintJwt;
  step(`${name} mints a JWT (expires in 300 s): jti ${jwt.id}, aud ${JSON.stringify(jwt.scopes)}, token ${short(jwt.token)}`);
  step(`${name} calls the Worker with it: GET ${worker.url}/api/orders`);
  const { value: first, log } = await logged(setup, () => callWorker(worker.url, jwt.token));
  if (log) {
    const calls = log.map((r) => `${r.method} ${r.path}`);
    expect(!calls.some((c) => c.includes('/m2m_tokens')), `the Worker asked Clerk about the JWT: ${calls.join(', ')}`);
    step(`the Worker verified it locally: Backend API calls during the request: ${calls.join(', ') || 'none (JWKS cached)'} (no /m2m_tokens/verify)`);
  } else {
    step('the Worker verified it locally (request log skipped: it needs the local Backend API)');
  }
  step(`the Worker answers ${first.status} ${JSON.stringify(first.body)}`);
  expect(first.status === 200, `expected 200 for the JWT, got ${first.status}`);

  // An opaque token: Clerk verifies it on each request, so revoking it takes effect at once.
  const opaque = await sender.m2m.createToken({ secondsUntilExpiration: 300 });
  step(`${name} mints an opaque token: ${opaque.id}, token ${short(opaque.token)}`);
  const { value: before, log: verifyLog } = await logged(setup, () => callWorker(worker.url, opaque.token));
  if (verifyLog) expect(verifyLog.some((r) => r.route === 'verify'), 'the Worker did not ask Clerk about the opaque token');
  step(`the Worker accepts it: ${before.status} (Clerk verified it: POST /m2m_tokens/verify${setup.local ? ' with the Worker\'s machine key' : ''})`);
  expect(before.status === 200, `expected 200 for the opaque token, got ${before.status} ${JSON.stringify(before.body)}`);
  const revoked = await sender.m2m.revokeToken({ m2mTokenId: opaque.id, revocationReason: 'demo' });
  step(`${name} revokes it: revoked=${revoked.revoked}`);
  const after = await callWorker(worker.url, opaque.token);
  step(`${name} calls the Worker with the revoked token: ${after.status} ${after.body.reason} (x-clerk-auth-reason: ${after.headers.get('x-clerk-auth-reason')})`);
  expect(after.status === 401, `expected 401 for the revoked token, got ${after.status}`);

  if (setup.local) {
    // JWT scoping: a machine that may not call the Worker still mints valid JWTs; has({ scope }) stops it.
    const c = setup.unscoped;
    const stray = await createClerkClient({ apiUrl: setup.apiUrl, machineSecretKey: c.secretKey }).m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 300 });
    const res = await callWorker(worker.url, stray.token);
    step(`${c.name} (no scopes) mints a valid JWT and calls the Worker: ${res.status} ${res.body.error}`);
    expect(res.status === 403, `expected 403 for an unscoped machine's JWT, got ${res.status}`);
  }
}

// ---- main ----------------------------------------------------------------------------------------------------

const opts = parseArgs(process.argv.slice(2));
const cleanups = []; // async, run in reverse order by shutdown()
const onExit = []; // sync safety net, for an exit that skips shutdown()
process.on('exit', () => onExit.forEach((fn) => { try { fn(); } catch { /* best effort */ } }));
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch {
      // already gone (Ctrl-C in a terminal reaches the children too)
    }
  }
  process.exit(code);
}
/**
 * Ctrl-C / SIGTERM run shutdown(). Miniflare registers its own SIGINT/SIGTERM listeners that exit the process at
 * once (130/143) before ours could finish, so they are replaced once the Worker runs; its exit hook, which
 * kills workerd, stays as a safety net.
 */
function ownSignals() {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.removeAllListeners(signal);
    process.on(signal, () => { say('\nStopping…'); shutdown(0); });
  }
}
ownSignals();

try {
  say(bold(`clerk-m2m-edge ${version()} demo`));
  const setup = await clerkSetup();
  cleanups.push(() => setup.stop());
  if (setup.local) {
    say(`Local Backend API  ${setup.apiUrl}  (scripts/local-bapi --seed 1: its keys are fake test keys, fine to show)`);
  } else {
    say(`Clerk Backend API  ${setup.apiUrl}  (CLERK_SECRET_KEY and CLERK_MACHINE_SECRET_KEY from the environment; keys shown redacted)`);
  }

  // A JWT first: without a local server, its scopes tell which machine the sender may call (the Worker's role).
  const sender = createClerkClient({ apiUrl: setup.apiUrl, machineSecretKey: setup.sender.secretKey });
  const mintJwt = sender.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 300 });
  mintJwt.catch(() => {});
  if (!setup.receiverId) {
    setup.receiverId = (await mintJwt).scopes[0] ?? null;
    setup.receiverNote = '(the first scope of the sending machine; RECEIVER_MACHINE_ID chooses another)';
    if (!setup.receiverId) throw new StepFailed('the sending machine has no scopes: set RECEIVER_MACHINE_ID to the machine the Worker acts as');
  }

  say('Bundling examples/cloudflare-worker with wrangler…');
  const bundle = bundleExample();
  cleanups.push(() => bundle.cleanup());
  onExit.push(() => bundle.cleanup());
  const bindings = { CLERK_SECRET_KEY: setup.secretKey, CLERK_API_URL: setup.apiUrl, RECEIVER_MACHINE_ID: setup.receiverId };
  if (setup.receiverKey) bindings.CLERK_MACHINE_SECRET_KEY = setup.receiverKey;
  if (setup.jwtKey) bindings.CLERK_JWT_KEY = setup.jwtKey;
  const workerPort = opts.serve ? (opts.fixedWorker ? opts.workerPort : await portOr0(opts.workerPort)) : 0;
  const worker = await startWorker(bundle, { bindings, port: workerPort });
  cleanups.push(() => worker.dispose());
  ownSignals();
  const receiverName = setup.local ? `${setup.receiver.name} ${setup.receiverId}` : `${setup.receiverId} ${setup.receiverNote ?? ''}`.trim();
  say(`Worker (workerd)   ${worker.url}  acting as machine ${receiverName}`);
  if (!setup.receiverKey) say('                   opaque tokens verified with the instance key (CLERK_RECEIVER_MACHINE_SECRET_KEY: the Worker\'s own machine key)');

  const wwwPort = opts.serve ? (opts.fixedWww ? opts.wwwPort : await portOr0(opts.wwwPort)) : 0;
  const www = await serveConsole({ port: wwwPort });
  cleanups.push(() => www.close());
  say(`Token console      ${www.url}?apiUrl=${encodeURIComponent(setup.apiUrl)}`);
  say();
  say('In the console use:');
  say(`  Backend API URL      ${setup.apiUrl}`);
  say(`  Instance secret key  ${setup.showKey(setup.secretKey)}`);
  say(`  Machine secret key   ${setup.showKey(setup.sender.secretKey)}  (${setup.local ? `${setup.sender.name} ${setup.sender.id}, may call ${setup.receiver.name}` : 'CLERK_MACHINE_SECRET_KEY'})`);
  say();

  say(bold('Round trip:'));
  await roundTrip(setup, worker, mintJwt);
  say(bold('Round trip passed: JWT → 200, revoked opaque token → 401.'));

  if (!opts.serve) await shutdown(0);
  say();
  if (setup.local) {
    say('Try it (fake local keys):');
    say(`  TOKEN=$(curl -s -X POST ${setup.apiUrl}/m2m_tokens -H 'Authorization: Bearer ${setup.sender.secretKey}' \\`);
    say(`      -H 'Content-Type: application/json' -d '{"token_format":"jwt","seconds_until_expiration":300}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`);
    say(`  curl -i ${worker.url}/api/orders -H "Authorization: Bearer $TOKEN"`);
  } else {
    say(`Try it: curl -i ${worker.url}/api/orders -H "Authorization: Bearer <an M2M token>"`);
  }
  say('Serving until Ctrl-C.');
} catch (e) {
  console.error(e instanceof StepFailed ? `Round trip FAILED: ${e.message}` : `Demo failed: ${e?.stack ?? e}`);
  await shutdown(1);
}
