// Bun: an HTTP service that only machines allowed to call RECEIVER_MACHINE_ID may use.
//   bun run server.ts
import { createClerkClient } from 'clerk-m2m-edge';

const receiver = process.env.RECEIVER_MACHINE_ID;
if (!receiver) throw new Error('RECEIVER_MACHINE_ID is not set: the machine id (mch_…) of this service');
if (!process.env.CLERK_SECRET_KEY) throw new Error('CLERK_SECRET_KEY is not set: the instance secret key (sk_…)');

// Reads CLERK_SECRET_KEY, CLERK_MACHINE_SECRET_KEY (this service's machine key) and CLERK_API_URL from the env.
const clerk = createClerkClient();

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
  async fetch(request) {
    const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
    if (!state.isAuthenticated) {
      return Response.json({ error: 'unauthenticated', reason: state.reason }, { status: 401, headers: state.headers });
    }
    const auth = state.toAuth();
    if (!auth.has({ scope: receiver })) return Response.json({ error: 'forbidden' }, { status: 403 });
    return Response.json({ subject: auth.subject, tokenType: auth.tokenType, scopes: auth.scopes });
  },
});
console.log(`listening on http://${server.hostname}:${server.port}`);
