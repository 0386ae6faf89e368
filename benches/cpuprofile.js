// Groups a V8 CPU profile of the package's verify loop into cost categories, by sample counts (not the samples'
// time deltas, which swell when the shared machine preempts the process). A sample counts for the first
// category that matches a frame, walking from the sampled frame towards the root (so time in malloc under
// json_to_js counts for json_to_js). Needs function names in the .wasm (see the profile lane).
export const CATEGORIES = [
  ['JWT decode: base64url (table decoder)', /base64url::decode|decode_segment/],
  ['JWT decode: JSON parse of header and payload (serde_json)', /serde_json::de|serde_json::read|Deserialize for serde_json|decode_object/],
  ['JWT shape check and routing (decoded_if_jwt, verify::prepare)', /is_jwt_format|decoded_if_jwt|decoded_m2m_jwt|verify::prepare/],
  ['result: mapping and JSON text (to_m2m_token, Verification::new)', /to_public_json|to_m2m_token|public_json_text|push_string|push_integer|Verification/],
  ['claim checks', /claims::check/],
  ['key lookup (resolve_key_now, parsed jwtKey list)', /resolve_key|local_keys|same_text/],
  ['verified-token cache (lookup, insert, hashing)', /VerifiedTokenCache|jwt::cache|WordHasher/],
  ['WebCrypto call (CryptoKey lookup, subtle.verify)', /webcrypto|verify_rsa|cached_crypto_key|__wbg_verify|__wbg_subtle|__wbg_crypto/],
  ['params JS→WASM (token bytes, TextEncoder, params conversion)', /onlyToken|passArray8ToWasm|passStringToWasm|encodeUtf8|encode |split_signal|js_to_json|convert::walk|string_get/],
  ['results WASM→JS (signature views, serde-wasm-bindgen, copies of kept hits)', /new_from_slice|__wbg_of|__wbg_parse|getStringFromWasm|decodeUTF8|decode encoding|verification_to_js|json_to_js|to_js|serde_wasm_bindgen|copyJson|hitResult|lastHit|wasmMemory|Uint8Array/],
  ['allocator (dlmalloc, Vec/String growth)', /dlmalloc|__rdl_|__rust_alloc|__rust_dealloc|RawVec|alloc::alloc/],
  ['rest of the core pipeline (prepare, with_key, finish)', /clerk_m2m_core/],
  ['rest of the boundary (step, finish, wasm-bindgen shims)', /clerk_m2m_edge::|client_verify|shim|clerk_m2m_edge\.js/],
  ['promises and futures (awaits, future_to_promise, JsFuture, microtasks)', /future_to_promise|JsFuture|makeMutClosure|_wbg_cb_unref|runMicrotasks|enqueueMicrotask|Promise::new|__wbg_then|__wbg_resolve|queueMicrotask|__wbindgen_generic/],
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
