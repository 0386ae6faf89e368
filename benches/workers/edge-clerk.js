// Lane 8 contender: @clerk/backend, `secretKey` + `apiUrl`, default options otherwise.
import { createClerkClient } from '@clerk/backend';
import { edgeWorker, fromState } from './edge-common.js';

export default edgeWorker((env) => {
  const client = createClerkClient({ secretKey: env.CLERK_SECRET_KEY, apiUrl: env.CLERK_API_URL });
  return async (request) => fromState(await client.authenticateRequest(request, { acceptsToken: 'm2m_token' }));
});
