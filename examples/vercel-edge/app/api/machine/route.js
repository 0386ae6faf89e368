// A Next.js App Router route handler on the Edge runtime (Vercel Edge), protected with Clerk M2M tokens.
// The package's `edge-light` export condition selects its workerd entry (a precompiled WebAssembly module).
import { createClerkClient } from 'clerk-m2m-edge';

export const runtime = 'edge';

// Created once per isolate; reads CLERK_SECRET_KEY, CLERK_MACHINE_SECRET_KEY, CLERK_API_URL and CLERK_JWT_KEY
// from process.env (set them in the Vercel project settings).
const clerk = createClerkClient();

export async function GET(request) {
  const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
  if (!state.isAuthenticated) {
    return Response.json({ error: 'unauthenticated', reason: state.reason, message: state.message }, { status: 401, headers: state.headers });
  }
  const auth = state.toAuth();
  // Binds JWT-format tokens to this receiver; opaque tokens were already checked by Clerk.
  if (!auth.has({ scope: process.env.RECEIVER_MACHINE_ID })) {
    return Response.json({ error: 'forbidden' }, { status: 403 });
  }
  return Response.json({ subject: auth.subject, tokenType: auth.tokenType, scopes: auth.scopes });
}
