// The contenders, written once for every runtime: the Node lanes import this file, the bench Workers bundle it.
// Each factory returns `(token) => Promise<unknown>` that rejects when the token does not verify.
//
// ctx: { pem, jwks, apiUrl, secretKey }   (jwks: the local BAPI's `{ keys: [...] }`)

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };

const B64URL = new Uint8Array(128).fill(255);
for (let i = 0; i < 64; i++) B64URL['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;

/** base64url (no padding) to bytes: a plain table decoder, the same in every runtime. */
export function b64urlDecode(s) {
  const out = new Uint8Array((s.length * 3) >> 2);
  let acc = 0, bits = 0, j = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64URL[c] : 255;
    if (v === 255) throw new Error('bad base64url');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) { bits -= 8; out[j++] = (acc >> bits) & 255; }
  }
  return out;
}

const encoder = new TextEncoder();

/** The floor: `crypto.subtle.verify` with one reused CryptoKey, plus splitting the token and decoding its signature. */
export async function floorVerifier(ctx, subtle = globalThis.crypto.subtle) {
  const key = await subtle.importKey('jwk', ctx.jwks.keys[0], ALG, false, ['verify']);
  return async (token) => {
    const dot = token.lastIndexOf('.');
    const ok = await subtle.verify(ALG, key, b64urlDecode(token.slice(dot + 1)), encoder.encode(token.slice(0, dot)));
    if (!ok) throw new Error('floor: bad signature');
    return ok;
  };
}

/**
 * All contenders a library module set provides. libs: { ours?, clerk?, jose? } (module namespaces).
 * Every per-verify contender is in the configuration a user gets: default options unless the name says otherwise.
 *   ours-jwtKey, ours-jwks            createClerkClient({ jwtKey }) / ({ secretKey, apiUrl }), default options
 *                                     (verified-token cache on, default size)
 *   ours-jwtKey-nocache, ours-jwks-nocache   the same with `verifiedTokenCacheSize: 0`
 *   ours-cached                       another ours-jwtKey instance (the repeated-token lane's own client)
 *   ours-nocrypto, ours-nocrypto-nocache     ours-jwtKey / ours-jwtKey-nocache instances of their own, run by the
 *                                     lanes with crypto.subtle.verify stubbed (breakdown only)
 *   ours-probe                        an ours-jwtKey instance for the cache probe (a miss pass, then a hit pass)
 *   clerk-jwtKey, clerk-jwks          @clerk/backend's createClerkClient, default options
 *   jose-spki                         importSPKI(pem) once, then jwtVerify(token, key): jose at its fastest
 *   jose-jwks                         jwtVerify(token, createLocalJWKSet(jwks)): a key-set lookup per call
 *   jose-nocrypto                     a jose-spki instance of its own, run with crypto.subtle.verify stubbed (breakdown
 *                                     only: jose's cost beside the RSA check, to set against ours-nocrypto)
 *   floor                             crypto.subtle.verify with one reused CryptoKey
 */
export function contenderFactories(libs, ctx) {
  const f = {};
  if (libs.ours) {
    const { createClerkClient } = libs.ours;
    const wrap = (client) => (token) => client.m2m.verify({ token });
    const jwtKey = () => wrap(createClerkClient({ jwtKey: ctx.pem }));
    const jwtKeyNoCache = () => wrap(createClerkClient({ jwtKey: ctx.pem, verifiedTokenCacheSize: 0 }));
    f['ours-jwtKey'] = jwtKey;
    f['ours-jwks'] = () => wrap(createClerkClient({ secretKey: ctx.secretKey, apiUrl: ctx.apiUrl }));
    f['ours-jwtKey-nocache'] = jwtKeyNoCache;
    f['ours-jwks-nocache'] = () => wrap(createClerkClient({ secretKey: ctx.secretKey, apiUrl: ctx.apiUrl, verifiedTokenCacheSize: 0 }));
    f['ours-cached'] = jwtKey;
    f['ours-nocrypto'] = jwtKey;
    f['ours-nocrypto-nocache'] = jwtKeyNoCache;
    f['ours-probe'] = jwtKey;
  }
  if (libs.clerk) {
    const { createClerkClient } = libs.clerk;
    const wrap = (client) => (token) => client.m2m.verify({ token });
    f['clerk-jwtKey'] = () => wrap(createClerkClient({ jwtKey: ctx.pem }));
    f['clerk-jwks'] = () => wrap(createClerkClient({ secretKey: ctx.secretKey, apiUrl: ctx.apiUrl }));
  }
  if (libs.jose) {
    const { jwtVerify, createLocalJWKSet, importSPKI } = libs.jose;
    f['jose-spki'] = async () => {
      const key = await importSPKI(ctx.pem, 'RS256');
      return (token) => jwtVerify(token, key, { algorithms: ['RS256'] });
    };
    f['jose-nocrypto'] = f['jose-spki'];
    f['jose-jwks'] = () => {
      const keys = createLocalJWKSet(ctx.jwks);
      return (token) => jwtVerify(token, keys, { algorithms: ['RS256'] });
    };
  }
  f.floor = () => floorVerifier(ctx);
  return f;
}

/** Builds one contender and checks it on a real token, so a broken contender fails loudly, not fast. */
export async function makeContender(factories, name, token) {
  const make = factories[name];
  if (!make) throw new Error(`unknown contender ${name}`);
  const fn = await make();
  await fn(token);
  return fn;
}

/** `n` sequential verifications over `tokens` from `offset` (same = always the first token). */
export async function runSequential(fn, tokens, n, offset = 0, same = false) {
  const len = tokens.length;
  if (same) { const t = tokens[0]; for (let i = 0; i < n; i++) await fn(t); return; }
  for (let i = 0; i < n; i++) await fn(tokens[(offset + i) % len]);
}

/**
 * `n` sequential verifications alternating one repeated token (tokens[0]) and a distinct one (tokens[offset...]):
 * the 50/50 mix. Uses ceil(n / 2) repeated and floor(n / 2) distinct tokens; see mixedDistinct.
 */
export async function runMixed(fn, tokens, n, offset = 0) {
  const len = tokens.length;
  const same = tokens[0];
  for (let i = 0; i < n; i++) await fn(i & 1 ? tokens[(offset + (i >> 1)) % len] : same);
}

/** The `w` tokens from `offset` on (cyclically): the cache probe re-verifies such a window, all cache hits. */
export function tokenWindow(tokens, offset, w) {
  return Array.from({ length: Math.min(w, tokens.length) }, (_, i) => tokens[(offset + i) % tokens.length]);
}

/** How many distinct tokens runMixed(…, n, …) uses (to advance a contender's token cursor). */
export const mixedDistinct = (n) => n >> 1;

const identity = async (x) => x;

/** The same loop with an empty async call in place of the verification: the loop's own cost. */
export async function runEmpty(tokens, n, offset = 0) {
  const len = tokens.length;
  for (let i = 0; i < n; i++) await identity(tokens[(offset + i) % len]);
}

/** `n` verifications with `inflight` of them in flight at any time. */
export async function runConcurrent(fn, tokens, n, inflight, offset = 0) {
  let next = 0;
  const len = tokens.length;
  const worker = async () => { while (next < n) { const i = next++; await fn(tokens[(offset + i) % len]); } };
  await Promise.all(Array.from({ length: inflight }, worker));
}

/** A token with the same payload and signature but another `kid` (so the key lookup misses). */
export function withUnknownKid(token, i) {
  const [h, p, s] = token.split('.');
  const header = JSON.parse(new TextDecoder().decode(b64urlDecode(h)));
  header.kid = `ins_unknown${String(i).padStart(6, '0')}`;
  const bytes = encoder.encode(JSON.stringify(header));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  const enc = btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${enc}.${p}.${s}`;
}
