// Next.js App Router route handler on the Edge runtime: only machines allowed to call RECEIVER_MACHINE_ID may use it.
import { createClerkClient } from 'clerk-m2m-edge';

export const runtime = 'edge';

// Created once per isolate; reads CLERK_SECRET_KEY, CLERK_MACHINE_SECRET_KEY, CLERK_API_URL and CLERK_JWT_KEY
// from process.env (set them in the Vercel project settings).
const clerk = createClerkClient();
const notSet = (name: string) => Response.json({ error: 'misconfigured', message: `${name} is not set` }, { status: 500 });

export async function GET(request: Request): Promise<Response> {
  const receiver = process.env.RECEIVER_MACHINE_ID;
  if (!receiver) return notSet('RECEIVER_MACHINE_ID');
  if (!process.env.CLERK_SECRET_KEY) return notSet('CLERK_SECRET_KEY');

  const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
  if (!state.isAuthenticated) {
    return Response.json({ error: 'unauthenticated', reason: state.reason, message: state.message }, { status: 401, headers: state.headers });
  }
  const auth = state.toAuth();
  // Binds JWT-format tokens to this receiver; opaque tokens were already checked by Clerk.
  if (!auth.has({ scope: receiver })) {
    return Response.json({ error: 'forbidden', message: `machine ${auth.subject} is not allowed to call ${receiver}` }, { status: 403 });
  }
  return Response.json({ subject: auth.subject, tokenType: auth.tokenType, scopes: auth.scopes });
}
