// Reference: jose doing the verify part only (no Backend API client), with the JWKS from the Backend API.
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from 'jose';

let keys;
export default {
  async fetch(request, env) {
    keys ??= env.CLERK_JWKS
      ? createLocalJWKSet(JSON.parse(env.CLERK_JWKS))
      : createRemoteJWKSet(new URL('/v1/jwks', env.CLERK_API_URL), { headers: { authorization: `Bearer ${env.CLERK_SECRET_KEY}` } });
    const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /i, '');
    try {
      const { payload } = await jwtVerify(token, keys, { algorithms: ['RS256'] });
      return Response.json({ subject: payload.sub });
    } catch (e) {
      return Response.json({ error: String(e?.message ?? e) }, { status: 401 });
    }
  },
};
