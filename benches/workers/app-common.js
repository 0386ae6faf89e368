// The "minimal Worker" of the size and cold-start lanes: verify the bearer token, list tokens, create a token.
// The same handler for @clerk/backend and this package; only `createClerkClient` differs.
//   GET  /verify   (Authorization: Bearer <token>)   -> 200 {subject} | 401
//   GET  /list                                        -> 200 {totalCount}
//   POST /create                                      -> 201 {id}
//   POST /verify-many  body: JSON array of tokens     -> all at once; 200 {ok, failed}
//   POST /verify-seq   body: JSON array of tokens     -> one after another; 200 {ok, failed}
export function appWorker(createClerkClient) {
  let client;
  const clerk = (env) =>
    (client ??= createClerkClient({
      secretKey: env.CLERK_SECRET_KEY,
      machineSecretKey: env.CLERK_MACHINE_SECRET_KEY,
      apiUrl: env.CLERK_API_URL,
      jwtKey: env.CLERK_JWT_KEY || undefined,
    }));
  const json = (body, status = 200) => Response.json(body, { status });
  const count = (results) => ({
    ok: results.filter((r) => r.status === 'fulfilled').length,
    failed: results.filter((r) => r.status === 'rejected').length,
  });
  return {
    async fetch(request, env) {
      const { pathname } = new URL(request.url);
      const c = clerk(env);
      try {
        if (pathname === '/verify') {
          const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /i, '');
          const t = await c.m2m.verify({ token });
          return json({ subject: t.subject });
        }
        if (pathname === '/list') {
          const page = await c.m2m.list({ subject: env.SUBJECT, limit: 10 });
          return json({ totalCount: page.totalCount });
        }
        if (pathname === '/create') {
          const t = await c.m2m.createToken({ secondsUntilExpiration: 3600 });
          return json({ id: t.id }, 201);
        }
        if (pathname === '/verify-many') {
          const tokens = await request.json();
          return json(count(await Promise.allSettled(tokens.map((token) => c.m2m.verify({ token })))));
        }
        if (pathname === '/verify-seq') {
          const results = [];
          for (const token of await request.json()) {
            results.push(await c.m2m.verify({ token }).then((v) => ({ status: 'fulfilled', v }), (e) => ({ status: 'rejected', e })));
          }
          return json(count(results));
        }
        return json({ error: 'not found' }, 404);
      } catch (e) {
        return json({ error: String(e?.message ?? e) }, 401);
      }
    },
  };
}
