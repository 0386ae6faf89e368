// Lane 10 (issue 19): a V8 CPU profile of the workerd hot loop, taken through miniflare's `inspectorPort` (the V8
// `Profiler` domain over the inspector WebSocket of the bench Worker), aggregated by function self time and written
// next to docs/benchmarks.md (docs/benchmarks-workerd-profile.md; the raw .cpuprofile files to the scratch dir).
//
// The Worker is the bench Worker of lane 2 (benches/workers/bench-ours.js, `?mode=run&c=<contender>&n=&offset=`),
// bundled WITHOUT minification (so JS functions keep their names and esbuild's `// <file>` markers say which source
// file a line belongs to) and with the shipped .wasm replaced by a names-kept build of the same code: the build's
// own wasm-bindgen + `wasm-opt <WASM_OPT_FLAGS> --minify-imports-and-exports-and-modules`, plus `-g` (the name section kept). Its
// imports and exports must be identical to the shipped .wasm's, or the lane profiles the shipped .wasm (unnamed).
// Both bundles are also timed without the profiler (same loop), so the names-kept build is shown to run as fast.
//
// Per contender: `n` verifications of `distinct` distinct tokens (more than the verified-token cache's 1000, so a
// default client misses on every call), in fetches of `chunk`, sampled every `samplingUs` µs.
import { execFileSync } from 'node:child_process';
import { cpSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import { mintTokens } from './bapi.mjs';
import { bundleWorker } from './scratch.mjs';
import { miniflare, workerDef, timedFetch } from './workerd.mjs';
import { median } from './stats.mjs';
import { WASM_OPT_FLAGS } from './build-flags.mjs';

export const PROFILE_PARAMS = {
  full: { n: 20000, distinct: 4000, chunk: 2000, samplingUs: 50, timingRounds: 5, contenders: ['ours-jwtKey', 'ours-jwtKey-nocache'], stubContender: 'ours-jwtKey-nocache' },
  smoke: { n: 400, distinct: 64, chunk: 200, samplingUs: 50, timingRounds: 1, contenders: ['ours-jwtKey'], stubContender: 'ours-jwtKey', writeDoc: false },
};
export const PROFILE_DOC = 'docs/benchmarks-workerd-profile.md';

// ------------------------------------------------------------------------------------------ the named build
/**
 * The bench Worker bundle, unminified, with its .wasm replaced by a names-kept build; returns { bundle, check }.
 * Throws when the named build's imports/exports differ from the shipped .wasm's (the glue would not match).
 */
function namedBundle(root, work, dev) {
  const dir = join(work, 'named-build');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, PATH: `${join(root, 'node_modules/.bin')}:${process.env.HOME}/.cargo/bin:${process.env.PATH}` };
  const run = (cmd, args) => execFileSync(cmd, args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  copyFileSync(join(root, 'target/wasm32-unknown-unknown/release/clerk_m2m_edge.wasm'), join(dir, 'clerk_m2m_edge.wasm'));
  run('wasm-bindgen', ['--target', 'web', '--no-typescript', '--out-dir', dir, join(dir, 'clerk_m2m_edge.wasm')]);
  const mapping = JSON.parse(run('wasm-opt', [...WASM_OPT_FLAGS, '-g', '--strip-producers', '--minify-imports-and-exports-and-modules', 'clerk_m2m_edge_bg.wasm', '-o', 'named.wasm']));
  const wasmFile = dev.files.find((f) => f.name.endsWith('.wasm'))?.name;
  if (!wasmFile) throw new Error('the bench bundle has no .wasm');
  const shipped = readFileSync(join(dev.dir, wasmFile));
  const named = readFileSync(join(dir, 'named.wasm'));
  const iface = (bytes) => { const m = new WebAssembly.Module(bytes); return JSON.stringify([WebAssembly.Module.imports(m), WebAssembly.Module.exports(m)]); };
  if (iface(shipped) !== iface(named)) {
    throw new Error('the names-kept build (target/…/clerk_m2m_edge.wasm) has other imports/exports than the bundled .wasm: pkg/ and target/ are from different builds');
  }
  const out = join(work, 'named-bundle');
  rmSync(out, { recursive: true, force: true });
  cpSync(dev.dir, out, { recursive: true });
  copyFileSync(join(dir, 'named.wasm'), join(out, wasmFile));
  const main = join(out, dev.main.slice(dev.dir.length + 1));
  // The glue's import functions are keys of the import object named by their minified import names: name them back.
  const importNames = Object.fromEntries((mapping.imports ?? []).map(([, from, to]) => [to, from.replace(/_[0-9a-f]{16}$/, '')]));
  return { bundle: { dir: out, main, files: dev.files }, importNames, check: { shippedBytes: shipped.length, namedBytes: named.length } };
}

// ------------------------------------------------------------------------------------------ the inspector
/** A minimal CDP client over the `ws` package: send(method, params) → result. */
async function cdp(root, url) {
  const { default: WebSocket } = await import(join(root, 'node_modules/ws/index.js'));
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let seq = 0;
  const pending = new Map();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    const p = msg.id !== undefined && pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(`${p.method}: ${JSON.stringify(msg.error)}`));
    else p.resolve(msg.result);
  });
  return {
    send: (method, params = {}) => new Promise((resolve, reject) => {
      const id = ++seq;
      pending.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ id, method, params }));
    }),
    close: () => ws.close(),
  };
}

/** The inspector target of Worker `name` among those workerd lists at /json. */
async function targetOf(mf, name) {
  const base = await mf.getInspectorURL();
  const list = await (await fetch(`http://${base.host}/json`)).json();
  const t = list.find((x) => x.id === name || x.title === name || String(x.webSocketDebuggerUrl ?? '').endsWith(`/${name}`))
    ?? list.find((x) => String(x.title ?? '').includes(name) || String(x.id ?? '').includes(name));
  if (!t) throw new Error(`no inspector target for ${name}: ${JSON.stringify(list)}`);
  // workerd answers with its own host name; talk to the address we reached.
  const ws = new URL(t.webSocketDebuggerUrl);
  ws.host = base.host;
  return { target: t, url: String(ws) };
}

// ------------------------------------------------------------------------------------------ aggregation
/** Source file ranges of an unminified esbuild bundle, from its `// <path>` module markers: [[line0, file], ...]. */
function moduleRanges(bundleMain) {
  const lines = readFileSync(bundleMain, 'utf8').split('\n');
  const ranges = [];
  lines.forEach((l, i) => { const m = /^\/\/ (\S+\.[cm]?js)$/.exec(l); if (m) ranges.push([i, m[1]]); });
  return ranges;
}
const fileAt = (ranges, line) => { let f = '(bundle)'; for (const [l, name] of ranges) { if (l > line) break; f = name; } return f; };

export const CATEGORY_ORDER = [
  'wasm (our Rust)', 'wasm-bindgen glue JS', 'api.js', 'package JS (runtime.js, lift.js, …)', 'bench harness JS (loop, contenders.js)',
  'crypto.subtle (native)', 'other native / workerd (program)', 'V8 builtins', 'garbage collector', 'idle',
];

function categoryOf(frame, file) {
  const { functionName: fn, url } = frame;
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return 'other native / workerd (program)';
  if (url.startsWith('wasm://') || /^\$?wasm-function\[\d+\]$/.test(fn) || /\.wasm$/.test(url)) return 'wasm (our Rust)';
  if (!url) {
    if (/^(verify|importKey|sign|digest|encrypt|decrypt|exportKey)$/.test(fn)) return 'crypto.subtle (native)';
    return 'V8 builtins';
  }
  if (/web\/clerk_m2m_edge\.js$/.test(file)) return 'wasm-bindgen glue JS';
  if (/clerk-m2m-edge\/api\.js$/.test(file)) return 'api.js';
  if (/clerk-m2m-edge\//.test(file)) return 'package JS (runtime.js, lift.js, …)';
  return 'bench harness JS (loop, contenders.js)';
}

/**
 * Self time per function (name + source file) and per category. Time per sample: its time delta to the next
 * sample (DevTools' attribution); µs per verification = self time / n. Idle is reported, not counted in the total.
 */
export function aggregate(profile, ranges, n, importNames = {}) {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const parent = new Map();
  for (const x of profile.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
  const fns = new Map();
  const cats = new Map();
  const { samples, timeDeltas } = profile;
  let busyUs = 0, idleUs = 0, busySamples = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? Math.max(0, timeDeltas[i + 1]) : 0;
    const f = byId.get(samples[i]).callFrame;
    const file = f.url && !f.url.startsWith('wasm://') ? fileAt(ranges, f.lineNumber) : f.url;
    let cat = categoryOf(f, file);
    let name = f.functionName || '(anonymous)';
    if (cat === 'wasm-bindgen glue JS' && importNames[name]) name = `${importNames[name]} (import ${name})`;
    // A native API callback has no frame of its own: its time is the self time of the JS function that called it.
    // checkSignature (api.js) is `await crypto.subtle.verify(...)` and a call of the glue: its self time is WebCrypto.
    if (name === 'checkSignature' && cat === 'api.js') cat = 'crypto.subtle (native)';
    const up = parent.has(samples[i]) ? byId.get(parent.get(samples[i])).callFrame.functionName || '(anonymous)' : '';
    const key = `${name}\u0000${file}`;
    const e = fns.get(key) ?? { name, file: file.replace(/^.*node_modules\//, ''), category: cat, us: 0, samples: 0, callers: {} };
    e.us += dt; e.samples++;
    e.callers[up] = (e.callers[up] ?? 0) + dt;
    fns.set(key, e);
    const c = cats.get(cat) ?? { category: cat, us: 0, samples: 0 };
    c.us += dt; c.samples++;
    cats.set(cat, c);
    if (cat === 'idle') idleUs += dt; else { busyUs += dt; busySamples++; }
  }
  const topCaller = (e) => (e.callers ? Object.entries(e.callers).sort((a, b) => b[1] - a[1])[0]?.[0] : undefined);
  const withShares = (e) => ({ ...e, callers: undefined, caller: topCaller(e), pct: e.category === 'idle' ? undefined : (100 * e.us) / busyUs, usPerVerify: e.us / n });
  return {
    n, samples: samples.length, busySamples, busyUs, idleUs, wallUs: profile.endTime - profile.startTime,
    usPerVerify: busyUs / n,
    functions: [...fns.values()].filter((e) => e.category !== 'idle').sort((a, b) => b.us - a.us).map(withShares),
    categories: CATEGORY_ORDER.map((c) => cats.get(c) ?? { category: c, us: 0, samples: 0 }).map(withShares),
  };
}

// ------------------------------------------------------------------------------------------ the lane
const loop = async (w, c, p) => {
  let ms = 0;
  for (let done = 0; done < p.n; done += p.chunk) {
    const n = Math.min(p.chunk, p.n - done);
    const [t] = await timedFetch(w, `http://bench/?mode=run&c=${c}&n=${n}&offset=${done % p.distinct}`);
    ms += t;
  }
  return ms;
};
const emptyLoop = async (w, p) => {
  let ms = 0;
  for (let done = 0; done < p.n; done += p.chunk) ms += (await timedFetch(w, `http://bench/?mode=empty&n=${Math.min(p.chunk, p.n - done)}&offset=0`))[0];
  return ms;
};

/** Runs lane 10. S: run.mjs's bench state plus { root, scratch, log }; params: PROFILE_PARAMS.full or .smoke (merged). */
export async function workerdProfileLane(S, params = {}) {
  const p = { ...PROFILE_PARAMS.full, ...params };
  const { root, scratch, log = () => {} } = S;
  const Miniflare = await miniflare(root);
  let tokens = S.tokens;
  if (tokens.length < p.distinct) {
    if (!S.bapi) throw new Error(`profile lane needs ${p.distinct} tokens, has ${tokens.length} and no Backend API`);
    log(`workerd profile: minting ${p.distinct - tokens.length} more tokens`);
    tokens = [...tokens, ...(await mintTokens(S.bapi, p.distinct - tokens.length, 16))];
  } else tokens = tokens.slice(0, p.distinct);
  const bindings = { BENCH_CTX: JSON.stringify(S.ctx), BENCH_TOKENS: JSON.stringify(tokens) };

  // Bundles copied to a private directory at once: another bench run may recreate benches/scratch meanwhile.
  const work = mkdtempSync(join(tmpdir(), 'workerd-profile-'));
  const own = (b, name) => { const dir = join(work, name); cpSync(b.dir, dir, { recursive: true }); return { ...b, dir, main: join(dir, b.main.slice(b.dir.length + 1)) }; };
  const shipped = own(S.bundles?.['bench-ours'] ?? (await bundleWorker(root, scratch, 'bench-ours.js')), 'shipped');
  const dev = own(await bundleWorker(root, scratch, 'bench-ours.js', { minify: false }), 'dev');
  let named, namedError;
  try { named = namedBundle(root, work, dev); } catch (e) { namedError = String(e.stderr ?? e.message).slice(0, 1000); log(`workerd profile: no named build: ${namedError}`); }
  const profiled = named?.bundle ?? dev;
  const ranges = moduleRanges(profiled.main);

  const result = { params: p, named: named?.check, namedError, timing: {}, profiles: {}, contenders: [] };
  // 1. Timing without the profiler: shipped (minified) vs the profiled bundle, same loop, interleaved.
  {
    const mf = new Miniflare({ workers: [workerDef(shipped, 'shipped', bindings), workerDef(profiled, 'profiled', bindings)] });
    try {
      const w = { shipped: await mf.getWorker('shipped'), profiled: await mf.getWorker('profiled') };
      for (const c of p.contenders) {
        try {
          for (const k of Object.keys(w)) await timedFetch(w[k], `http://bench/?mode=warm&c=${c}`);
        } catch (e) { log(`workerd profile: contender ${c} unavailable: ${String(e.message).slice(0, 200)}`); continue; }
        result.contenders.push(c);
        const t = (result.timing[c] = { shipped: [], profiled: [] });
        for (let round = -1; round < p.timingRounds; round++) {
          for (const k of round % 2 ? ['shipped', 'profiled'] : ['profiled', 'shipped']) {
            const empty = await emptyLoop(w[k], p);
            const run = await loop(w[k], c, p);
            if (round >= 0) t[k].push(((run - empty) * 1000) / p.n);
          }
        }
        log(`workerd profile: ${c} unprofiled µs/verify: shipped ${median(t.shipped).toFixed(1)}, profiled bundle ${median(t.profiled).toFixed(1)}`);
      }
    } finally {
      await mf.dispose();
    }
  }
  if (!result.contenders.length) throw new Error(`none of the contenders ${p.contenders.join(', ')} is in the bench Worker`);

  // 2. The profile: one Worker, inspector on, per contender a warm-up pass, then Profiler.start … stop around n.
  const mf = new Miniflare({ ...workerDef(profiled, 'bench-ours', bindings), inspectorPort: 0 });
  let session;
  try {
    const w = await mf.getWorker('bench-ours');
    await timedFetch(w, 'http://bench/?mode=empty&n=1');
    const { target, url } = await targetOf(mf, 'bench-ours');
    result.target = { id: target.id, title: target.title };
    session = await cdp(root, url);
    await session.send('Profiler.enable');
    await session.send('Profiler.setSamplingInterval', { interval: p.samplingUs });
    mkdirSync(scratch, { recursive: true });
    // The first contender once more with crypto.subtle.verify stubbed (bench-common's `stub=1`): what the RSA
    // check's native call costs, since its time shows as the self time of its JS caller.
    const stubbed = result.contenders.includes(p.stubContender) ? p.stubContender : result.contenders[0];
    const runs = [...result.contenders.map((c) => [c, c]), ...(p.stubContender === false ? [] : [[`${stubbed}+stub`, `${stubbed}&stub=1`]])];
    for (const [key, c] of runs) {
      await timedFetch(w, `http://bench/?mode=warm&c=${c.replace('&stub=1', '')}`);
      await loop(w, c, { ...p, n: Math.min(p.n, 4000) }); // tier-up before sampling
      await session.send('Profiler.start');
      const ms = await loop(w, c, p);
      const { profile } = await session.send('Profiler.stop');
      const file = join(scratch, `workerd-profile-${key}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      const agg = aggregate(profile, ranges, p.n, named?.importNames);
      const c0 = key;
      agg.outsideUsPerVerify = (ms * 1000) / p.n;
      agg.cpuprofile = file;
      result.profiles[c0] = agg;
      log(`workerd profile: ${c0}: ${agg.samples} samples, ${agg.usPerVerify.toFixed(1)} µs/verify busy (outside, profiled: ${agg.outsideUsPerVerify.toFixed(1)}); top: ${agg.functions.slice(0, 3).map((f) => f.name).join(', ')}`);
    }
    await session.send('Profiler.disable');
  } finally {
    session?.close();
    await mf.dispose();
    rmSync(work, { recursive: true, force: true });
  }
  // A smoke run (params.writeDoc false) writes its document to the scratch directory, not next to docs/benchmarks.md.
  result.doc = p.writeDoc === false ? join(scratch, 'benchmarks-workerd-profile.md') : join(root, PROFILE_DOC);
  writeFileSync(result.doc, renderWorkerdProfile(result, S.env));
  const head = result.profiles[result.contenders[0]];
  return {
    doc: result.doc.slice(root.length).replace(/^\//, ''), named: Boolean(named), namedError, contenders: result.contenders, timing: result.timing,
    summary: Object.fromEntries(Object.entries(result.profiles).map(([c, a]) => [c, {
      usPerVerify: a.usPerVerify, outsideUsPerVerify: a.outsideUsPerVerify, samples: a.samples, cpuprofile: a.cpuprofile,
      categories: Object.fromEntries(a.categories.map((x) => [x.category, +x.usPerVerify.toFixed(3)])),
      top: a.functions.slice(0, 15).map((f) => ({ name: f.name, file: f.file, pct: +f.pct.toFixed(2), usPerVerify: +f.usPerVerify.toFixed(3) })),
    }])),
    headline: head && { contender: result.contenders[0], usPerVerify: head.usPerVerify },
  };
}

// ------------------------------------------------------------------------------------------ the document
const f2 = (x) => (x === undefined || Number.isNaN(x) ? '' : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const table = (head, rows) =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const shortFile = (f) => (f.startsWith('wasm://') ? '.wasm' : f);
const LABEL = {
  'ours-jwtKey': '`ours-jwtKey`: `createClerkClient({ jwtKey })`, default options (verified-token cache on)',
  'ours-jwtKey-nocache': '`ours-jwtKey-nocache`: `createClerkClient({ jwtKey, verifiedTokenCacheSize: 0 })` (cache off)',
  'ours-jwtKey+stub': '`ours-jwtKey` with `crypto.subtle.verify` stubbed (`stub=1`: an already-true promise)',
  'ours-jwtKey-nocache+stub': '`ours-jwtKey-nocache` with `crypto.subtle.verify` stubbed (`stub=1`: an already-true promise)',
};

export function renderWorkerdProfile(r, env) {
  const p = r.params;
  const out = [`# CPU profile of the workerd hot loop

Generated by \`scripts/bench --lanes 10\` (benches/lib/workerd-profile.mjs) on ${new Date().toISOString()}${env?.git ? ` at ${env.git}` : ''}. Do not edit by hand.

The bench Worker of lane 2 (\`benches/workers/bench-ours.js\`, \`?mode=run\`) in miniflare's workerd, profiled through
\`inspectorPort\`: the V8 \`Profiler\` domain over the Worker's inspector WebSocket, sampling every ${p.samplingUs} µs, around
${p.n} sequential verifications of ${p.distinct} distinct Clerk-shaped RS256 M2M JWTs in order (fetches of ${p.chunk}), after a warm-up pass
of ${Math.min(p.n, 4000)}: a token comes back after ${p.distinct - 1} others, beyond the verified-token cache's 1000 entries, so a default client
misses whenever its eviction keeps the most recent entries (\`hitResult\` in the table below is time in cache hits, if any).
The bundle is unminified (JS names kept; esbuild's module markers give each function its source file) and its .wasm
is ${r.named ? `a names-kept build of the same code (the build's wasm-bindgen + \`wasm-opt ${WASM_OPT_FLAGS.join(' ')} --minify-imports-and-exports-and-modules\` with \`-g\`; imports and exports identical to the shipped .wasm; ${r.named.namedBytes} bytes with names vs ${r.named.shippedBytes} shipped)` : `**the shipped .wasm (no names: ${esc(r.namedError ?? '')})**`}.
Self time per function: the time delta from each sample to the next, summed over the samples whose leaf is that
function; % of the busy (non-idle) time; µs per verification = self time / ${p.n}. "(program)" is time in workerd/V8
native code with no JS frame. A native API callback (WebCrypto's \`verify\`, \`TextDecoder.decode\`, …) has no frame of
its own in V8's sampler: its time is the self time of the JS function that called it. \`checkSignature\` (pkg/api.js) is
\`await crypto.subtle.verify(…)\` plus one call into the glue, so its self time is counted as **crypto.subtle (native)**;
the profile with \`crypto.subtle.verify\` stubbed (last section) shows what is left of it.
The sampler's own cost inflates everything: compare the busy µs/verify with the unprofiled timing below.
Raw profiles: \`benches/scratch/workerd-profile-<contender>.cpuprofile\` (open in Chrome DevTools, Performance tab).
`];
  out.push(`## Unprofiled timing (same loop, no inspector)

µs per verification, (loop − empty loop) / ${p.n}, median of ${p.timingRounds} interleaved rounds:

${table(['contender', 'bundle', 'µs / verify'], r.contenders.flatMap((c) => [
    [LABEL[c] ?? c, 'shipped (minified, shipped .wasm)', f2(median(r.timing[c].shipped))],
    [LABEL[c] ?? c, `profiled (unminified${r.named ? ', names-kept .wasm' : ''})`, f2(median(r.timing[c].profiled))],
  ]))}
`);
  for (const [c, a] of Object.entries(r.profiles)) {
    out.push(`## ${LABEL[c] ?? c}

${a.samples} samples over ${(a.wallUs / 1000).toFixed(0)} ms; busy ${(a.busyUs / 1000).toFixed(0)} ms = **${f2(a.usPerVerify)} µs per verification** under the profiler
(from outside, profiled: ${f2(a.outsideUsPerVerify)} µs per verification incl. the loop; idle ${(a.idleUs / 1000).toFixed(0)} ms).

### By category

${table(['category', 'what', '% of busy', 'µs / verify'], a.categories.map((x) => [x.category, CATEGORY_WHAT[x.category] ?? '', x.category === 'idle' ? '(idle)' : f2(x.pct), f2(x.usPerVerify)]))}

### Top 40 functions by self time

${table(['function', 'source (caller, for a native function)', '% of busy', 'µs / verify'], a.functions.slice(0, 40).map((f) => [`\`${esc(f.name.replace(/::h[0-9a-f]{16}$/, ''))}\``, f.file ? esc(shortFile(f.file)) : `(native) ← \`${esc(f.caller ?? '')}\``, f2(f.pct), f2(f.usPerVerify)]))}
`);
  }
  return out.join('\n');
}

const CATEGORY_WHAT = {
  'wasm (our Rust)': 'functions of the .wasm (src/, crates/, std, serde_json, dlmalloc)',
  'wasm-bindgen glue JS': 'pkg/web/clerk_m2m_edge.js',
  'api.js': 'pkg/api.js (the JS API over the glue)',
  'package JS (runtime.js, lift.js, …)': 'the package\'s other JS modules',
  'bench harness JS (loop, contenders.js)': 'the bench Worker\'s loop and contender wrapper',
  'crypto.subtle (native)': 'WebCrypto API calls (BoringSSL in workerd)',
  'other native / workerd (program)': 'native code with no JS frame: request handling, microtask plumbing, crypto completions',
  'V8 builtins': 'native functions without a source file (builtins, API callbacks other than crypto)',
  'garbage collector': 'V8 GC',
  idle: 'the isolate waiting (between fetches); not in the busy total',
};
