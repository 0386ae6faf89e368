// A Cloudflare Worker whose routes only machines may call: each request must carry a Clerk M2M token
// (`Authorization: Bearer <token>`, opaque `mt_…` or JWT) from a machine that is allowed to call this one.
//
//   401  no token, or Clerk refuses it (unknown, revoked, expired, bad signature, sender not scoped for an opaque token)
//   403  a valid token whose scopes do not include RECEIVER_MACHINE_ID (how JWT scoping is enforced)
//   200  { subject, tokenType, scopes }
//   500  { error: 'misconfigured', message } when a setting is missing or unusable
import { createClerkClient, type ClerkClient } from 'clerk-m2m-edge';

// The Worker's secrets and [vars]. An `interface` such as `npx wrangler types` generates is fine:
// createClerkClient's `env` option takes any object and reads only its CLERK_* keys.
export interface Env {
  /** Instance secret key (`sk_…`): fetches the JWKS that JWT-format tokens are verified with. */
  CLERK_SECRET_KEY?: string;
  /** This Worker's own machine secret key (`ak_…`): verifies opaque tokens sent to this machine. */
  CLERK_MACHINE_SECRET_KEY?: string;
  /** Default `https://api.clerk.com`. */
  CLERK_API_URL?: string;
  /** Optional: the instance's PEM public key, to verify JWTs without fetching the JWKS. */
  CLERK_JWT_KEY?: string;
  /** This Worker's machine id (`mch_…`): a caller's token must list it in its scopes. */
  RECEIVER_MACHINE_ID?: string;
}

// One client per isolate, created on the first request (a Worker's `env` is only known then). It keeps the
// JWKS and the verified JWTs cached across requests, so it must not be re-created per request.
let clerk: ClerkClient | undefined;
function clerkClient(env: Env): ClerkClient {
  clerk ??= createClerkClient({ env });
  return clerk;
}

export default {
  async fetch(request, env): Promise<Response> {
    // Checked on every request: a Worker's env is only known here. Names the setting, never shows its value.
    const receiver = env.RECEIVER_MACHINE_ID;
    if (!receiver) return json(500, { error: 'misconfigured', message: 'RECEIVER_MACHINE_ID is not set' });
    if (!env.CLERK_SECRET_KEY) return json(500, { error: 'misconfigured', message: 'CLERK_SECRET_KEY is not set' });

    let state;
    try {
      state = await clerkClient(env).authenticateRequest(request, { acceptsToken: 'm2m_token' });
    } catch (e) {
      // Any other configuration problem (a bad CLERK_API_URL, a malformed key): the caller can do nothing about it.
      console.error('authenticateRequest failed:', e instanceof Error ? `${e.name}: ${e.message}` : e);
      return json(500, { error: 'misconfigured', message: 'the server cannot authenticate requests' });
    }

    if (!state.isAuthenticated) {
      // state.headers holds x-clerk-auth-status, x-clerk-auth-reason and (if any) x-clerk-auth-message.
      const headers = new Headers(state.headers);
      headers.set('www-authenticate', state.reason === 'No token in header' ? 'Bearer' : 'Bearer error="invalid_token"');
      return json(401, { error: 'unauthenticated', reason: state.reason, message: state.message }, headers);
    }

    const auth = state.toAuth();
    // For opaque tokens Clerk already refused senders that may not call this machine. A JWT is verified locally
    // and any machine of the instance can mint one: only this check binds it to this receiver.
    if (!auth.has({ scope: receiver })) {
      return json(403, { error: 'forbidden', message: `machine ${auth.subject} is not allowed to call ${receiver}` });
    }
    return json(200, { subject: auth.subject, tokenType: auth.tokenType, scopes: auth.scopes });
  },
} satisfies ExportedHandler<Env>;

function json(status: number, body: unknown, headers = new Headers()): Response {
  headers.set('content-type', 'application/json');
  headers.set('cache-control', 'no-store');
  return new Response(JSON.stringify(body), { status, headers });
}
