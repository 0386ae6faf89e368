// docs/benchmarks.md: generated tables above the analysis marker, the hand-written analysis below it (kept).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { median, summary } from './stats.mjs';

export const MARKER = '<!-- ANALYSIS: hand-written below this line; scripts/bench rewrites everything above it and keeps the rest -->';

const LABEL = {
  'ours-jwtKey': 'clerk-m2m-edge, `jwtKey` (default options)',
  'ours-jwks': 'clerk-m2m-edge, `secretKey` + JWKS (default options)',
  'ours-jwtKey-nocache': 'clerk-m2m-edge, `jwtKey`, token cache off',
  'ours-jwks-nocache': 'clerk-m2m-edge, `secretKey` + JWKS, token cache off',
  'ours-cached': 'clerk-m2m-edge, `jwtKey` (default options: verified-token cache)',
  'clerk-jwtKey': '@clerk/backend, `jwtKey`',
  'clerk-jwks': '@clerk/backend, `secretKey` + JWKS',
  'jose-spki': 'jose `jwtVerify` + `importSPKI` once',
  'jose-jwks': 'jose `jwtVerify` + `createLocalJWKSet`',
  floor: 'floor: `crypto.subtle.verify`, reused CryptoKey',
  'node-crypto': 'reference: `node:crypto` verify (sync), reused KeyObject',
  'ours-nocrypto': 'breakdown: clerk-m2m-edge `jwtKey` (default options) with `subtle.verify` stubbed',
  'ours-nocrypto-nocache': 'breakdown: clerk-m2m-edge `jwtKey`, token cache off, with `subtle.verify` stubbed',
  'jose-nocrypto': 'breakdown: jose `importSPKI` + `jwtVerify` with `subtle.verify` stubbed',
};
const BREAKDOWN_ONLY = new Set(['ours-nocrypto', 'ours-nocrypto-nocache', 'jose-nocrypto']);
const label = (k) => LABEL[k] ?? k;
const clerkRef = (k) => (k.includes('jwks') ? 'clerk-jwks' : 'clerk-jwtKey');
/** The per-verify rows of lanes 1 and 2. */
const PER_VERIFY = ['ours-jwtKey', 'ours-jwks', 'ours-jwtKey-nocache', 'ours-jwks-nocache', 'clerk-jwtKey', 'clerk-jwks', 'jose-spki', 'jose-jwks', 'floor'];
const MIXED = ['ours-jwtKey', 'jose-spki', 'clerk-jwtKey', 'floor'];
const PROBE = [
  'clerk-m2m-edge `jwtKey` (default options), new tokens: cache misses', '… the same tokens again right after (4 times over): cache hits',
  'clerk-m2m-edge `jwtKey` (default options) in the distinct-token lanes above', 'the cache\'s cost on a miss: default options − token cache off',
];

const COLD = {
  bare: 'bare `node` process (prints only)', ours: 'Node + clerk-m2m-edge', clerk: 'Node + @clerk/backend', jose: 'Node + jose',
  'app-empty': 'empty Worker (imports nothing)', 'app-ours': 'Worker with clerk-m2m-edge', 'app-clerk': 'Worker with @clerk/backend',
  'app-jose': 'Worker with jose (verify only)',
};
const SIZE = {
  ours: 'Minimal Worker, clerk-m2m-edge (JS + .wasm)', oursJs: '… of which JS', oursWasm: '… of which .wasm',
  clerk: 'Minimal Worker, @clerk/backend', jose: 'jose, verify only (reference)',
};
const JWKS = [
  'Node, 50 concurrent cold verifications', 'Node, 100 unknown kids', 'workerd, 50 concurrent cold verifications in one request',
  'workerd, 100 unknown kids in one request', 'workerd, 50 concurrent cold requests',
];
const BREAKDOWN = [
  'clerk-m2m-edge `jwtKey` (default options), µs/verify', 'floor, µs/verify', 'difference: what the package adds to the floor, µs',
  `${LABEL['ours-nocrypto']}, µs/verify`, `${LABEL['ours-nocrypto-nocache']}, µs/verify`,
  `${LABEL['jose-nocrypto']}, µs/verify`, 'stubbed: clerk-m2m-edge `jwtKey` (default options) ÷ jose (everything but the RSA check)',
  'one empty exported call (`version()`: one crossing, a 5-byte string back), µs',
];
// Issue 19's targets first (every per-verify number in the default configuration), then the earlier ones still held.
const TARGETS = [
  'Warm verify in workerd ≤ jose (`importSPKI`), distinct tokens', 'Warm verify in workerd ≤ jose (`importSPKI`), 50/50 repeated/distinct mix',
  'Warm verify in Node ≤ jose (`importSPKI`), sequential', 'Warm verify in Node ≤ jose (`importSPKI`), 64 in flight',
  'Verified-token cache costs ≤ 1 µs on a miss (default − cache off)',
  'Repeated-token verify ≥ 20× faster than @clerk/backend (Node)', 'Repeated-token verify ≥ 20× faster than @clerk/backend (workerd)',
  'Cold: new isolate → first verified response ≤ +10 ms over an empty Worker (`jwtKey`)', 'Minimal Worker gzip ≤ 64 KB',
  'Exactly 1 JWKS request for 50 concurrent cold verifications',
  'Warm verify in workerd ≤ 1.3× the floor', 'Warm verify in Node ≤ 1.2× the floor', 'Worker gzip size ≤ @clerk/backend',
  'Global-scope evaluation + instantiation ≤ ¼ of @clerk/backend (workerd)', 'Global-scope evaluation + instantiation ≤ ¼ of @clerk/backend (Node import)',
];

/** First-column labels of the table rows every complete report has (tests/node/bench-smoke.test.mjs checks them). */
export const EXPECTED_ROWS = [
  ...new Set([...Object.entries(LABEL).filter(([k]) => !BREAKDOWN_ONLY.has(k)).map(([, v]) => v), ...Object.values(COLD), ...Object.values(SIZE), ...JWKS, ...BREAKDOWN,
    ...PROBE, ...TARGETS, '`m2m.list`', '`m2m.createToken`']),
];
export { TARGETS };

// ------------------------------------------------------------------------------------------------ formatting
const num = (x, d = 1) => (x === undefined || Number.isNaN(x) ? 'n/a' : x >= 1000 && d <= 1 ? Math.round(x).toLocaleString('en-US') : x.toFixed(d));
const sig = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : x >= 100 ? num(x, 0) : x >= 10 ? num(x, 1) : x >= 1 ? num(x, 2) : num(x, 3));
const range = (xs, f = sig) => {
  if (!xs?.length) return 'n/a';
  const s = summary(xs);
  return xs.length === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
};
/** Median over rounds of the per-round ratio a[r] / b[r] (both measured in the same round). */
const ratio = (a, b) => (a?.length && b?.length === a.length ? median(a.map((x, i) => x / b[i])) : undefined);
const times = (x) => (x === undefined ? 'n/a' : `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const table = (head, rows, { left = false } = {}) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i && !left ? '---:' : '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const failed = (errors, lane) => (errors[lane] ? `\n**Lane failed:** \`${errors[lane].split('\n')[0].slice(0, 300)}\`\n` : '');

// ------------------------------------------------------------------------------------------------ sections
function header({ env, P, smoke, tokenInfo, elapsedS }) {
  return `# Benchmarks

Generated by \`scripts/bench\` (\`benches/run.mjs\`${smoke ? ' --smoke: tiny N, one round; the numbers mean nothing' : ''}) on ${env.date},
in ${elapsedS.toFixed(0)} s. Everything above the analysis marker is rewritten by each run. The machine is shared: compare the
**ratios** (each taken within one run, per round, contenders interleaved and their order rotated every round), not absolute times.

## Machine and versions

${table(['', ''], [
    ['CPU', `${env.cpu}, ${env.nproc} cores (\`nproc\`)`],
    ['Memory', `${env.memGiB} GiB`],
    ['Load average (1, 5, 15 min) at start', `${env.load} (other engineers' builds and fuzzers share the cores)`],
    ['Node', env.node],
    ['workerd', `${env.workerd} (npm workerd ${env.versions.workerd}, via miniflare ${env.versions.miniflare})`],
    ['clerk-m2m-edge', `${env.versions['clerk-m2m-edge']} (git ${env.git}; pkg/ .wasm ${env.wasm.bytes} bytes, sha256 ${env.wasm.sha256}…, built ${env.wasm.built})`],
    ['@clerk/backend', env.versions['@clerk/backend']],
    ['jose', env.versions.jose],
    ['esbuild / wrangler', `${env.versions.esbuild} / ${env.versions.wrangler}`],
    ['rustc', env.rustc],
  ], { left: true })}

**Tokens:** ${tokenInfo.count} distinct RS256 M2M JWTs (2048-bit key) minted by the local Backend API
(\`POST /m2m_tokens {"token_format":"jwt","seconds_until_expiration":3600}\`), ${tokenInfo.bytes} bytes each (header \`alg, typ, kid, cat\`;
payload \`aud, exp, iat, iss, jti, nbf, scopes, sub\`). Every contender instance walks through them with a cursor of its own that
only moves forward (across lanes and rounds), so it sees a token again only after ${tokenInfo.count} of its verifications: more than
the verified-token cache holds by default (1000), so the per-verify lanes measure new tokens, cache misses, as a user's
stream of distinct tokens would. The cache probe in lane 3 checks this. Token 0 is the repeated token (lane 3 and the mix).

**Contenders**, all in the configuration a user gets. clerk-m2m-edge is the packed \`pkg/\` installed into a scratch project
(\`npm pack\`), as users get it, with **default options** (verified-token cache on, default size); the rows labelled
"token cache off" set \`verifiedTokenCacheSize: 0\` and are there for comparison only.
\`jwtKey\` = the PEM public key (networkless); \`secretKey\` + JWKS = the instance key and \`apiUrl\` of the local Backend API (the JWKS
is fetched once, then cached by both libraries). @clerk/backend: \`createClerkClient\` with default options.
jose \`importSPKI\` = \`importSPKI(pem, 'RS256')\` once, then \`jwtVerify(token, key, { algorithms: ['RS256'] })\`: jose at its
fastest, the reference of issue 19's targets. jose \`createLocalJWKSet\` = \`jwtVerify(token, createLocalJWKSet(jwks), …)\`, a
key-set lookup on every call (the earlier reference).
The floor = \`crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, sig, data)\` with one imported CryptoKey, plus splitting the token,
\`TextEncoder\` on the signed part and a table base64url decode of the signature: the least any WebCrypto verifier must do.
Workers are bundled with esbuild ${env.versions.esbuild} as wrangler does (conditions \`workerd, worker, browser\`; \`.wasm\` as a
separate module; \`process.env.NODE_ENV\` = \`"production"\`), minified, and run in workerd through miniflare.

**Parameters:** Node: ${P.node.rounds} rounds of N = ${P.node.n} sequential verifications per contender (plus one unrecorded
warm-up round), ${P.node.concurrentN} verifications with ${P.node.inflight} in flight, ${P.node.repeatedN} repeated-token verifications,
N for the 50/50 mix, ${P.node.probeN} for the cache probe.
workerd: ${P.workerd.rounds} rounds of N = ${P.workerd.n} (repeated token: ${P.workerd.repeatedN}; mix: N; cache probe: ${P.workerd.probeN}).
Cold start: ${P.cold.rounds} rounds.
Cells read *median (min–max over rounds)*; a ratio is the median over rounds of the per-round ratio.
`;
}

function verifyTable(res, unit, { higherIsBetter = false, names }) {
  const floor = res.floor, jose = res['jose-spki'];
  // For a rate (higher is better) the ratios are of times too: the reference's rate ÷ the contender's.
  const tr = (a, b) => (higherIsBetter ? ratio(b, a) : ratio(a, b));
  const rows = names.filter((k) => res[k]).map((k) => {
    const ref = res[clerkRef(k)];
    return [label(k), range(res[k]), k.startsWith('clerk') ? '1' : times(tr(res[k], ref)), k === 'jose-spki' ? '1' : times(tr(res[k], jose)),
      k === 'floor' ? '1' : times(tr(res[k], floor))];
  });
  const dir = higherIsBetter ? '(higher is better)' : '(lower is better)';
  const of = higherIsBetter ? 'time ratio ' : '';
  return table(['contender', `${unit} ${dir}`, `${of}÷ @clerk/backend (same key source)`, `${of}÷ jose \`importSPKI\``, `${of}÷ floor`], rows);
}

function laneNode(r, errors) {
  const seqNames = [...PER_VERIFY, 'node-crypto'];
  return `## 1. Node ${process.version}: warm verification, distinct tokens

Sequential (\`await\` one after another), µs per verification; the loop's own cost (an empty \`await\`) is
${r ? sig(median(r.empty)) : 'n/a'} µs and is not subtracted. A contender sees a token again only after ${r?.tokens ?? 'n/a'} of its
verifications (see Tokens).

${r ? verifyTable(r.sequential, 'µs/verify', { names: seqNames }) : ''}

64 in flight, verifications per second (Node's WebCrypto runs RSA on its thread pool: up to 2 cores here). The ratios
are of times per verification (the reference's rate ÷ the contender's), so below 1 is faster, as above.

${r ? verifyTable(r.concurrent, 'verifications/s', { higherIsBetter: true, names: PER_VERIFY }) : ''}
`;
}

function laneWorkerd(r, errors) {
  return `## 2. workerd: warm verification, distinct tokens, timed from outside the isolate

Per verification = (time of a request doing N verifications − time of a request running the same loop with an empty
\`await\`) / N, both measured from Node around \`fetch\` to the Worker; median over rounds. workerd's clocks do not
advance while JavaScript runs, so inside timing is not possible. One workerd process, one Worker (isolate) per library.
${failed(errors, 'workerd')}
${r ? verifyTable(r.sequential, 'µs/verify', { names: PER_VERIFY }) : ''}
${r ? `\nThe empty request itself took ${range(r.empty)} ms (the dispatch round trip plus N empty awaits).` : ''}
`;
}

function laneRepeated(node, wd, errors, P) {
  const names = ['ours-cached', 'clerk-jwtKey', 'jose-spki', 'floor'];
  const speedup = (res, k) => (res ? times(ratio(res['clerk-jwtKey'], res[k])) : 'n/a');
  const joseOf = (res, k) => (res?.[k] ? (k === 'jose-spki' ? '1' : times(ratio(res[k], res['jose-spki']))) : 'n/a');
  const probe = (r) => r?.probe?.miss?.length ? r.probe : undefined;
  const diff = (a, b) => (a?.length && b?.length === a.length ? median(a.map((x, i) => x - b[i])) : undefined);
  const missCost = (r) => diff(r?.sequential['ours-jwtKey'], r?.sequential['ours-jwtKey-nocache']);
  const verdict = (r) => {
    const p = probe(r), lane = r?.sequential['ours-jwtKey'];
    if (!p || !lane) return 'n/a';
    if (r.tokens <= 1000) return `n/a: ${r.tokens} tokens, fewer than the cache holds (smoke run)`;
    const [l, hit, miss] = [median(lane), median(p.hit), median(p.miss)];
    // Nearer the probe's miss time than its hit time: misses.
    const misses = l >= (hit + miss) / 2;
    return `${times(l / hit)} the hit time, ${times(l / miss)} the miss time: ${misses ? 'misses, as intended' : '**looks like cache hits: the lane is wrong**'}`;
  };
  return `## 3. Repeated verification of the same token, and the 50/50 mix

The same token verified again and again: our verified-token cache (default options, \`jwtKey\`) against the others, which
have no such cache. Speed-up = @clerk/backend's time ÷ the contender's time (higher is better).
${failed(errors, 'node')}${failed(errors, 'workerd')}
${table(['contender', 'Node µs/verify', 'Node speed-up vs @clerk/backend', 'workerd µs/verify', 'workerd speed-up vs @clerk/backend'],
    names.map((k) => [label(k), range(node?.repeated[k]), speedup(node?.repeated, k), range(wd?.repeated[k]), speedup(wd?.repeated, k)]))}

**50/50 mix**: N sequential verifications alternating the repeated token and a distinct one (a new token for that
contender, as in lanes 1 and 2), µs per verification averaged over both kinds; same contender instances as lanes 1 and 2.

${table(['contender', 'Node µs/verify', 'Node ÷ jose `importSPKI`', 'workerd µs/verify', 'workerd ÷ jose `importSPKI`'],
    MIXED.map((k) => [label(k), range(node?.mixed?.[k]), joseOf(node?.mixed, k), range(wd?.mixed?.[k]), joseOf(wd?.mixed, k)]))}

**Cache probe** (a sanity check of the distinct-token lanes): a default \`jwtKey\` client of its own verifies
${P.node.probeN} (Node) / ${P.workerd.probeN} (workerd) new tokens (each one a miss), then the same tokens 4 times over right away (each one a hit),
every round.
A distinct-token lane that hit the cache would read near the hit time; it reads near the miss time when it misses.

${table(['µs/verify', 'Node', 'workerd'], [
    [PROBE[0], range(probe(node)?.miss), range(probe(wd)?.miss)],
    [PROBE[1], range(probe(node)?.hit), range(probe(wd)?.hit)],
    [PROBE[2], `${range(node?.sequential['ours-jwtKey'])}: ${verdict(node)}`, `${range(wd?.sequential['ours-jwtKey'])}: ${verdict(wd)}`],
    [PROBE[3], sig(missCost(node)), sig(missCost(wd))],
  ])}
`;
}

function laneCold(r, errors, P) {
  if (!r) return `## 4. Cold start\n${failed(errors, 'cold')}`;
  const n = r.node;
  const both = (k) => n[k]?.import?.map((x, i) => x + n[k].firstVerify[i]);
  const nodeRow = (k, name) => [name, range(n[k]?.outer), range(n[k]?.import), range(n[k]?.firstVerify), range(both(k))];
  const wdRow = (k, name) => [name, range(r.workerdFirst[k]), k === 'app-empty' ? '0 (baseline)' : range(r.workerdEval[k], (x) => x.toFixed(1))];
  return `## 4. Cold start
${failed(errors, 'cold')}
**Node: process start → first verified token** (ms). A fresh \`node\` process per measurement; outer = spawn to the line
that reports the verified token. Import = \`performance.now()\` around the dynamic \`import()\` (global-scope evaluation;
for clerk-m2m-edge also reading, compiling and instantiating the .wasm). First verification = creating the client and
verifying one token with \`jwtKey\` (key parsing and \`importKey\` included).

${table(['', 'spawn → first verified token', 'import (evaluation + instantiation)', 'client + first verification', 'import + first verification'], [
    nodeRow('bare', COLD.bare), nodeRow('ours', COLD.ours), nodeRow('clerk', COLD.clerk), nodeRow('jose', COLD.jose),
  ])}

**workerd: new isolate → first verified response** (ms): \`new Miniflare({ the minimal Worker of lane 5 })\` (a new workerd
process and isolate) to the first \`GET /verify\` answered 200 (\`jwtKey\` binding; jose: a local JWKS). Global-scope evaluation +
instantiation: workerd evaluates every Worker's top level (and compiles its .wasm) at start-up, so the bench starts
K = ${P.cold.copies} copies of a Worker and subtracts K copies of an empty Worker: (t(K × Worker) − t(K × empty)) / K.

${table(['Worker', 'new isolate → first verified response', 'global-scope evaluation + instantiation, per copy'], [
    wdRow('app-empty', COLD['app-empty']), wdRow('app-ours', COLD['app-ours']), wdRow('app-clerk', COLD['app-clerk']), wdRow('app-jose', COLD['app-jose']),
  ])}
`;
}

function laneSize(r, errors) {
  if (!r) return `## 5. Bundle size\n${failed(errors, 'size')}`;
  const c = r.clerk.total;
  const row = (name, s) => [name, kb(s.raw), kb(s.gzip), times(s.gzip / c.gzip)];
  return `## 5. Bundle size of a minimal Worker (verify + list + createToken)

\`benches/workers/app-*.js\`: the same handler (\`/verify\` of the bearer token, \`/list\`, \`/create\`) over each library's
\`createClerkClient\`, bundled by esbuild (minified, wrangler's conditions); gzip -9 of each output file, summed.
${failed(errors, 'size')}
${table(['Worker', 'raw', 'gzip', 'gzip ÷ @clerk/backend'], [
    row(SIZE.ours, r.ours.total),
    row(SIZE.oursJs, r.ours.js),
    row(SIZE.oursWasm, r.ours.wasm),
    row(SIZE.clerk, c),
    row(SIZE.jose, r.jose.total),
  ])}
`;
}

function laneJwks(r, errors) {
  if (!r) return `## 6. JWKS requests\n${failed(errors, 'jwks')}`;
  const cold = (x) => (x ? `${x.coldJwks} (${x.coldOk} verified, ${num(x.coldMs, 0)} ms)` : 'n/a');
  const flood = (x) => (x ? `${x.floodJwks} (${x.floodRejected} rejected, ${num(x.floodMs, 0)} ms)` : 'n/a');
  return `## 6. JWKS requests (counted in the local Backend API's request log)

Clients with \`secretKey\` + \`apiUrl\` (no \`jwtKey\`), on a cold JWKS cache (a fresh Node process, a fresh workerd
isolate). Unknown kids: tokens whose header \`kid\` is not in the JWKS, verified one after another on a warm cache.
${failed(errors, 'jwks')}
${table(['JWKS requests', 'clerk-m2m-edge', '@clerk/backend'], [
    [JWKS[0], cold(r.node.ours), cold(r.node.clerk)],
    [JWKS[1], flood(r.node.ours), flood(r.node.clerk)],
    [JWKS[2], cold(r.workerdOneRequest.ours), cold(r.workerdOneRequest.clerk)],
    [JWKS[3], flood(r.workerdOneRequest.ours), flood(r.workerdOneRequest.clerk)],
    [JWKS[4], cold(r.workerdRequests.ours), cold(r.workerdRequests.clerk)],
  ])}
`;
}

function laneApi(r, errors, P) {
  if (!r) return `## 7. Backend API round trips\n${failed(errors, 'api')}`;
  const row = (op) => [`\`m2m.${op}\``, range(r[`ours:${op}`]), range(r[`clerk:${op}`]), times(ratio(r[`ours:${op}`], r[`clerk:${op}`]))];
  return `## 7. Backend API round trips (Node, local Backend API over loopback)

Median ms per call within a round (${P.api.calls} sequential calls per library and call), then median (min–max) over rounds. \`list\`: 10 tokens per page;
\`createToken\`: an opaque token with a machine secret key.
${failed(errors, 'api')}
${table(['call', 'clerk-m2m-edge ms', '@clerk/backend ms', 'ours ÷ @clerk/backend'], [row('list'), row('createToken')])}
`;
}

function breakdown(node, wd, prof, errors) {
  const nodeOurs = node?.sequential['ours-jwtKey'], nodeFloor = node?.sequential.floor, nodeStub = node?.sequential['ours-nocrypto'];
  const wdOurs = wd?.sequential['ours-jwtKey'], wdFloor = wd?.sequential.floor, wdStub = wd?.sequential['ours-nocrypto'];
  const diff = (a, b) => (a && b ? median(a.map((x, i) => x - b[i])) : undefined);
  const rows = [
    [BREAKDOWN[0], range(nodeOurs), range(wdOurs)],
    [BREAKDOWN[1], range(nodeFloor), range(wdFloor)],
    [BREAKDOWN[2], sig(diff(nodeOurs, nodeFloor)), sig(diff(wdOurs, wdFloor))],
    [BREAKDOWN[3], range(nodeStub), range(wdStub)],
    [BREAKDOWN[4], range(node?.sequential['ours-nocrypto-nocache']), range(wd?.sequential['ours-nocrypto-nocache'])],
    [BREAKDOWN[5], range(node?.sequential['jose-nocrypto']), range(wd?.sequential['jose-nocrypto'])],
    [BREAKDOWN[6], times(ratio(nodeStub, node?.sequential['jose-nocrypto'])), times(ratio(wdStub, wd?.sequential['jose-nocrypto']))],
    [BREAKDOWN[7], range(node?.version, (x) => x.toFixed(3)), range(wd?.version, (x) => x.toFixed(3))],
  ];
  let native = '';
  if (prof?.native) {
    const n = prof.native;
    native = `\n**Native core** (\`benches/core-timing\`: the core crate built natively with the package's size settings,
\`opt-level = "z"\`, LTO; \`SignatureVerifier\` stubbed to true; median of 9 rounds of 5 000, steps interleaved), ns per call:

${table(['step', 'ns'], [
      ['`is_jwt_format` (the reference\'s shape check; routing now folds it into decoding)', num(n.is_jwt_format_ns, 0)],
      ['base64url decode of the 3 segments with the core\'s table decoder', num(n.core_decode_3_segments_ns, 0)],
      ['the same with a plain bit-accumulator decoder (reference)', num(n.table_decode_3_segments_ns, 0)],
      ['`serde_json::from_slice::<Value>` of header and payload', num(n.serde_json_parse_header_payload_ns, 0)],
      ['`decode_jwt` (split, decode 3 segments, parse 2 JSON objects)', num(n.decode_jwt_ns, 0)],
      ['`verify::prepare`: everything before the signature, synchronous (routing decode, header checks, key lookup)', num(n.prepare_ns, 0)],
      ['`verify::verify` end to end, cache off (routing decode, header checks, key lookup, stubbed RSA, claims, `M2mToken`)', num(n.verify_stubbed_ns, 0)],
      ['`M2mToken::to_public_json_text` (the result\'s JSON text handed to `JSON.parse`)', num(n.to_public_json_ns, 0)],
      ['`verify::verify`, verified-token cache hit', num(n.verify_cached_hit_ns, 0)],
      ['building the params object `{ token }` as a serde_json `Value`', num(n.params_object_ns, 0)],
    ])}
`;
  } else if (prof?.skipped) native = `\nNative core timing and twiggy: skipped (${prof.skipped}).\n`;
  else if (prof?.nativeError) native = `\nNative core timing failed: \`${prof.nativeError.split('\n')[0]}\`\n`;
  let size = '';
  if (prof?.twiggy) {
    const t = prof.twiggy;
    size = `\n**Size by crate** (\`twiggy top\` on ${t.source}: ${t.codeAndDataBytes} bytes of code and data without the
name section; with the names stripped it is ${t.strippedBytes} bytes, the shipped pkg/ .wasm ${t.shippedBytes} bytes; shallow sizes,
so a big async function counts the code inlined into it):

${table(['crate', 'bytes', 'share'], t.byCrate.slice(0, 16).map((g) => [g.crate, String(g.bytes), `${((g.bytes / t.codeAndDataBytes) * 100).toFixed(1)} %`]))}

Largest items:

${table(['item', 'crate', 'bytes'], t.top.slice(0, 20).map((i) => [`\`${i.name.replace(/\|/g, '\\|').slice(0, 110)}\``, i.crate, String(i.bytes)]))}
`;
  } else if (prof?.twiggyError) size = `\ntwiggy failed: \`${prof.twiggyError.split('\n')[0]}\`\n`;
  let cpu = '';
  if (prof?.cpu) {
    const c = prof.cpu;
    const cats = [...new Set(Object.values(c).flatMap((m) => Object.keys(m.categories)))]
      .sort((a, b) => (c.nocrypto.categories[b] ?? 0) - (c.nocrypto.categories[a] ?? 0));
    const cell = (m, k) => {
      const share = c[m].categories[k] ?? 0;
      return m === 'real' ? `${(share * 100).toFixed(1)} %` : `${(share * 100).toFixed(1)} % ≈ ${sig(share * c[m].usPerVerify)} µs`;
    };
    cpu = `\n**Node CPU profile by cost** (V8 sampling profiler, 50 µs interval, on the named build above loaded into the
installed package's JS; 4000 verifications per mode). Unprofiled µs/verify of that build: stubbed ${sig(c.nocrypto.usPerVerify)},
real ${sig(c.real.usPerVerify)}, cached ${sig(c.cached.usPerVerify)}. "real" shows shares of main-thread CPU only (Node runs
the RSA check on its thread pool; idle time is left out).

${table(['category', 'stubbed subtle.verify, cache off', 'real, cache off (main thread)', 'same token, cache on'], cats.map((k) => [k, cell('nocrypto', k), cell('real', k), cell('cached', k)]))}
`;
  } else if (prof?.cpuError) cpu = `\nCPU profile failed: \`${prof.cpuError.split('\n')[0]}\`\n`;
  return `## Breakdown (measured by the bench; see the analysis below)

Where a clerk-m2m-edge verification's time goes, from the same rounds as lanes 1 and 2 (distinct tokens). The stubbed rows are
the package (client instances of their own), and jose \`importSPKI\` + \`jwtVerify\` for comparison, with \`crypto.subtle.verify\`
replaced by an already-resolved \`true\` for those contenders' runs only: everything except the RSA check (JS wrapper, boundary
crossings, JS→JSON params conversion, parsing, claim checks, result conversion, promises). The ratio row is the median of
per-round ratios of the two stubbed rows.
${failed(errors, 'profile')}
${table(['', 'Node', 'workerd'], rows)}
${native}${cpu}${size}`;
}

function targets(R) {
  const { node, workerd: wd, cold, size, jwks } = R;
  const rows = [];
  const add = (name, measured, pass) => rows.push([name, measured, pass === undefined ? 'n/a' : pass ? '**pass**' : '**miss**']);
  const at = (x, limit) => (x === undefined ? undefined : x <= limit);
  const diff = (a, b) => (a?.length && b?.length === a.length ? median(a.map((x, i) => x - b[i])) : undefined);
  const ms = (x) => (x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(1)} ms`);
  const usd = (x) => (x === undefined ? 'n/a' : `${sig(x)} µs`);
  // Issue 19: at or below jose (importSPKI + jwtVerify), default options.
  const vsJose = (res, k = 'ours-jwtKey') => ratio(res?.[k], res?.['jose-spki']);
  const jw = vsJose(wd?.sequential), jwj = vsJose(wd?.sequential, 'ours-jwks'), jwc = vsJose(wd?.sequential, 'ours-jwtKey-nocache');
  add(TARGETS[0], `${times(jw)} (\`secretKey\` + JWKS: ${times(jwj)}; token cache off: ${times(jwc)})`, at(jw, 1));
  const jm = vsJose(wd?.mixed);
  add(TARGETS[1], times(jm), at(jm, 1));
  const jn = vsJose(node?.sequential), jnj = vsJose(node?.sequential, 'ours-jwks'), jnc = vsJose(node?.sequential, 'ours-jwtKey-nocache');
  add(TARGETS[2], `${times(jn)} (\`secretKey\` + JWKS: ${times(jnj)}; token cache off: ${times(jnc)})`, at(jn, 1));
  // 64 in flight: rates, so the time ratio is jose's rate ÷ ours.
  const jc = ratio(node?.concurrent['jose-spki'], node?.concurrent['ours-jwtKey']);
  const jcj = ratio(node?.concurrent['jose-spki'], node?.concurrent['ours-jwks']);
  add(TARGETS[3], `${times(jc)} in time per verification (\`secretKey\` + JWKS: ${times(jcj)})`, at(jc, 1));
  const cw = diff(wd?.sequential['ours-jwtKey'], wd?.sequential['ours-jwtKey-nocache']);
  const cn = diff(node?.sequential['ours-jwtKey'], node?.sequential['ours-jwtKey-nocache']);
  add(TARGETS[4], `workerd ${usd(cw)}; Node ${usd(cn)} (\`jwtKey\`, medians of per-round differences)`,
    cw === undefined || cn === undefined ? undefined : cw <= 1 && cn <= 1);
  const sn = ratio(node?.repeated['clerk-jwtKey'], node?.repeated['ours-cached']);
  add(TARGETS[5], times(sn), sn === undefined ? undefined : sn >= 20);
  const sw = ratio(wd?.repeated['clerk-jwtKey'], wd?.repeated['ours-cached']);
  add(TARGETS[6], times(sw), sw === undefined ? undefined : sw >= 20);
  // Cold: lane 4's new isolate → first verified response, minus the empty Worker's, per round; else the cold breakdown's.
  const over = (k) => diff(cold?.workerdFirst?.[k], cold?.workerdFirst?.['app-empty']);
  const oursOver = over('app-ours'), breakdownOver = R.coldBreakdown?.oursOverEmptyMs;
  const coldMs = oursOver ?? breakdownOver;
  add(TARGETS[7], coldMs === undefined ? 'not measured'
    : `${ms(coldMs)}${oursOver === undefined ? ' (cold breakdown)' : ` (lane 4; jose ${ms(over('app-jose'))}, @clerk/backend ${ms(over('app-clerk'))}${breakdownOver === undefined ? '' : `; cold breakdown: ${ms(breakdownOver)}`})`}`,
    at(coldMs, 10));
  if (size) {
    const o = size.ours.total.gzip;
    add(TARGETS[8], `${kb(o)} (JS ${kb(size.ours.js.gzip)} + .wasm ${kb(size.ours.wasm.gzip)})`, o <= 64 * 1024);
  } else add(TARGETS[8], 'n/a');
  if (jwks) {
    const a = jwks.node.ours.coldJwks, b = jwks.workerdOneRequest.ours.coldJwks;
    add(TARGETS[9], `Node process: ${a}; workerd, one request: ${b} (@clerk/backend: ${jwks.node.clerk.coldJwks}, ${jwks.workerdOneRequest.clerk.coldJwks})`, a === 1 && b === 1);
  } else add(TARGETS[9], 'n/a');
  // Earlier targets (issue 7), now measured in the default configuration.
  const rw = ratio(wd?.sequential['ours-jwtKey'], wd?.sequential.floor);
  const rwj = ratio(wd?.sequential['ours-jwks'], wd?.sequential.floor);
  add(TARGETS[10], `${times(rw)} (\`secretKey\` + JWKS: ${times(rwj)})`, at(rw, 1.3));
  const rn = ratio(node?.sequential['ours-jwtKey'], node?.sequential.floor);
  const rnj = ratio(node?.sequential['ours-jwks'], node?.sequential.floor);
  add(TARGETS[11], `${times(rn)} (\`secretKey\` + JWKS: ${times(rnj)})`, at(rn, 1.2));
  if (size) {
    const o = size.ours.total.gzip, c = size.clerk.total.gzip;
    add(TARGETS[12], `${kb(o)} vs ${kb(c)} (${times(o / c)})`, o <= c);
  } else add(TARGETS[12], 'n/a');
  const ew = cold && ratio(cold.workerdEval['app-ours'], cold.workerdEval['app-clerk']);
  add(TARGETS[13],
    cold ? `${sig(median(cold.workerdEval['app-ours']))} ms vs ${sig(median(cold.workerdEval['app-clerk']))} ms (${times(ew)})` : 'n/a', ew === undefined ? undefined : ew <= 0.25);
  const en = cold && ratio(cold.node.ours?.import, cold.node.clerk?.import);
  add(TARGETS[14],
    cold ? `${sig(median(cold.node.ours.import))} ms vs ${sig(median(cold.node.clerk.import))} ms (${times(en)})` : 'n/a', en === undefined ? undefined : en <= 0.25);
  return `## Targets

Ratios from this run (medians of per-round ratios; a ratio below 1 means faster than the reference). Issue 19's targets
first, all in the default configuration (no option a user would not set); then the earlier targets that still apply.

${table(['target', 'measured', 'result'], rows)}
`;
}

export function renderReport(data) {
  const { results: R, errors } = data;
  return [
    header(data),
    targets(R),
    laneNode(R.node, errors),
    laneWorkerd(R.workerd, errors),
    laneRepeated(R.node, R.workerd, errors, data.P),
    laneCold(R.cold, errors, data.P),
    laneSize(R.size, errors),
    laneJwks(R.jwks, errors),
    laneApi(R.api, errors, data.P),
    breakdown(R.node, R.workerd, R.profile, errors),
  ].join('\n');
}

/** Writes the report, keeping whatever follows the marker in the existing file. */
export function writeReport(path, generated) {
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const i = old.indexOf(MARKER);
  const analysis = i >= 0 ? old.slice(i + MARKER.length) : '\n\n## Analysis\n\n_Not written yet._\n';
  writeFileSync(path, `${generated.trimEnd()}\n\n${MARKER}${analysis}`);
}
