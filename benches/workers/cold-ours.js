// Cold breakdown (lane 11): this package. The client is built at the first request that needs it, as a Worker does:
//   /noop     answers without touching the package (start-up = module evaluation: .wasm, glue, initSync, api.js)
//   /call     the first call into the .wasm (`version()`), nothing else
//   /client   createClerkClient(...) only (no verification)
//   /verify   createClerkClient(...) + m2m.verify of the bearer token: `{ jwtKey }` when CLERK_JWT_KEY is set,
//             else `{ secretKey, apiUrl }` (the JWKS from the shared cache, caches.default, or the Backend API)
import { createClerkClient, version } from 'clerk-m2m-edge';
import { coldWorker } from './cold-common.js';

let client;
const clerk = (env) =>
  (client ??= env.CLERK_JWT_KEY ? createClerkClient({ jwtKey: env.CLERK_JWT_KEY }) : createClerkClient({ secretKey: env.CLERK_SECRET_KEY, apiUrl: env.CLERK_API_URL }));

export default coldWorker(async (token, env) => (await clerk(env).m2m.verify({ token })).subject, {
  '/call': () => new Response(version()),
  '/client': (env) => new Response(typeof clerk(env)),
});
