// The token console (www/) end to end: scripts/www.mjs serves it and the built package, headless Chromium drives
// every action against the local Backend API, and each step is checked on what the page shows and saved as
// tests/artifacts/www/NN-step.png. Assumes pkg/ is built (scripts/build).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { admin, localBapi, root } from './context.mjs';

const { createClerkClient } = await import(`${root}/pkg/node.mjs`);
const { chromium } = await import(`${root}/node_modules/playwright-core/index.mjs`);
const shots = join(root, 'tests/artifacts/www');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

let ctx, server, serverUrl, browser;
before(async () => {
  // Its own instance: the machines matrix shows what the instance holds, and other tests add machines.
  ctx = await localBapi({ fresh: true });
  server = spawn(process.execPath, [join(root, 'scripts/www.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  [serverUrl] = await once(createInterface({ input: server.stdout }), 'line');
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
});
after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
  await ctx?.stop();
});

test('scripts/www serves www/ at / and pkg/ at /pkg/ with the right types, on loopback only', async () => {
  assert.match(serverUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const type = async (path) => {
    const res = await fetch(new URL(path, serverUrl));
    await res.arrayBuffer();
    return `${res.status} ${res.headers.get('content-type')}`;
  };
  assert.equal(await type('/'), '200 text/html; charset=utf-8');
  assert.equal(await type('/app.js'), '200 text/javascript; charset=utf-8');
  assert.equal(await type('/style.css'), '200 text/css; charset=utf-8');
  assert.equal(await type('/pkg/index.js'), '200 text/javascript; charset=utf-8');
  assert.equal(await type('/pkg/web/clerk_m2m_edge_bg.wasm'), '200 application/wasm');
  for (const bad of ['/missing.js', '/pkg/../Cargo.toml', '/%2e%2e/Cargo.toml', '/pkg/%2e%2e/scripts/www.mjs', '/..%2fCargo.toml']) {
    assert.equal((await type(bad)).split(' ')[0], '404', bad);
  }
  assert.equal((await fetch(new URL('/', serverUrl), { method: 'POST' })).status, 405);
});

test('the console drives every action through the package in Chromium', async () => {
  const receiver = await admin(ctx, 'POST', '/machines', { name: 'console-receiver' });
  const sender = await admin(ctx, 'POST', '/machines', { name: 'console-sender', scopes: [receiver.id] });
  const senderApi = createClerkClient({ apiUrl: ctx.url, machineSecretKey: sender.secretKey });
  const instanceApi = createClerkClient({ apiUrl: ctx.url, secretKey: ctx.secretKey });

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
  page.on('console', (m) => {
    // Chromium logs every non-2xx fetch; the Backend API's deliberate 404s below are not problems of the page.
    if (m.type() === 'error' && !(m.text().startsWith('Failed to load resource') && m.location().url.startsWith(ctx.url))) problems.push(`console: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()}`));

  let n = 0;
  const shot = async (name) => {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: the page is ${overflow}px wider than the window`);
    await page.screenshot({ path: join(shots, `${String(++n).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const byId = (id) => page.locator(`#${id}`);
  const text = async (id) => (await byId(id).textContent()).trim();
  const optional = async (selector) => ((await page.locator(selector).count()) ? (await page.locator(selector).textContent()).trim() : null);
  /** The error box in `id`: class, code, status (absent: null) and message, as the page shows them. */
  const errorIn = async (id) => ({
    kind: await optional(`#${id} [data-testid=error-class]`),
    code: await optional(`#${id} [data-testid=error-code]`),
    status: await optional(`#${id} [data-testid=error-status]`),
    message: await optional(`#${id} [data-testid=error-message]`),
  });
  const rows = () => page.locator('#tokens-body tr');
  /** Clicks an action button and waits until its call has finished (the page marks it aria-busy meanwhile). */
  const act = async (id) => {
    await byId(id).click();
    await page.waitForFunction((i) => !document.getElementById(i).hasAttribute('aria-busy'), id);
  };

  // 01: loaded, WASM instantiated by /pkg/index.js.
  await page.goto(serverUrl);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20_000 });
  assert.match(await text('pkg-version'), /^v\d+\.\d+\.\d+ · WASM loaded$/);
  assert.equal(await byId('create-token').isDisabled(), true, 'actions wait for the settings');
  await shot('loaded');

  // 02: a bad API URL is refused by the package with ClerkConfigurationError.
  await byId('api-url').fill('ftp://127.0.0.1');
  await byId('apply-settings').click();
  assert.deepEqual(await errorIn('settings-error'), {
    kind: 'ClerkConfigurationError', code: 'configuration-invalid', status: null, message: 'apiUrl must be an absolute http:// or https:// URL',
  });
  await shot('settings-error');

  // 03: settings; the status shows redacted keys only.
  await byId('api-url').fill(ctx.url);
  await byId('secret-key').fill(ctx.secretKey);
  await byId('machine-secret-key').fill(sender.secretKey);
  await byId('apply-settings').click();
  const status = await text('settings-status');
  assert.match(status, /^Ready: /);
  assert.ok(status.includes(ctx.url));
  assert.ok(status.includes(`${ctx.secretKey.slice(0, 12)}…`) && !status.includes(ctx.secretKey), status);
  assert.ok(!status.includes(sender.secretKey));
  assert.equal(await byId('settings-error').isHidden(), true);
  assert.equal(await byId('create-token').isEnabled(), true);
  await shot('settings');

  // 04: create an opaque token that never expires.
  await act('create-token');
  await byId('create-result').waitFor();
  const opaque = await text('created-token');
  assert.match(opaque, /^mt_[A-Za-z0-9]{32}$/);
  assert.equal(await text('created-format'), 'opaque');
  assert.match(await text('created-meta'), new RegExp(`subject${sender.id}scopes${receiver.id}claimsnoneexpiresnever`));
  assert.equal(await byId('list-subject').inputValue(), sender.id, 'the subject filter takes the creating machine');
  await shot('create-opaque');

  // 05: create a JWT with claims and an expiry.
  await byId('format-jwt').check();
  assert.equal(await byId('jwt-hint').isVisible(), true);
  await byId('expires-in').fill('600');
  await byId('claims').fill('{"role": "reporting", "tier": 2}');
  await act('create-token');
  await page.waitForFunction(() => document.getElementById('created-format').textContent === 'JWT');
  const jwt = await text('created-token');
  assert.equal(jwt.split('.').length, 3);
  assert.match(await text('created-meta'), /claims\{"role":"reporting","tier":2\}expiresin (9|10) min/);
  await shot('create-jwt');

  // 06: bad claims never reach the Backend API: a TypeError is shown.
  await byId('claims').fill('{"role": ');
  await act('create-token');
  await byId('create-error').waitFor();
  const bad = await errorIn('create-error');
  assert.equal(bad.kind, 'TypeError');
  assert.match(bad.message, /^Claims are not valid JSON/);
  await shot('create-bad-claims');

  // Four more opaque tokens (through the package in Node), so the list has 5 to page through; the JWT is never listed.
  const more = [];
  for (let i = 0; i < 4; i++) more.push(await senderApi.m2m.createToken({ claims: { n: i } }));

  // 07: list, two per page.
  await byId('list-limit').fill('2');
  await act('list-tokens');
  await page.waitForFunction(() => document.getElementById('list-summary').textContent === '1–2 of 5');
  assert.equal(await rows().count(), 2);
  assert.deepEqual(await rows().evaluateAll((trs) => trs.map((tr) => tr.dataset.tokenId)), [more[3].id, more[2].id], 'newest first');
  assert.equal(await byId('list-prev').isDisabled(), true);
  assert.equal(await byId('list-next').isEnabled(), true);
  await shot('list');

  // 08–10: paginate forward to the end, then back.
  const summary = async (expected) => page.waitForFunction((s) => document.getElementById('list-summary').textContent === s, expected);
  await byId('list-next').click();
  await summary('3–4 of 5');
  assert.deepEqual(await rows().evaluateAll((trs) => trs.map((tr) => tr.dataset.tokenId)), [more[1].id, more[0].id]);
  assert.equal(await byId('list-offset').inputValue(), '2');
  await shot('page-2');
  await byId('list-next').click();
  await summary('5–5 of 5');
  const opaqueId = await rows().first().getAttribute('data-token-id');
  assert.equal(await byId('list-next').isDisabled(), true);
  assert.match(await rows().first().textContent(), /active/);
  await shot('page-3');
  await byId('list-prev').click();
  await summary('3–4 of 5');
  assert.equal(await byId('list-prev').isEnabled(), true);
  await shot('page-back');

  // 11: revoke a row; the list reloads without it (revoked tokens are filtered out by default).
  const victim = more[1].id;
  await page.locator(`[data-testid="revoke-${victim}"]`).click();
  await summary('3–4 of 4');
  assert.equal(await text('list-status'), `Revoked ${victim} (revoked in the token console).`);
  assert.equal(await page.locator(`tr[data-token-id="${victim}"]`).count(), 0);
  const revoked = (await instanceApi.m2m.list({ subject: sender.id, revoked: true, limit: 10 })).data.find((t) => t.id === victim);
  assert.equal(revoked.revoked, true, 'really revoked at the Backend API');
  assert.equal(revoked.revocationReason, 'revoked in the token console');
  await shot('revoke');

  // 12: filter: include revoked, first page of 10.
  await byId('list-revoked').check();
  await byId('list-limit').fill('10');
  await byId('list-offset').fill('0');
  await act('list-tokens');
  await summary('1–5 of 5');
  const row = page.locator(`tr[data-token-id="${victim}"]`);
  assert.match(await row.textContent(), /revoked/);
  assert.equal(await page.locator(`[data-testid="revoke-${victim}"]`).isDisabled(), true);
  assert.equal(await page.locator('#tokens-body .badge.bad').count(), 1);
  await shot('filter-revoked');

  // 13: a list error: an unknown machine as subject (ClerkAPIResponseError, status and code).
  await byId('list-subject').fill('mch_' + 'x'.repeat(27));
  await act('list-tokens');
  await byId('list-error').waitFor();
  assert.deepEqual(await errorIn('list-error'), { kind: 'ClerkAPIResponseError', code: 'resource_not_found', status: 'status 404', message: 'Not Found' });
  await shot('list-error');

  // 14: verify the opaque token: the M2MToken, and nothing to decode.
  await byId('verify-token').fill(opaque);
  await act('verify-button');
  await page.locator('[data-testid=verify-ok]').waitFor();
  const verified = JSON.parse(await page.locator('[data-testid=verify-json]').textContent());
  assert.equal(verified.id, opaqueId);
  assert.equal(verified.subject, sender.id);
  assert.deepEqual(verified.scopes, [receiver.id]);
  assert.equal(verified.revoked, false);
  assert.match(await text('jwt-decoded'), /An opaque token: there is nothing inside it to decode/);
  await shot('verify-opaque');

  // 15: verify the JWT (filled by "Verify this token"): result and decoded header/payload side by side.
  await byId('verify-created').click();
  assert.equal(await byId('verify-token').inputValue(), jwt);
  await act('verify-button');
  await page.locator('[data-testid=jwt-header]').waitFor();
  await page.locator('[data-testid=verify-ok]').waitFor();
  const verifiedJwt = JSON.parse(await page.locator('[data-testid=verify-json]').textContent());
  assert.equal(verifiedJwt.subject, sender.id);
  assert.equal(verifiedJwt.claims.role, 'reporting');
  const header = JSON.parse(await page.locator('[data-testid=jwt-header]').textContent());
  const payload = JSON.parse(await page.locator('[data-testid=jwt-payload]').textContent());
  assert.equal(header.alg, 'RS256');
  assert.equal(header.typ, 'JWT');
  assert.equal(payload.sub, sender.id);
  assert.deepEqual(payload.aud, [receiver.id]);
  assert.equal(payload.role, 'reporting');
  assert.equal(payload.tier, 2);
  assert.equal(payload.jti, verifiedJwt.id);
  assert.equal(payload.exp - payload.iat, 600);
  const [leftBox, rightBox] = [await byId('verify-result').boundingBox(), await byId('jwt-decoded').boundingBox()];
  assert.ok(rightBox.x > leftBox.x + leftBox.width, 'the decoded view is next to the result');
  await shot('verify-jwt');

  // 16: the same JWT with another audience is refused (what binds a JWT to its receiver).
  await byId('verify-audience').fill(sender.id);
  await act('verify-button');
  const aud = await errorIn('verify-result');
  assert.equal(aud.kind, 'MachineTokenVerificationError');
  assert.equal(aud.code, 'token-verification-failed');
  assert.match(aud.message, /^Invalid JWT audience claim array \(aud\)/);
  await shot('verify-jwt-audience');

  // 17: garbage: the error's class, code and message, exactly what the package throws in Node for it.
  await byId('verify-audience').fill('');
  await byId('verify-token').fill('garbage-token');
  await act('verify-button');
  const expected = await instanceApi.m2m.verify({ token: 'garbage-token' }).catch((e) => e);
  assert.deepEqual(await errorIn('verify-result'), {
    kind: expected.name, code: expected.errors[0].code, status: `status ${expected.status}`, message: expected.message,
  });
  assert.equal(expected.status, 404);
  assert.match(await text('jwt-decoded'), /Not a JWT/);
  await shot('verify-garbage');

  // Keys stayed in memory: not in the URL, not in storage, not in cookies.
  const kept = await page.evaluate(() => ({ url: location.href, local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
  assert.deepEqual(kept, { url: serverUrl, local: 0, session: 0, cookie: '' });
  assert.deepEqual(problems, []);
  assert.equal(readdirSync(shots).filter((f) => f.endsWith('.png')).length, n);
});

test('the console lists machines, edits the scope matrix and rotates a key', async () => {
  const [a, b, c] = ctx.machines;
  browser ??= await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
  const byId = (id) => page.locator(`#${id}`);
  const cell = (from, to) => page.locator(`[data-testid="scope-${from}-${to}"]`);
  const idle = () => page.waitForFunction(() => !document.querySelector('#machines [aria-busy]'));
  const bapiMachines = async () => {
    const res = await fetch(`${ctx.url}/v1/machines?limit=100`, { headers: { authorization: `Bearer ${ctx.secretKey}` } });
    assert.equal(res.status, 200);
    return new Map((await res.json()).data.map((m) => [m.id, m]));
  };
  const scopesAt = async (id) => (await bapiMachines()).get(id).scoped_machines.map((m) => m.id);

  await page.goto(serverUrl);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20_000 });
  await byId('api-url').fill(ctx.url);
  await byId('secret-key').fill(ctx.secretKey);
  await byId('apply-settings').click();
  await byId('list-machines').click();
  await page.locator(`tr[data-machine-id="${c.id}"]`).waitFor();

  // The seeded scopes: A↔B, C none.
  assert.equal(await cell(a.id, b.id).isChecked(), true);
  assert.equal(await cell(b.id, a.id).isChecked(), true);
  for (const other of [a, b]) {
    assert.equal(await cell(c.id, other.id).isChecked(), false);
    assert.equal(await cell(other.id, c.id).isChecked(), false);
  }

  // Create a machine: its row appears, its secret masked.
  await byId('machine-name').fill('console-new');
  await byId('create-machine').click();
  const row = page.locator('tr[data-testid=machine-row]', { hasText: 'console-new' });
  await row.waitFor();
  const created = await row.getAttribute('data-machine-id');
  assert.match(created, /^mch_/);
  const status = (await byId('machines-status').textContent()).trim();
  assert.match(status, /secret key ak_.{4}…\(\d+ chars\)\.$/);

  // Toggle C → new on, seen at the Backend API; then off.
  await cell(c.id, created).check();
  await idle();
  assert.deepEqual(await scopesAt(c.id), [created]);
  await cell(c.id, created).uncheck();
  await idle();
  assert.deepEqual(await scopesAt(c.id), []);
  assert.equal(await byId('machines-error').isHidden(), true);

  // Rotate A's key: a new masked secret, never the key itself.
  await byId('previous-token-ttl').fill('60');
  await page.locator(`[data-testid="rotate-${a.id}"]`).click();
  await page.waitForFunction((id) => document.querySelector(`[data-testid="secret-${id}"]`).textContent.startsWith('ak_'), a.id);
  const masked = (await page.locator(`[data-testid="secret-${a.id}"]`).textContent()).trim();
  assert.match(masked, /^ak_.{4}…\(\d+ chars\)$/);
  assert.ok(!(await page.content()).includes(a.secretKey));
  assert.match((await byId('machines-status').textContent()).trim(), /works for 60 s\.$/);

  // Many machines: the matrix scrolls inside its card, the page stays as wide as the window.
  for (let i = 0; i < 40; i++) await admin(ctx, 'POST', '/machines', { name: `console-extra-${i}` });
  await byId('list-machines').click();
  await page.locator('tr[data-machine-id]', { hasText: 'console-extra-39' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
  await page.screenshot({ path: join(shots, '18-machines.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});
