// The generated JWT corpus of tests/node/conformance-jwt.test.mjs (and the token mix of the soak): keys from
// node:crypto, signatures from node:crypto, variants chosen by a seeded PRNG so every run builds the same corpus
// (only the times move with the clock: each case is built from `nowS` right before it is verified).
//
// A case is { family, name, make(nowS) -> token, key?, audience?, twin? }:
//   key      'rsa' (default, the 2048-bit jwtKey), 'rsa3072' (a 3072-bit jwtKey)
//   audience set: the case runs through the audience entry points (reference: verifyMachineAuthToken)
//   twin     make(nowS) of the same header and payload signed with the 2048-bit key (3072-bit family)
import { createHmac, generateKeyPairSync, sign as cryptoSign, constants } from 'node:crypto';

export const CAT_M2M = 'cl_B7d4PD333AAA';
export const CAT_SESSION = 'cl_B7d4PD111AAA';
export const CAT_TEMPLATE = 'cl_B7d4PD222AAA';
export const CAT_IGNORE = 'cl_I7d4PD111III';

export const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
export const seg = (value) => b64u(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));

/** mulberry32: a small deterministic PRNG. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

export function makeKeys() {
  const rsa = (bits) => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    return { publicKey, privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }) };
  };
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { rsa: rsa(2048), rsa2: rsa(2048), rsa3072: rsa(3072), ec: { ...ec, pem: ec.publicKey.export({ type: 'spki', format: 'pem' }) } };
}

/** Signs `<h>.<p>` the way `alg` says, with the key given (RSA PKCS#1 v1.5 unless the alg says otherwise). */
export function signInput(input, alg, keys, keyName = 'rsa') {
  const data = Buffer.from(input);
  switch (alg) {
    case 'RS256': return cryptoSign('sha256', data, keys[keyName].privateKey);
    case 'RS384': return cryptoSign('sha384', data, keys[keyName].privateKey);
    case 'RS512': return cryptoSign('sha512', data, keys[keyName].privateKey);
    case 'PS256': return cryptoSign('sha256', data, { key: keys[keyName].privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case 'ES256': return cryptoSign('sha256', data, { key: keys.ec.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'HS256-pem': return createHmac('sha256', keys.rsa.pem).update(data).digest();
    case 'none': return Buffer.alloc(0);
    default: throw new Error(`signInput: ${alg}`);
  }
}

/** A JWT from header/payload (objects are JSON-encoded; strings are used as the raw JSON text). */
export function jwt(keys, header, payload, { signAs = header?.alg ?? 'RS256', key = 'rsa' } = {}) {
  const input = `${seg(header)}.${seg(payload)}`;
  return `${input}.${b64u(signInput(input, signAs, keys, key))}`;
}

const HEADER = { alg: 'RS256', typ: 'JWT', kid: 'ins_conformance', cat: CAT_M2M };
const SUB = 'mch_2vYVconformanceSenderXXXXXX';
const RECV = 'mch_2vYVconformanceReceiverXXXX';
const OTHER = 'mch_2vYVconformanceOtherXXXXXXX';
/** The claim shape Clerk mints (reference §3.2), with times relative to nowS. */
const payload = (nowS, extra = {}) => ({ iss: 'https://clerk.conformance.test', sub: SUB, jti: 'mt_0123456789abcdef0123456789abcdef',
  aud: [RECV], scopes: RECV, iat: nowS - 1, nbf: nowS - 1, exp: nowS + 300, ...extra });
const without = (obj, ...keys) => Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));

/** Cuts a token into its segments, applies `f` to them and joins with dots. */
const mutate = (token, f) => f(token.split('.')).join('.');
const flipChar = (s, i) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const idx = ((i % s.length) + s.length) % s.length;
  const c = s[idx];
  const repl = alphabet[(alphabet.indexOf(c) + 1) % 64];
  return s.slice(0, idx) + repl + s.slice(idx + 1);
};

export function buildCorpus(keys, seed = 8) {
  const rnd = prng(seed);
  const cases = [];
  const add = (family, name, make, extra = {}) => cases.push({ family, name, make, ...extra });
  const sign = (h, p, opts) => jwt(keys, h, p, opts);

  // valid: the claim shapes a receiver sees, all signed correctly.
  const claimVariants = [
    {}, { foo: 'bar' }, { nested: { a: [1, 2, { b: null }] } }, { role: 'service', permissions: ['read', 'write'] },
    { unicode: 'héllo ✓ 𝄞' }, { n: 0 }, { n: -0 }, { n: 1e21 }, { n: 123456789012345680000 }, { n: 0.1 }, { t: true }, { f: false },
    { nil: null }, { empty: {} }, { arr: [] }, { azp: 'https://app.example.com' }, { 'key with space': 1 }, { k: 'a"quote\\back' },
    { deep: { a: { b: { c: { d: { e: 1 } } } } } }, { z: 1, a: 2, m: 3 },
  ];
  // Doubles that need all 17 significant digits to round-trip (JSON.parse reads them exactly).
  const floats = [2.4294285049246057e-301, 5.594354583129251e-136, -8.198606703327877e-207, 3.1501220984269144e+265, 6.188390038995907e-73];
  floats.forEach((n, i) => add('valid', `float claim #${i}`, (now) => sign(HEADER, payload(now, { n }))));
  claimVariants.forEach((extra, i) => add('valid', `custom claims #${i}`, (n) => sign(HEADER, payload(n, extra))));
  const headerVariants = [HEADER, without(HEADER, 'kid'), without(HEADER, 'typ'), without(HEADER, 'cat'), without(HEADER, 'typ', 'cat', 'kid'),
    { ...HEADER, extra: 'x' }, { ...HEADER, crit: ['exp'] }, { ...HEADER, kid: '' }, { ...HEADER, x5t: 'abc' }, { alg: 'RS256' }];
  headerVariants.forEach((h, i) => add('valid', `header variant #${i}`, (n) => sign(h, payload(n))));
  const scopeVariants = [
    { scopes: '' }, { scopes: 'a b' }, { scopes: 'a  b' }, { scopes: ' a' }, { scopes: `${RECV} ${OTHER}` }, { scopes: null },
    { scopes: undefined, aud: [RECV, OTHER] }, { scopes: undefined, aud: [] }, { scopes: undefined, aud: undefined },
    { aud: [RECV], scopes: OTHER }, { aud: undefined }, { jti: undefined }, { iss: undefined }, { nbf: undefined }, { iat: undefined },
    { iat: undefined, nbf: undefined }, { jti: '' }, { sub: 'mch_' }, { sub: 'mch_x'.repeat(40) },
  ];
  scopeVariants.forEach((extra, i) => add('valid', `scopes/aud/optional claims #${i}`, (n) => sign(HEADER, payload(n, extra))));
  for (let i = 0; i < 12; i++) {
    const life = 1 + rnd.int(86_400);
    const age = rnd.int(4);
    add('valid', `lifetime ${life}s, issued ${age}s ago`, (n) => sign(HEADER, payload(n, { iat: n - age, nbf: n - age, exp: n + life, rnd: i })));
  }
  for (const frac of [0.5, 0.25, 0.001, 0.999, 0.1234, 0.0005, 0.9995]) {
    add('valid', `fractional exp +${frac}`, (n) => sign(HEADER, payload(n, { exp: n + 60 + frac })));
    add('valid', `fractional iat -${frac}`, (n) => sign(HEADER, payload(n, { iat: n - 10 - frac, nbf: undefined })));
  }
  for (const alg of ['RS256']) add('valid', `${alg} exp == now`, (n) => sign(HEADER, payload(n, { exp: n })));

  // expired: around the 5 s skew (exp*1000 <= now - 5000 is expired; fractions of exp are truncated).
  for (const d of [-1, -2, -3, -4, -5, -6, -7, -10, -60, -3600, -86400 * 365, 0]) {
    add('expired', `exp = now${d >= 0 ? '+' : ''}${d}`, (n) => sign(HEADER, payload(n, { exp: n + d, iat: n - 7200, nbf: n - 7200 })));
  }
  for (const d of [-4.999, -4.5, -4.001, -5.001, -5.5, -5.999, -6.5, 0.5, -0.5]) {
    add('expired', `fractional exp = now${d}`, (n) => sign(HEADER, payload(n, { exp: n + d, iat: n - 7200, nbf: n - 7200 })));
  }
  for (const exp of [0, 1, -1, -0.5, 1e9, 946684800]) add('expired', `absolute exp ${exp}`, (n) => sign(HEADER, payload(n, { exp, iat: undefined, nbf: undefined })));
  for (let i = 0; i < 8; i++) {
    const d = -(5 + rnd.int(100_000));
    add('expired', `random exp = now${d}`, (n) => sign(HEADER, payload(n, { exp: n + d, iat: undefined, nbf: undefined })));
  }
  add('expired', 'expired and nbf in the future: exp is checked first', (n) => sign(HEADER, payload(n, { exp: n - 60, nbf: n + 60, iat: n + 60 })));

  // nbf / iat in the future: inside the skew passes, outside fails (nbf*1000 > now + 5000).
  for (const claim of ['nbf', 'iat']) {
    for (const d of [1, 2, 4, 5, 6, 7, 10, 60, 3600, 4.5, 5.5, 5.999, 6.001]) {
      add('not-yet-valid', `${claim} = now+${d}`, (n) => sign(HEADER, payload(n, { [claim]: n + d, ...(claim === 'nbf' ? { iat: n } : { nbf: n }) })));
    }
  }
  add('not-yet-valid', 'nbf and iat both far ahead: nbf is checked first', (n) => sign(HEADER, payload(n, { nbf: n + 600, iat: n + 900 })));
  add('not-yet-valid', 'nbf = 1e12 (year 33658)', (n) => sign(HEADER, payload(n, { nbf: 1e12 })));

  // cat: absent passes, M2M passes, anything else is E1 (checked before the key and the signature).
  const cats = [['absent', undefined], ['m2m', CAT_M2M], ['session', CAT_SESSION], ['template', CAT_TEMPLATE], ['ignore', CAT_IGNORE],
    ['null', null], ['number', 3], ['zero', 0], ['empty', ''], ['lowercase m2m', CAT_M2M.toLowerCase()], ['array', [CAT_M2M]],
    ['object', { cat: CAT_M2M }], ['m2m with space', `${CAT_M2M} `], ['true', true]];
  for (const [label, cat] of cats) {
    const h = cat === undefined ? without(HEADER, 'cat') : { ...HEADER, cat };
    add('cat', `cat ${label}`, (n) => sign(h, payload(n)));
    add('cat', `cat ${label}, bad signature`, (n) => mutate(sign(h, payload(n)), ([a, b, c]) => [a, b, flipChar(c, 7)]));
    add('cat', `cat ${label}, expired`, (n) => sign(h, payload(n, { exp: n - 3600 })));
  }

  // typ: absent or exactly "JWT".
  for (const [label, typ] of [['absent', undefined], ['JWT', 'JWT'], ['jwt', 'jwt'], ['at+jwt', 'at+jwt'], ['application/at+jwt', 'application/at+jwt'],
    ['empty', ''], ['number', 1], ['null', null], ['JOSE', 'JOSE'], ['array', ['JWT']], ['JWT ', 'JWT '], ['object', {}]]) {
    const h = typ === undefined ? without(HEADER, 'typ') : { ...HEADER, typ };
    add('typ', `typ ${label}`, (n) => sign(h, payload(n)));
    add('typ', `typ ${label}, alg HS256`, (n) => sign({ ...h, alg: 'HS256' }, payload(n), { signAs: 'HS256-pem' }));
  }

  // alg: only RS256/384/512 with PKCS#1 v1.5; the PEM key is RS256-only.
  const algCases = [
    ['none, empty signature', { ...HEADER, alg: 'none' }, 'none'],
    ['none, signature "AA"', { ...HEADER, alg: 'none' }, 'none', 'AA'],
    ['HS256 keyed with the public PEM', { ...HEADER, alg: 'HS256' }, 'HS256-pem'],
    ['HS256 keyed with the PEM, typ absent', { alg: 'HS256' }, 'HS256-pem'],
    ['ES256 (real P-256 signature)', { ...HEADER, alg: 'ES256' }, 'ES256'],
    ['PS256 (real RSA-PSS signature)', { ...HEADER, alg: 'PS256' }, 'PS256'],
    ['PS512 header, PSS-256 signature', { ...HEADER, alg: 'PS512' }, 'PS256'],
    ['RS384 signed with the RS256 key', { ...HEADER, alg: 'RS384' }, 'RS384'],
    ['RS512 signed with the RS256 key', { ...HEADER, alg: 'RS512' }, 'RS512'],
    ['RS384 header, RS256 signature', { ...HEADER, alg: 'RS384' }, 'RS256'],
    ['RS256 header, RS512 signature', HEADER, 'RS512'],
    ['RS256 header, PSS signature', HEADER, 'PS256'],
    ['alg missing', without(HEADER, 'alg'), 'RS256'],
    ['alg empty', { ...HEADER, alg: '' }, 'RS256'],
    ['alg rs256', { ...HEADER, alg: 'rs256' }, 'RS256'],
    ['alg null', { ...HEADER, alg: null }, 'RS256'],
    ['alg number', { ...HEADER, alg: 256 }, 'RS256'],
    ['alg array', { ...HEADER, alg: ['RS256'] }, 'RS256'],
    ['alg "RS256 "', { ...HEADER, alg: 'RS256 ' }, 'RS256'],
    ['alg EdDSA', { ...HEADER, alg: 'EdDSA' }, 'RS256'],
    ['RS256 signed with another RSA key', HEADER, 'RS256', undefined, 'rsa2'],
    ['RS384 signed with another RSA key', { ...HEADER, alg: 'RS384' }, 'RS384', undefined, 'rsa2'],
  ];
  for (const [label, h, signAs, rawSig, key] of algCases) {
    for (const variant of ['', ' (expired)', ' (cat session)']) {
      const hh = variant === ' (cat session)' ? { ...h, cat: CAT_SESSION } : h;
      add('alg', `${label}${variant}`, (n) => {
        const t = sign(hh, payload(n, variant === ' (expired)' ? { exp: n - 60 } : {}), { signAs, key });
        return rawSig === undefined ? t : mutate(t, ([a, b]) => [a, b, rawSig]);
      });
    }
  }

  // tampered bytes: header/payload/signature changed after signing (re-encoded JSON, or flipped characters).
  const tamperHeader = [{ ...HEADER, kid: 'ins_other' }, { ...HEADER, extra: 1 }, { ...HEADER, typ: undefined }, without(HEADER, 'cat')];
  tamperHeader.forEach((h, i) => add('tampered', `header re-encoded #${i}`, (n) => mutate(sign(HEADER, payload(n)), ([, b, c]) => [seg(h), b, c])));
  const tamperPayload = [{ exp: 9_999_999_999 }, { scopes: `${RECV} ${OTHER}` }, { sub: 'mch_attacker' }, { aud: [OTHER] }, { extra: true }, { iat: 1 }];
  tamperPayload.forEach((extra, i) => add('tampered', `payload re-encoded #${i}`, (n) => mutate(sign(HEADER, payload(n)), ([a, , c]) => [a, seg(payload(n, extra)), c])));
  for (const pos of [0, 5, 20, -3]) add('tampered', `header char ${pos} flipped`, (n) => mutate(sign(HEADER, payload(n)), ([a, b, c]) => [flipChar(a, pos), b, c]));
  for (const pos of [0, 3, 40, 77, -4]) add('tampered', `payload char ${pos} flipped`, (n) => mutate(sign(HEADER, payload(n)), ([a, b, c]) => [a, flipChar(b, pos), c]));
  for (const pos of [0, 1, 100, 200, 300, -2, -1]) add('tampered', `signature char ${pos} flipped`, (n) => mutate(sign(HEADER, payload(n)), ([a, b, c]) => [a, b, flipChar(c, pos)]));
  for (let i = 0; i < 8; i++) {
    const pos = rnd.int(340);
    add('tampered', `signature random char ${pos} flipped`, (n) => mutate(sign(HEADER, payload(n)), ([a, b, c]) => [a, b, flipChar(c, pos)]));
  }
  add('tampered', 'signature truncated by 4 chars', (n) => mutate(sign(HEADER, payload(n)), ([a, b, c]) => [a, b, c.slice(0, -4)]));
  add('tampered', 'signature doubled', (n) => mutate(sign(HEADER, payload(n)), ([a, b, c]) => [a, b, c + c]));
  add('tampered', 'signature all zero bytes', (n) => mutate(sign(HEADER, payload(n)), ([a, b]) => [a, b, b64u(Buffer.alloc(256))]));
  add('tampered', 'signature of 1 byte', (n) => mutate(sign(HEADER, payload(n)), ([a, b]) => [a, b, 'AA']));
  add('tampered', 'signature of another token', (n) => {
    const other = sign(HEADER, payload(n, { other: 1 }));
    return mutate(sign(HEADER, payload(n)), ([a, b]) => [a, b, other.split('.')[2]]);
  });
  add('tampered', 'header and payload swapped', (n) => mutate(sign(HEADER, payload(n)), ([a, b, c]) => [b, a, c]));
  add('tampered', 'signature = modulus bytes', () => `${seg(HEADER)}.${seg(payload(1e9))}.${keys.rsa.publicKey.export({ format: 'jwk' }).n}`);

  // sub: only a string starting `mch_` is verified locally; everything else goes to the Backend API (both).
  const subs = [['user_', 'user_2abc'], ['empty', ''], ['MCH_ upper', 'MCH_1'], ['mch without _', 'mch1'], ['number', 42], ['null', null],
    ['array', ['mch_1']], ['object', { id: 'mch_1' }], ['true', true], [' mch_ (leading space)', ' mch_1'], ['mt_', 'mt_1'], ['oat_', 'oat_1']];
  for (const [label, sub] of subs) {
    add('sub-routing', `sub ${label}`, (n) => sign(HEADER, payload(n, { sub })));
    add('sub-routing', `sub ${label}, typ at+jwt`, (n) => sign({ ...HEADER, typ: 'at+jwt' }, payload(n, { sub })));
  }
  add('sub-routing', 'sub missing', (n) => sign(HEADER, without(payload(n), 'sub')));
  add('sub-routing', 'sub missing, bad signature', (n) => mutate(sign(HEADER, without(payload(n), 'sub')), ([a, b, c]) => [a, b, flipChar(c, 9)]));

  // encoding: what the JWT regex and the base64url/JSON decoding accept.
  const good = (n) => sign(HEADER, payload(n));
  const encodings = [
    ['trailing = on the signature', (t) => `${t}=`],
    ['== on the header', (t) => mutate(t, ([a, b, c]) => [`${a}==`, b, c])],
    ['standard-base64 padded header', (t) => mutate(t, ([a, b, c]) => [Buffer.from(a, 'base64url').toString('base64'), b, c])],
    ['leading space', (t) => ` ${t}`],
    ['trailing space', (t) => `${t} `],
    ['trailing newline', (t) => `${t}\n`],
    ['space inside the payload', (t) => mutate(t, ([a, b, c]) => [a, `${b.slice(0, 10)} ${b.slice(10)}`, c])],
    ['tab inside the signature', (t) => mutate(t, ([a, b, c]) => [a, b, `${c.slice(0, 10)}\t${c.slice(10)}`])],
    ['four segments', (t) => `${t}.AAAA`],
    ['four segments, empty last', (t) => `${t}.`],
    ['two segments', (t) => t.split('.').slice(0, 2).join('.')],
    ['leading dot', (t) => `.${t}`],
    ['double dot', (t) => t.replace('.', '..')],
    ['empty header segment', (t) => mutate(t, ([, b, c]) => ['', b, c])],
    ['+ and / (standard base64) in signature', (t) => mutate(t, ([a, b, c]) => [a, b, c.replace(/-/g, '+').replace(/_/g, '/')])],
    ['header length 1 mod 4', (t) => mutate(t, ([a, b, c]) => [`${a}${a.length % 4 === 0 ? 'A' : a.length % 4 === 1 ? '' : a.length % 4 === 2 ? 'AAA' : 'AA'}`, b, c])],
    ['signature length 1 mod 4', (t) => mutate(t, ([a, b, c]) => [a, b, c.length % 4 === 2 ? `${c}AAA` : `${c}A`])],
    ['non-zero trailing bits in the signature', (t) => mutate(t, ([a, b, c]) => [a, b, c.slice(0, -1) + (c.at(-1) === 'B' ? 'C' : 'B')])],
    ['non-ASCII in the signature', (t) => mutate(t, ([a, b, c]) => [a, b, `${c.slice(0, 5)}é${c.slice(5)}`])],
    ['percent-encoded dot', (t) => t.replace('.', '%2E')],
    ['header not JSON', (t) => mutate(t, ([, b, c]) => [seg('{"alg":"RS256"'), b, c])],
    ['payload not JSON', (t) => mutate(t, ([a, , c]) => [a, seg('{"sub":"mch_1",'), c])],
    ['payload with trailing garbage', (t) => mutate(t, ([a, , c]) => [a, seg('{"sub":"mch_1","exp":9999999999}x'), c])],
    ['payload is invalid UTF-8', (t) => mutate(t, ([a, , c]) => [a, b64u(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), c])],
    ['payload with a BOM', (t) => mutate(t, ([a, , c]) => [a, b64u(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"sub":"mch_1","exp":9999999999}')])), c])],
    ['payload with duplicate sub (mch_ wins last)', (t) => mutate(t, ([a, , c]) => [a, seg('{"sub":"user_1","sub":"mch_1","exp":9999999999}'), c])],
    ['payload with duplicate sub (user_ wins last)', (t) => mutate(t, ([a, , c]) => [a, seg('{"sub":"mch_1","sub":"user_1","exp":9999999999}'), c])],
    ['lone surrogate escape in payload', (t) => mutate(t, ([a, , c]) => [a, seg('{"sub":"mch_1","x":"\\ud800","exp":9999999999}'), c])],
    ['just dots', () => '..'],
    ['empty-ish: "a.b.c"', () => 'a.b.c'],
    ['opaque-looking mt_ with dots', () => 'mt_a.b.c'],
  ];
  for (const [label, f] of encodings) add('encoding', label, (n) => f(good(n)));
  // Well-formed, re-signed tokens whose JSON text is unusual but valid.
  const rawPayloads = [
    ['whitespace-padded JSON', (n) => ` { "sub" : "mch_1" , "exp" : ${n + 60} } `],
    ['escaped sub', (n) => `{"sub":"\\u006dch_1","exp":${n + 60}}`],
    ['exp as 1e10 literal', () => '{"sub":"mch_1","exp":1e10}'],
    ['exp as 9999999999.0', () => '{"sub":"mch_1","exp":9999999999.0}'],
    ['exp with exponent fraction', (n) => `{"sub":"mch_1","exp":${n + 60}.5e0}`],
    ['very long number', () => `{"sub":"mch_1","exp":9999999999${'0'.repeat(300)}}`],
    ['deeply nested claim (64 levels)', (n) => `{"sub":"mch_1","exp":${n + 60},"d":${'['.repeat(64)}${']'.repeat(64)}}`],
    ['UTF-8 BOM before the JSON', (n) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"sub":"mch_1","exp":${n + 60}}`)])],
    ['invalid UTF-8 inside a claim string', (n) => Buffer.concat([Buffer.from('{"sub":"mch_1","x":"'), Buffer.from([0xff]), Buffer.from(`","exp":${n + 60}}`)])],
    ['lone surrogate escape in a claim', (n) => `{"sub":"mch_1","x":"\\udc00","exp":${n + 60}}`],
    ['exp overflowing to Infinity', () => `{"sub":"mch_1","exp":1e400}`],
  ];
  for (const [label, p] of rawPayloads) add('encoding', `re-signed: ${label}`, (n) => sign(HEADER, p(n)));
  add('encoding', 're-signed: UTF-8 BOM before the header JSON', (n) => sign(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(HEADER))]), payload(n), { signAs: 'RS256' }));

  // JSON scalars (and arrays) as header or payload, correctly signed.
  for (const [label, raw] of [['number', '42'], ['string', '"mch_1"'], ['null', 'null'], ['true', 'true'], ['array', '[]'], ['array of header', `[${JSON.stringify(HEADER)}]`]]) {
    add('json-scalars', `header ${label}`, (n) => sign(raw, payload(n), { signAs: 'RS256' }));
    add('json-scalars', `payload ${label}`, () => sign(HEADER, raw));
  }

  // very large tokens: 100 KB claims, long strings, many keys.
  for (const [label, extra] of [
    ['100 KB string claim', { blob: 'x'.repeat(100 * 1024) }],
    ['100 KB of 1000 keys', Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'v'.repeat(100)]))],
    ['100 KB scopes string (4000 entries)', { scopes: Array.from({ length: 4000 }, (_, i) => `mch_${String(i).padStart(20, '0')}`).join(' ') }],
    ['100 KB aud array', { scopes: undefined, aud: Array.from({ length: 4000 }, (_, i) => `mch_${String(i).padStart(20, '0')}`) }],
    ['100 KB unicode claim', { blob: '✓'.repeat(34 * 1024) }],
  ]) {
    add('large', label, (n) => sign(HEADER, payload(n, extra)));
    add('large', `${label}, bad signature`, (n) => mutate(sign(HEADER, payload(n, extra)), ([a, b, c]) => [a, b, flipChar(c, 11)]));
    add('large', `${label}, expired`, (n) => sign(HEADER, payload(n, { ...extra, exp: n - 600 })));
  }
  add('large', '100 KB header', (n) => sign({ ...HEADER, pad: 'y'.repeat(100 * 1024) }, payload(n)));

  // claims of unexpected types.
  const typed = [
    ['exp string', (n) => ({ exp: String(n + 60) })], ['exp null', () => ({ exp: null })], ['exp object', () => ({ exp: { v: 1 } })],
    ['exp array', (n) => ({ exp: [n + 60] })], ['exp true', () => ({ exp: true })], ['exp missing', () => ({ exp: undefined })],
    ['exp empty string', () => ({ exp: '' })],
    ['nbf string', (n) => ({ nbf: String(n) })], ['nbf null', () => ({ nbf: null })], ['nbf object', () => ({ nbf: {} })], ['nbf false', () => ({ nbf: false })],
    ['iat string', (n) => ({ iat: String(n) })], ['iat null', () => ({ iat: null })], ['iat array', () => ({ iat: [] })], ['iat true', () => ({ iat: true })],
    ['scopes array', () => ({ scopes: ['a', 'b'] })], ['scopes number', () => ({ scopes: 7 })], ['scopes 0', () => ({ scopes: 0 })],
    ['scopes false', () => ({ scopes: false })], ['scopes true', () => ({ scopes: true })], ['scopes object', () => ({ scopes: { a: 1 } })],
    ['scopes empty array', () => ({ scopes: [] })],
    ['aud string', () => ({ scopes: undefined, aud: 'mch_b' })], ['aud empty string', () => ({ scopes: undefined, aud: '' })],
    ['aud number', () => ({ scopes: undefined, aud: 5 })], ['aud 0', () => ({ scopes: undefined, aud: 0 })],
    ['aud null', () => ({ scopes: undefined, aud: null })], ['aud object', () => ({ scopes: undefined, aud: { a: 'mch_b' } })],
    ['aud true', () => ({ scopes: undefined, aud: true })], ['aud false', () => ({ scopes: undefined, aud: false })],
    ['aud array of mixed', () => ({ scopes: undefined, aud: ['mch_b', 1, null, 'mch_c', {}, ['x'], true] })],
    ['aud array of numbers', () => ({ scopes: undefined, aud: [1, 2] })], ['aud array with empty string', () => ({ scopes: undefined, aud: ['', 'mch_b'] })],
    ['aud mixed, scopes string', () => ({ scopes: 'mch_b', aud: ['mch_b', 2] })],
    ['jti number', () => ({ jti: 42 })], ['jti null', () => ({ jti: null })], ['jti object', () => ({ jti: { id: 'mt_1' } })],
    ['iss number', () => ({ iss: 1 })], ['azp number', () => ({ azp: 1 })],
    ['exp -0', () => ({ exp: -0 })], ['exp NaN-like string', () => ({ exp: 'NaN' })],
  ];
  for (const [label, f] of typed) {
    add('claim-types', label, (n) => sign(HEADER, payload(n, f(n))));
    add('claim-types', `${label}, iat missing`, (n) => sign(HEADER, payload(n, { iat: undefined, ...f(n) })));
  }

  // times outside the JS Date range (±8.64e15 ms).
  for (const [label, extra] of [['exp 1e20', { exp: 1e20 }], ['exp -1e20', { exp: -1e20 }], ['exp 8.64e12 (last Date second)', { exp: 8.64e12 }],
    ['exp 8.64e12+1', { exp: 8.64e12 + 1 }], ['nbf 1e20', { nbf: 1e20 }], ['nbf -1e20', { nbf: -1e20 }], ['iat 1e20', { iat: 1e20 }],
    ['iat -1e20', { iat: -1e20 }], ['exp 1e300', { exp: 1e300 }], ['exp 9.3e15 (beyond 2^63 ms)', { exp: 9.3e15 }],
    ['iat 9.3e15', { iat: 9.3e15 }], ['iat -9.3e15', { iat: -9.3e15 }]]) {
    add('time-range', label, (n) => sign(HEADER, payload(n, extra)));
  }

  // a 3072-bit jwtKey: the reference strips a fixed 2048-bit prefix, so these fail E11 there.
  const k3072 = [['valid', {}], ['expired', { exp: 1e9 }], ['scopes array', { scopes: ['a'] }], ['cat absent', {}, without(HEADER, 'cat')],
    ['typ absent', {}, without(HEADER, 'typ')], ['custom claims', { role: 'x', n: [1, 2] }], ['iat missing', { iat: undefined }]];
  for (const [label, extra, h = HEADER] of k3072) {
    add('key-3072', label, (n) => sign(h, payload(n, extra), { key: 'rsa3072' }), { key: 'rsa3072', twin: (n) => sign(h, payload(n, extra)) });
  }
  add('key-3072', 'token signed with the 2048-bit key', (n) => sign(HEADER, payload(n)), { key: 'rsa3072' });
  add('key-3072', 'RS384 with the 3072-bit key', (n) => sign({ ...HEADER, alg: 'RS384' }, payload(n), { key: 'rsa3072' }), { key: 'rsa3072' });
  add('key-3072', 'tampered signature', (n) => mutate(sign(HEADER, payload(n), { key: 'rsa3072' }), ([a, b, c]) => [a, b, flipChar(c, 20)]), { key: 'rsa3072' });

  // audience (receiver-side: reference verifyMachineAuthToken, ours m2m.verify({ audience })).
  const audCases = [
    ['array aud containing it', [RECV], { aud: [RECV] }], ['array aud not containing it', [RECV], { aud: [OTHER] }],
    ['string aud equal', RECV, { aud: RECV }], ['string aud different', RECV, { aud: OTHER }],
    ['aud missing', RECV, { aud: undefined }], ['aud empty array', RECV, { aud: [] }], ['aud empty string', RECV, { aud: '' }],
    ['aud [""]', RECV, { aud: [''] }], ['aud null', RECV, { aud: null }], ['aud number', RECV, { aud: 5 }],
    ['aud array of mixed containing it', RECV, { aud: [1, RECV] }], ['two audiences, one matches', [OTHER, RECV], { aud: [RECV] }],
    ['audience "" (check off)', '', { aud: [OTHER] }], ['audience [] (check off)', [], { aud: [OTHER] }],
    ['audience [""] (check off)', [''], { aud: undefined }], ['aud missing, audience two ids', [OTHER, RECV], { aud: undefined }],
    ['audience matches, token expired', RECV, { aud: [RECV], exp: 1e9 }], ['audience mismatches, token expired', RECV, { aud: [OTHER], exp: 1e9 }],
    ['audience mismatches, bad signature', RECV, { aud: [OTHER] }, true], ['aud object', RECV, { aud: { a: RECV } }],
    ['aud array of numbers', RECV, { aud: [1, 2] }], ['aud ["", it]', RECV, { aud: ['', RECV] }], ['aud true', RECV, { aud: true }],
    ['aud missing, token expired', RECV, { aud: undefined, exp: 1e9 }],
  ];
  for (const [label, audience, extra, badSig] of audCases) {
    add('audience', label, (n) => {
      const t = sign(HEADER, payload(n, extra));
      return badSig ? mutate(t, ([a, b, c]) => [a, b, flipChar(c, 30)]) : t;
    }, { audience });
  }
  return cases;
}

export { HEADER, payload, SUB, RECV, OTHER };
