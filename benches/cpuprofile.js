// Groups a V8 CPU profile of the package's verify loop into cost categories, by sample counts (not the samples'
// time deltas, which swell when the shared machine preempts the process). A sample counts for the first
// category that matches a frame, walking from the sampled frame towards the root (so time in malloc under
// json_to_js counts for json_to_js). Needs function names in the .wasm (see the profile lane).
export const CATEGORIES = [
  ['JWT decode: base64url (base64ct constant-time decoder)', /base64ct|decode_segment/],
  ['JWT decode: JSON parse of header and payload (serde_json)', /serde_json::de|serde_json::read|Deserialize for serde_json|decode_object/],
  ['JWT shape check (is_jwt_format)', /is_jwt_format/],
  ['params JS→JSON (split_signal, js_to_json, string copies)', /split_signal|js_to_json|convert::walk|string_get|passStringToWasm/],
  ['result JSON→JS (json_to_js)', /json_to_js/],
  ['result mapping (to_m2m_token, to_public_json)', /to_public_json|to_m2m_token/],
  ['claim checks', /claims::check/],
  ['key lookup (resolve_key, parsed jwtKey map)', /resolve_key|local_keys/],
  ['verified-token cache', /VerifiedTokenCache|jwt::cache/],
  ['WebCrypto call (subtle lookup, CryptoKey cache, subtle.verify)', /webcrypto|verify_rsa|__wbg_verify|__wbg_subtle|__wbg_crypto/],
  ['rest of the core pipeline (inlined into verify_decoded / verify)', /clerk_m2m_core|clerk_m2m_edge::Client/],
  ['promises and futures (future_to_promise, JsFuture, closures, microtasks)', /future_to_promise|JsFuture|makeMutClosure|_wbg_cb_unref|runMicrotasks|enqueueMicrotask|Promise::new|__wbg_then|__wbg_resolve|handleError|queueMicrotask|__wbindgen_generic/],
  ['JS API wrapper (api.js)', /api\.js/],
  ['garbage collection', /garbage collector/],
];

export function categorize(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = 1;
    let id = profile.samples[i];
    let cat;
    const leaf = byId.get(id).callFrame;
    if (leaf.functionName === '(idle)' || leaf.functionName === '(program)') continue;
    while (id !== undefined && !cat) {
      const f = byId.get(id).callFrame;
      const name = `${f.functionName} ${f.url}`;
      cat = CATEGORIES.find(([, re]) => re.test(name))?.[0];
      id = parent.get(id);
    }
    cat ??= /wasm/.test(leaf.url) ? 'other wasm' : 'other JS';
    totals.set(cat, (totals.get(cat) ?? 0) + dt);
    total += dt;
  }
  return Object.fromEntries([...totals].map(([k, v]) => [k, v / total]).sort((a, b) => b[1] - a[1]));
}
