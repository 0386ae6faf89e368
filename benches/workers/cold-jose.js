// Cold breakdown (lane 11): jose 6, `importSPKI` of the PEM at the first request, then `jwtVerify(token, key)`.
import { importSPKI, jwtVerify } from 'jose';

let key;
export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname !== '/verify') return new Response('ok');
    const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /i, '');
    try {
      key ??= await importSPKI(env.CLERK_JWT_KEY, 'RS256');
      const { payload } = await jwtVerify(token, key, { algorithms: ['RS256'] });
      return Response.json({ subject: payload.sub });
    } catch (e) {
      return Response.json({ error: String(e?.message ?? e) }, { status: 401 });
    }
  },
};
