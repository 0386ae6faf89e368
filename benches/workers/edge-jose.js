// Lane 8 contender: jose, `createRemoteJWKSet` on the Backend API's JWKS + `jwtVerify` (JWTs only).
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { edgeWorker } from './edge-common.js';

export default edgeWorker((env) => {
  const keys = createRemoteJWKSet(new URL(env.CLERK_API_URL + '/v1/jwks'), { headers: { authorization: 'Bearer ' + env.CLERK_SECRET_KEY } });
  return async (request) => {
    const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /i, '');
    try {
      const { payload } = await jwtVerify(token, keys);
      return { ok: true, subject: payload.sub };
    } catch (e) {
      return { ok: false, reason: String(e?.code ?? e?.message ?? e) };
    }
  };
});
