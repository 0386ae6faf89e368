import { createClerkClient, type ClerkClient } from 'clerk-m2m-edge';

// The Worker's secrets and [vars] (`npx wrangler types` generates an interface like this one).
interface Env {
  CLERK_SECRET_KEY?: string; // instance key sk_…: the JWKS that JWT-format tokens are verified with
  CLERK_MACHINE_SECRET_KEY?: string; // this Worker's machine key ak_…: verifies opaque tokens
  RECEIVER_MACHINE_ID?: string; // this Worker's machine id mch_…: a caller's token must list it in its scopes
}

let clerk: ClerkClient | undefined; // one per isolate: its JWKS and verified-token caches outlive a request
const notSet = (name: string) => Response.json({ error: 'misconfigured', message: `${name} is not set` }, { status: 500 });

export default {
  async fetch(request, env): Promise<Response> {
    const receiver = env.RECEIVER_MACHINE_ID;
    if (!receiver) return notSet('RECEIVER_MACHINE_ID');
    if (!env.CLERK_SECRET_KEY) return notSet('CLERK_SECRET_KEY');
    clerk ??= createClerkClient({ env });

    const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
    if (!state.isAuthenticated) {
      return Response.json({ error: 'unauthenticated', reason: state.reason }, { status: 401, headers: state.headers });
    }
    const auth = state.toAuth();
    if (!auth.has({ scope: receiver })) return Response.json({ error: 'forbidden' }, { status: 403 });
    return Response.json({ subject: auth.subject, tokenType: auth.tokenType, scopes: auth.scopes });
  },
} satisfies ExportedHandler<Env>;
