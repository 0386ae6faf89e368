// Cold breakdown (lane 11): @clerk/backend, `createClerkClient({ jwtKey })` at the first request, then m2m.verify.
import { createClerkClient } from '@clerk/backend';

let client;
export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname !== '/verify') return new Response('ok');
    const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /i, '');
    try {
      client ??= createClerkClient({ jwtKey: env.CLERK_JWT_KEY });
      const t = await client.m2m.verify({ token });
      return Response.json({ subject: t.subject });
    } catch (e) {
      return Response.json({ error: String(e?.message ?? e) }, { status: 401 });
    }
  },
};
