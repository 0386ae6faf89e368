// Side-by-side conformance of local JWT verification: the published @clerk/backend 3.25.0 and this package on the
// same generated corpus (tests/node/reliability-jwt-corpus.mjs, > 500 tokens), compared on every outcome:
// success → the same M2MToken fields; failure → the same error kind, code, message (and status/errors for the
// Backend API); plus the Backend API requests each call made (tokens that are not M2M JWTs go to
// POST /m2m_tokens/verify in both).
//
// Every difference must be one of the deviations of docs/compat.md. Each is a function below that turns the
// reference's outcome into the outcome the documented rule predicts for this package; ALLOWED says which of them
// a corpus family may use. Ours must equal that prediction exactly; anything else fails with a diff. Known
// package problems (FINDINGS) are reported by their own tests at the end of this file, which fail until fixed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { isDeepStrictEqual, inspect } from 'node:util';
import { createClerkClient as createReference } from '@clerk/backend';
import { verifyMachineAuthToken } from '@clerk/backend/internal';
import { root } from './context.mjs';
import { ownBapi } from './reliability-bapi.mjs';
import { buildCorpus, jwt, makeKeys, seg, HEADER, payload as clerkPayload } from './reliability-jwt-corpus.mjs';

const ours = await import(`${root}/pkg/node.mjs`);

// ---------------------------------------------------------------------------------------------------------------
// Outcomes

const FIELDS = ['id', 'subject', 'scopes', 'claims', 'revoked', 'revocationReason', 'expired', 'expiration', 'createdAt', 'updatedAt', 'token'];

/** A comparable view of what a call produced: the result's fields, or the error's kind/code/message/... */
function outcome(ok, v) {
  if (ok) return { ok: true, value: Object.fromEntries(FIELDS.map((f) => [f, v?.[f]])) };
  if (!(v instanceof Error)) return { ok: false, kind: 'non-Error', thrown: inspect(v) };
  // The reference's classes are renamed by its bundler (`_MachineTokenVerificationError`); `kind` is stable.
  const o = { ok: false, kind: v.constructor?.kind ?? v.name.replace(/^_/, ''), message: v.message };
  for (const k of ['code', 'status', 'action', 'retryAfter']) if (v[k] !== undefined) o[k] = v[k];
  if (Array.isArray(v.errors)) o.errors = v.errors.map((e) => ({ code: e.code, message: e.message }));
  return o;
}

/** The wire view of a logged Backend API request. */
const wire = (r) => ({ method: r.method, path: r.path, body: r.body ? JSON.parse(r.body) : null, authorization: r.headers.authorization ?? null });

const clone = (o) => structuredClone(o);
const decodeSegment = (token, i) => {
  try { return { json: JSON.parse(Buffer.from(token.split('.')[i], 'base64url').toString('utf8')) }; } catch { return null; }
};
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The paths where two outcomes differ, as `path: expected → ours` lines (a readable diff). */
function diff(a, b, path = '') {
  if (isDeepStrictEqual(a, b)) return [];
  const show = (v) => inspect(v, { depth: 3, breakLength: Infinity, maxStringLength: 160, maxArrayLength: 8 });
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => diff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return [`${path || '(outcome)'}: ${show(a)} → ${show(b)}`];
}
const dateString = (seconds) => { const d = new Date(0); d.setUTCSeconds(seconds); return d.toUTCString(); };

/** What the reference's decodeJwt reads: loose base64url, TextDecoder (BOM stripped, U+FFFD repairs), JSON.parse. */
function decodesLoosely(segment) {
  try { JSON.parse(new TextDecoder().decode(Buffer.from(segment, 'base64url'))); return true; } catch { return false; }
}
/** Strict UTF-8 JSON (RFC 8259): no BOM, valid UTF-8, well-formed strings (no lone surrogates), finite numbers. */
function decodesStrictly(segment) {
  let value;
  try { value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.from(segment, 'base64url'))); } catch { return false; }
  const ok = (v) => (typeof v === 'string' ? v.isWellFormed() : typeof v === 'number' ? Number.isFinite(v)
    : v !== null && typeof v === 'object' ? Object.entries(v).every(([k, x]) => k.isWellFormed() && ok(x)) : true);
  return ok(value);
}

// ---------------------------------------------------------------------------------------------------------------
// The documented deviations (docs/compat.md), each as reference outcome → predicted outcome of this package.
// `env` = { token, payload, header, atMs, twin, bapiNotFound, verifyRequest }.

const DEVIATIONS = {
  'iat-missing-zero': {
    doc: 'A missing `iat` gives `createdAt = updatedAt = 0`. The reference gives `NaN`.',
    apply: (o) => {
      if (o.ok && Number.isNaN(o.value.createdAt)) { o.value.createdAt = 0; o.value.updatedAt = 0; }
      return o;
    },
  },
  'ms-rounding': {
    doc: '`expiration`/`createdAt` keep sub-second fractions (rounded to whole ms), and values beyond ±2⁶³ ms saturate.',
    apply: (o) => {
      if (!o.ok) return o;
      const round = (v) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) return v;
        const r = Math.sign(v) * Math.round(Math.abs(v)); // Rust's f64::round: half away from zero
        return Math.max(-(2 ** 63), Math.min(2 ** 63, r)) + 0; // `as i64` saturates; -0 → 0
      };
      for (const k of ['expiration', 'createdAt', 'updatedAt']) o.value[k] = round(o.value[k]);
      return o;
    },
  },
  'scopes-typed-error': {
    doc: 'E23: a `scopes` claim that is present, not nullish and not a string gives `MachineTokenVerificationError` (`token-invalid`, `Invalid JWT scopes claim. Expected a space-separated string.`). The reference crashes with a raw `TypeError: payload.scopes?.split is not a function`.',
    apply: (o) => (!o.ok && o.kind === 'TypeError' && o.message === 'payload.scopes?.split is not a function'
      ? { ok: false, kind: 'MachineTokenVerificationError', message: 'Invalid JWT scopes claim. Expected a space-separated string.', code: 'token-invalid', requests: o.requests }
      : o),
  },
  'aud-scopes-array': {
    doc: 'A string `aud` used as scopes becomes a one-element array. Non-string entries of an `aud` array are left out of `scopes`, and an `aud` of any other type gives `[]`.',
    apply: (o) => {
      if (!o.ok) return o;
      const s = o.value.scopes;
      o.value.scopes = typeof s === 'string' ? [s] : Array.isArray(s) ? s.filter((x) => typeof x === 'string') : [];
      return o;
    },
  },
  'time-out-of-range': {
    doc: '`exp`/`nbf`/`iat` outside the JS `Date` range (±8.64e15 ms) are compared as numbers. The reference compares `NaN`, so every such value passes. Ours: `exp: -1e20` is expired, `nbf: 1e20` is in the future, `exp: 1e20` is valid. The date then reads `Invalid Date`, as in JS.',
    apply: (o, env) => {
      const p = env.payload;
      const outside = (v) => typeof v === 'number' && Math.abs(v * 1000) > 8.64e15;
      if (!isObject(p) || !['exp', 'nbf', 'iat'].some((k) => outside(p[k]))) return o;
      const now = env.atMs, current = new Date(now).toUTCString();
      const fail = (message) => ({ ok: false, kind: 'MachineTokenVerificationError', message, code: 'token-verification-failed', requests: o.requests });
      if (p.exp * 1000 <= now - 5000) return fail(`JWT is expired. Expiry date: ${dateString(p.exp)}, Current date: ${current}.`);
      if (typeof p.nbf === 'number' && p.nbf * 1000 > now + 5000) {
        return fail(`JWT cannot be used prior to not before date claim (nbf). Not before date: ${dateString(p.nbf)}; Current date: ${current};`);
      }
      if (typeof p.iat === 'number' && p.iat * 1000 > now + 5000) {
        return fail(`JWT issued at date claim (iat) is in the future. Issued at date: ${dateString(p.iat)}; Current date: ${current};`);
      }
      if (o.ok) o.value.expired = false;
      return o;
    },
  },
  'json-objects-only': {
    doc: 'Header and payload must decode to JSON objects. The reference\'s `decodeJwt` also accepts JSON scalars (`42`), then fails later in odd ways. (So the token is not an M2M JWT, and `m2m.verify` sends it to the Backend API.)',
    apply: (o, env) => {
      if (!env.header || isObject(env.header.json) || !isObject(env.payload)) return o;
      return { ...clone(env.bapiNotFound), requests: [env.verifyRequest] };
    },
  },
  'jti-string': {
    doc: 'A non-string `jti` becomes its JS `String()` form as the `id` (`42` → `"42"`, an object → `"[object Object]"`). The reference copies the value as is.',
    apply: (o) => {
      if (o.ok && o.value.id !== null && typeof o.value.id !== 'string') o.value.id = String(o.value.id);
      return o;
    },
  },
  'strict-utf8-json': {
    doc: 'Header and payload are decoded as strict UTF-8 JSON (RFC 8259). A segment that `TextDecoder` + `JSON.parse` would still read (a UTF-8 BOM, invalid UTF-8 replaced by U+FFFD, a lone surrogate escape such as `"\\ud800"`, a number beyond the double range such as `1e400` read as `Infinity`) does not decode here, so the token is not an M2M JWT and `m2m.verify` sends it to the Backend API, which does not know it (`ClerkAPIResponseError` 404).',
    apply: (o, env) => {
      const segments = env.token.split('.');
      if (segments.length !== 3 || !segments.slice(0, 2).some((sg) => decodesLoosely(sg) && !decodesStrictly(sg))) return o;
      return { ...clone(env.bapiNotFound), requests: [env.verifyRequest] };
    },
  },
  'key-3072': {
    doc: '`jwtKey` is parsed as real DER … The reference strips a fixed 2048-bit prefix from the PEM text, so 3072/4096-bit keys gave `JWT signature is invalid.` Those keys now work.',
    apply: (o, env) => (env.twin && !o.ok && o.message === 'JWT signature is invalid.' ? clone(env.twin) : o),
  },
  'audience-required': {
    doc: 'When an `audience` is configured, the token must carry a matching `aud`. A missing `aud`, an empty one (`""`, `[]`), or one of another type fails with E13/E14 (`… (aud) undefined. Is not included in …`).',
    apply: (o, env) => {
      const list = [env.audience].flat().filter((a) => !!a);
      const p = env.payload;
      if (!list.length || !isObject(p)) return o;
      const aud = p.aud;
      const match = (typeof aud === 'string' && list.includes(aud)) || (Array.isArray(aud) && aud.some((a) => typeof a === 'string' && list.includes(a)));
      // aud is checked right after sub: it wins over a time-claim failure, never over a signature failure.
      const later = o.ok || /^(JWT is expired|JWT cannot be used|JWT issued at|Invalid JWT (expiry|not before|issued at))/.test(o.message);
      if (match || !later) return o;
      const message = `Invalid JWT audience claim${Array.isArray(aud) ? ' array' : ''} (aud) ${JSON.stringify(aud)}. Is not included in "${JSON.stringify(list)}".`;
      return { ok: false, kind: 'MachineTokenVerificationError', message, code: 'token-verification-failed', requests: o.requests };
    },
  },
  'jwks-unknown-kid-cooldown': {
    doc: 'Unknown `kid`: one refetch, then a cooldown of `jwksCooldownMs` (30 s). During the cooldown, unknown kids fail with E4 without a request. The reference refetches on every unknown kid.',
    apply: (o, env) => (env.inCooldown && !o.ok && o.message.startsWith('Unable to find a signing key in JWKS') ? { ...o, requests: [] } : o),
  },
  'exp-missing-advice': {
    doc: 'A JWT without `exp` fails with the reference\'s E16 message followed by what to do (mint with `secondsUntilExpiration`).',
    apply: (o) => (!o.ok && o.message === 'Invalid JWT expiry date claim (exp) undefined. Expected number.'
      ? { ...o, message: `${o.message} A JWT without \`exp\` never verifies: mint JWT-format tokens with \`secondsUntilExpiration\` (createToken), or give the machine a default token lifetime.` }
      : o),
  },
  'jwks-replace': {
    doc: 'A fetched key set replaces the cached one. The reference merges by `kid`, so removed keys kept verifying until the TTL ran out.',
    apply: (o, env) => (env.removedKid && o.ok
      ? { ok: false, kind: 'MachineTokenVerificationError',
        message: `Unable to find a signing key in JWKS that matches the kid='${env.removedKid}' of the provided session token. Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT.`,
        code: 'token-verification-failed', requests: env.inCooldown ? [] : [env.jwksRequest] }
      : o),
  },
};

/** Which deviations each corpus family may show (applied in this order). Everything else must be identical. */
const ALLOWED = {
  valid: ['iat-missing-zero', 'ms-rounding'],
  expired: [],
  'not-yet-valid': [],
  cat: [],
  typ: [],
  alg: [],
  tampered: [],
  'sub-routing': [],
  encoding: ['strict-utf8-json', 'iat-missing-zero', 'ms-rounding'],
  'json-scalars': ['json-objects-only'],
  large: ['aud-scopes-array'],
  'claim-types': ['scopes-typed-error', 'aud-scopes-array', 'iat-missing-zero', 'jti-string', 'exp-missing-advice'],
  'time-range': ['time-out-of-range', 'ms-rounding'],
  'key-3072': ['key-3072', 'scopes-typed-error', 'iat-missing-zero'],
  audience: ['audience-required', 'aud-scopes-array'],
  jwks: ['jwks-unknown-kid-cooldown', 'jwks-replace'],
};

/**
 * Known package problems found by this corpus and not fixed yet (see docs/reliability.md, "Findings"): id →
 * { title, cases: [RegExp over "family: name"] }. A difference on one of their cases is reported as the finding
 * instead of failing the corpus test, and a FINDING test below fails until the package is fixed (or compat.md
 * documents the behaviour and a DEVIATIONS entry predicts it). Empty: F1–F4 of docs/reliability.md are resolved.
 */
const FINDINGS = {};
const findingOf = (key) => Object.entries(FINDINGS).find(([, f]) => f.cases.some((re) => re.test(key)))?.[0];

// ---------------------------------------------------------------------------------------------------------------

let ctx, keys, corpus;
const results = []; // { key, family, status: 'identical' | 'deviation' | 'finding' | 'mismatch', deviations, ref, expected, ours }

before(async () => {
  ctx = await ownBapi(31);
  keys = makeKeys();
  corpus = buildCorpus(keys);
});
after(async () => { await ctx?.stop(); });

/** Waits, when needed, so that the next few ms are inside one wall-clock second (messages quote it). */
async function alignToSecond() {
  const ms = Date.now() % 1000;
  if (ms > 800) await new Promise((r) => setTimeout(r, 1005 - ms));
}

async function observe(fn) {
  const r = await ctx.requestsDuring(fn);
  const o = r.failed ? outcome(false, r.error) : outcome(true, r.value);
  o.requests = r.requests.map(wire);
  return o;
}

/** Compares one case and records the result. */
function judge({ family, name }, ref, mine, env) {
  const key = `${family}: ${name}`;
  let expected = clone(ref);
  const used = [];
  for (const id of ALLOWED[family] ?? []) {
    const before = clone(expected);
    expected = DEVIATIONS[id].apply(expected, env);
    if (!isDeepStrictEqual(before, expected)) used.push(id);
  }
  let status;
  // Key order counts too: `JSON.stringify` of a result must be the reference's text.
  if (isDeepStrictEqual(mine, expected) && JSON.stringify(mine) === JSON.stringify(expected)) status = used.length ? 'deviation' : 'identical';
  else status = findingOf(key) ? 'finding' : 'mismatch';
  results.push({ key, family, status, deviations: used, finding: findingOf(key), ref, expected, ours: mine });
}

function clientsFor(key) {
  const opts = { jwtKey: keys[key].pem, apiUrl: ctx.url, machineSecretKey: ctx.machines[1].secretKey };
  return { reference: createReference(opts), edge: ours.createClerkClient(opts) };
}

test('corpus: reference and this package agree on every generated token, up to the documented deviations', { timeout: 85_000 }, async () => {
  const started = Date.now();
  const byKey = { rsa: clientsFor('rsa'), rsa3072: clientsFor('rsa3072') };
  const bapiNotFound = await observe(() => byKey.rsa.reference.m2m.verify({ token: 'mt_conformance_unknown' }));
  assert.equal(bapiNotFound.status, 404, 'the Backend API answers 404 to a token it does not know');
  delete bapiNotFound.requests;
  for (const c of corpus) {
    await alignToSecond();
    const atMs = Date.now();
    const nowS = Math.floor(atMs / 1000);
    const token = c.make(nowS);
    const env = { token, atMs, bapiNotFound, audience: c.audience, header: decodeSegment(token, 0), payload: decodeSegment(token, 1)?.json,
      verifyRequest: { method: 'POST', path: '/m2m_tokens/verify', body: { token }, authorization: `Bearer ${ctx.machines[1].secretKey}` } };
    let ref, mine;
    if (c.audience !== undefined) {
      // The reference's m2m.verify cannot set `audience` (§4.7); its machine-token entry point can.
      ref = await observe(async () => {
        const r = await verifyMachineAuthToken(token, { jwtKey: keys.rsa.pem, audience: c.audience });
        if (r.errors) throw r.errors[0];
        return r.data;
      });
      mine = await observe(() => byKey.rsa.edge.m2m.verify({ token, audience: c.audience }));
    } else {
      const { reference, edge } = byKey[c.key ?? 'rsa'];
      ref = await observe(() => reference.m2m.verify({ token }));
      mine = await observe(() => edge.m2m.verify({ token }));
      if (c.twin) env.twin = await observe(() => byKey.rsa.reference.m2m.verify({ token: c.twin(nowS) }));
    }
    judge(c, ref, mine, env);
  }
  await jwksFamily();
  report(started);
});

/** The JWKS variant: tokens minted by the local Backend API, verified with `secretKey` through GET /v1/jwks. */
async function jwksFamily() {
  const family = 'jwks';
  const jwksRequest = { method: 'GET', path: '/v1/jwks', body: null, authorization: `Bearer ${ctx.secretKey}` };
  const mint = async (machine, body) => {
    const res = await fetch(`${ctx.url}/m2m_tokens`, { method: 'POST', headers: { authorization: `Bearer ${machine.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token_format: 'jwt', seconds_until_expiration: 600, ...body }) });
    assert.equal(res.status, 201, 'mint a JWT');
    return (await res.json()).token;
  };
  const [a, , c] = ctx.machines;
  const claimSets = [null, { role: 'svc' }, { n: 1, nested: { x: [1, 'y'] } }, { scopes: 'ignored' }, { aud: 'ignored' }, { unicode: 'é✓' }, { big: 'z'.repeat(2000) }, { t: true }];
  const minted = [];
  for (const claims of claimSets) minted.push(await mint(a, { claims }));
  for (const claims of claimSets.slice(0, 4)) minted.push(await mint(c, { claims }));
  for (const secs of [1, 30, 86_400, 2.5]) minted.push(await mint(a, { seconds_until_expiration: secs }));
  const header = (t) => JSON.parse(Buffer.from(t.split('.')[0], 'base64url'));
  const withHeader = (t, h) => [seg(h), ...t.split('.').slice(1)].join('.');
  const withPayload = (t, f) => { const [h, p, s] = t.split('.'); return [h, seg(f(JSON.parse(Buffer.from(p, 'base64url')))), s].join('.'); };
  const flipSig = (t, i) => { const [h, p, s] = t.split('.'); const ch = s[i] === 'A' ? 'B' : 'A'; return [h, p, s.slice(0, i) + ch + s.slice(i + 1)].join('.'); };

  const cases = [];
  minted.forEach((t, i) => cases.push({ name: `minted #${i}`, token: t }));
  minted.slice(0, 4).forEach((t, i) => cases.push({ name: `minted #${i} again (cached)`, token: t }));
  cases.push({ name: 'payload re-encoded (sub changed)', token: withPayload(minted[0], (p) => ({ ...p, sub: `${p.sub}x` })) });
  cases.push({ name: 'payload re-encoded (exp extended)', token: withPayload(minted[1], (p) => ({ ...p, exp: p.exp + 3600 })) });
  cases.push({ name: 'payload re-encoded (scopes widened)', token: withPayload(minted[2], (p) => ({ ...p, scopes: `${p.scopes} mch_x` })) });
  for (const i of [0, 10, 100, 300]) cases.push({ name: `signature char ${i} changed`, token: flipSig(minted[3], i) });
  cases.push({ name: 'cat session', token: withHeader(minted[0], { ...header(minted[0]), cat: 'cl_B7d4PD111AAA' }) });
  cases.push({ name: 'typ at+jwt', token: withHeader(minted[0], { ...header(minted[0]), typ: 'at+jwt' }) });
  cases.push({ name: 'alg RS512', token: withHeader(minted[0], { ...header(minted[0]), alg: 'RS512' }) });
  cases.push({ name: 'alg none', token: withHeader(minted[0], { ...header(minted[0]), alg: 'none' }) });
  cases.push({ name: 'own key with the instance kid', token: jwt(keys, header(minted[0]), clerkPayload(Math.floor(Date.now() / 1000))) });
  let first = true;
  const unknown = (name, token) => { cases.push({ name, token, inCooldown: !first }); first = false; };
  for (const kid of ['ins_unknown1', 'ins_unknown2', 'ins_', '', 'INS_' + header(minted[0]).kid.slice(4), `${header(minted[0]).kid} `]) {
    unknown(`kid ${JSON.stringify(kid)}`, withHeader(minted[0], { ...header(minted[0]), kid }));
  }
  unknown('kid missing', withHeader(minted[0], (({ kid, ...h }) => h)(header(minted[0]))));
  unknown('kid missing, own key', jwt(keys, { alg: 'RS256', typ: 'JWT' }, clerkPayload(Math.floor(Date.now() / 1000))));
  unknown('kid number', withHeader(minted[1], { ...header(minted[1]), kid: 7 }));
  unknown('kid of another key, signed by it', jwt(keys, { ...HEADER, kid: 'ins_another' }, clerkPayload(Math.floor(Date.now() / 1000)), { key: 'rsa2' }));
  cases.push({ name: 'minted #0 after the unknown kids (still cached)', token: minted[0] });

  const reference = createReference({ secretKey: ctx.secretKey, apiUrl: ctx.url });
  const edge = ours.createClerkClient({ secretKey: ctx.secretKey, apiUrl: ctx.url });
  for (const k of cases) {
    await alignToSecond();
    const env = { token: k.token, atMs: Date.now(), inCooldown: k.inCooldown, jwksRequest };
    judge({ family, name: k.name }, await observe(() => reference.m2m.verify({ token: k.token })), await observe(() => edge.m2m.verify({ token: k.token })), env);
  }

  // Key rotation with the old key dropped, seen through a second cache scope (`localhost` instead of 127.0.0.1).
  const apiUrl = ctx.url.replace('127.0.0.1', 'localhost');
  const reference2 = createReference({ secretKey: ctx.secretKey, apiUrl });
  const edge2 = ours.createClerkClient({ secretKey: ctx.secretKey, apiUrl });
  const jwks2 = { ...jwksRequest };
  const oldToken = minted[0];
  const step = async (name, token, extra = {}) => {
    await alignToSecond();
    judge({ family, name }, await observe(() => reference2.m2m.verify({ token })), await observe(() => edge2.m2m.verify({ token })),
      { token, atMs: Date.now(), jwksRequest: jwks2, ...extra });
  };
  await step('rotation: old key, first use (fetch)', oldToken);
  const { kid: newKid, previous: oldKid } = await ctx.admin('POST', '/rotate-key', { drop_old: true });
  assert.notEqual(newKid, oldKid);
  const newToken = await mint(a, { claims: { after: 'rotation' } });
  await step('rotation: new kid (unknown: refetch in both)', newToken);
  await step('rotation: old kid, removed from the JWKS', oldToken, { removedKid: oldKid });
  await step('rotation: old kid again (cooldown)', oldToken, { removedKid: oldKid, inCooldown: true });
  await step('rotation: new kid again (cached)', newToken);
}

function report(started) {
  const count = (s) => results.filter((r) => r.status === s).length;
  const byDeviation = {};
  for (const r of results) for (const d of r.deviations) if (r.status === 'deviation') byDeviation[d] = (byDeviation[d] ?? 0) + 1;
  const byFamily = {};
  for (const r of results) byFamily[r.family] = (byFamily[r.family] ?? 0) + 1;
  const findings = {};
  for (const r of results.filter((x) => x.status === 'finding')) findings[r.finding] = (findings[r.finding] ?? 0) + 1;
  console.log(`conformance-jwt: ${results.length} tokens, ${count('identical')} identical, ${count('deviation')} documented deviations, `
    + `${count('finding')} known findings, ${count('mismatch')} unexplained (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`conformance-jwt: families ${JSON.stringify(byFamily)}`);
  console.log(`conformance-jwt: deviations ${JSON.stringify(byDeviation)}; findings ${JSON.stringify(findings)}`);
  assert.ok(results.length >= 500, `at least 500 tokens (got ${results.length})`);
  if (process.env.CONFORMANCE_JWT_DUMP) writeFileSync(process.env.CONFORMANCE_JWT_DUMP, JSON.stringify(results, (k, v) => (Number.isNaN(v) ? 'NaN' : v), 1));
  const bad = results.filter((r) => r.status === 'mismatch');
  assert.equal(bad.length, 0, `${bad.length} outcome(s) differ from the reference in a way docs/compat.md does not document `
    + '(lines are `field: predicted → ours`; predicted = the reference\'s outcome after the family\'s allowed deviations):\n'
    + bad.slice(0, 20).map((r) => `- ${r.key}${r.deviations.length ? ` (after ${r.deviations})` : ''}\n${diff(r.expected, r.ours).map((l) => `    ${l}`).join('\n')}`).join('\n'));
  // Each documented deviation the corpus is built to show must actually show up (the table is not dead code).
  for (const id of Object.keys(DEVIATIONS)) assert.ok(byDeviation[id] > 0, `deviation ${id} was never exercised`);
}

// ---------------------------------------------------------------------------------------------------------------
// Findings (docs/reliability.md): a test per open finding, failing until fixed; and the regression test of F1.

test('open findings: none of the corpus cases differs in an undocumented way', () => {
  assert.ok(results.length, 'the corpus test ran first');
  const open = results.filter((r) => r.status === 'finding');
  assert.equal(open.length, 0, open.map((r) => `${r.finding} ${FINDINGS[r.finding].title}\n- ${r.key}\n${diff(r.expected, r.ours).map((l) => `    ${l}`).join('\n')}`).join('\n'));
});

test('regression (finding F1, fixed by serde_json float_roundtrip): claim numbers come back exactly as JSON.parse reads them', async () => {
  // The JWT path: doubles that need all 17 significant digits (the corpus' `float claim` cases check the same).
  const now = Math.floor(Date.now() / 1000);
  const floats = [2.4294285049246057e-301, 5.594354583129251e-136, 123456789012345680000, -8.198606703327877e-207, 0.1, 5e-324, 1.7976931348623157e308];
  const local = ours.createClerkClient({ jwtKey: keys.rsa.pem, apiUrl: 'http://127.0.0.1:9' });
  const token = jwt(keys, HEADER, clerkPayload(now, { floats }));
  assert.deepEqual((await local.m2m.verify({ token })).claims.floats, floats, 'JWT claims');
  // The Backend API path: a createToken response decoded by this package vs JSON.parse of the same bytes.
  const body = '{"object":"machine_to_machine_token","id":"mt_1","subject":"mch_1","scopes":[],"claims":{"a":2.4294285049246057e-301,"b":123456789012345680000,"c":5.594354583129251e-136},"revoked":false,"revocation_reason":null,"expired":false,"expiration":null,"created_at":1,"updated_at":1,"token":"mt_x"}';
  const client = ours.createClerkClient({ machineSecretKey: 'ak_finding', apiUrl: 'http://127.0.0.1:9',
    fetch: async () => new Response(body, { status: 201, headers: { 'content-type': 'application/json' } }) });
  assert.deepEqual((await client.m2m.createToken()).claims, JSON.parse(body).claims, 'Backend API response claims');
});
