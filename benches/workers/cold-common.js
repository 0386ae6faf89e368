// The Worker of the cold breakdown's contenders (lane 11, benches/lib/cold-breakdown.mjs):
//   GET /verify   (Authorization: Bearer <token>)  -> 200 {subject} | 401 {error}
//   GET <route>   a contender's own extra route (`routes[pathname](env)`)
//   anything else -> 'ok' (the no-op request that marks the end of start-up)
// `verify(token, env)` resolves to the token's subject; a contender builds its client or key at the first call.
export function coldWorker(verify, routes = {}) {
  return {
    async fetch(request, env) {
      const { pathname } = new URL(request.url);
      try {
        if (pathname === '/verify') {
          const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /i, '');
          return Response.json({ subject: await verify(token, env) });
        }
        const route = routes[pathname];
        return route ? route(env) : new Response('ok');
      } catch (e) {
        return Response.json({ error: String(e?.message ?? e) }, { status: 401 });
      }
    },
  };
}
