// The Worker of the edge-scale lane (lane 8, benches/lib/edge-scale.mjs): one bearer token per request.
//   GET /auth   (Authorization: Bearer <token>)  -> 200 {ok, subject} | 401 {ok: false, reason}
//   GET /probe?op=put|get                        -> writes / reads a marker in caches.default (is the cache shared
//                                                   between the Miniflare instances of the lane?)
// `authenticator(env)` returns `(request) => Promise<{ ok, subject?, reason? }>`, built once per isolate.
const PROBE = 'https://edge-scale.bench/probe';

export function edgeWorker(authenticator) {
  let auth;
  return {
    async fetch(request, env) {
      const { pathname, searchParams } = new URL(request.url);
      if (pathname === '/probe') {
        const cache = globalThis.caches?.default;
        if (!cache) return Response.json({ cache: false });
        if (searchParams.get('op') === 'put') {
          await cache.put(PROBE, new Response('marker', { headers: { 'cache-control': 'max-age=600' } }));
          return Response.json({ cache: true, put: true });
        }
        const hit = await cache.match(PROBE);
        return Response.json({ cache: true, hit: hit ? await hit.text() === 'marker' : false });
      }
      if (pathname !== '/auth') return Response.json({ error: 'not found' }, { status: 404 });
      try {
        auth ??= authenticator(env);
        const r = await auth(request);
        return Response.json(r, { status: r.ok ? 200 : 401 });
      } catch (e) {
        return Response.json({ ok: false, error: String(e?.message ?? e) }, { status: 500 });
      }
    },
  };
}

/** For the two Clerk clients: a request state to { ok, subject, reason }. */
export const fromState = (state) => {
  const a = state.toAuth?.();
  return { ok: Boolean(state.isAuthenticated), subject: a?.subject ?? undefined, reason: state.reason ?? undefined };
};
