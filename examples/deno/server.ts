// Deno: an HTTP service that only machines allowed to call RECEIVER_MACHINE_ID may use.
//   npm install /path/to/clerk-m2m-edge/pkg    # once, next to this file: `npm:clerk-m2m-edge` resolves from node_modules
//   deno run --allow-net --allow-env --allow-read server.ts
import { createClerkClient } from 'npm:clerk-m2m-edge';

const receiver = Deno.env.get('RECEIVER_MACHINE_ID');
if (!receiver) throw new Error('RECEIVER_MACHINE_ID is not set: the machine id (mch_…) of this service');
if (!Deno.env.get('CLERK_SECRET_KEY')) throw new Error('CLERK_SECRET_KEY is not set: the instance secret key (sk_…)');

// Reads CLERK_SECRET_KEY, CLERK_MACHINE_SECRET_KEY (this service's machine key) and CLERK_API_URL from the env.
const clerk = createClerkClient();

Deno.serve({
  hostname: '127.0.0.1',
  port: Number(Deno.env.get('PORT') ?? 8000),
  onListen: ({ hostname, port }) => console.log(`listening on http://${hostname}:${port}`),
}, async (request) => {
  const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
  if (!state.isAuthenticated) {
    return Response.json({ error: 'unauthenticated', reason: state.reason }, { status: 401, headers: state.headers });
  }
  const auth = state.toAuth();
  if (!auth.has({ scope: receiver })) return Response.json({ error: 'forbidden' }, { status: 403 });
  return Response.json({ subject: auth.subject, tokenType: auth.tokenType, scopes: auth.scopes });
});
