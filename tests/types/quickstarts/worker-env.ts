// A Worker's `Env` as `npx wrangler types` writes it (an interface: no index signature; secrets and vars as
// strings, bindings as their runtime types) is accepted by createClerkClient({ env }) without a cast.
import { createClerkClient } from 'clerk-m2m-edge';

interface Env {
  CLERK_SECRET_KEY: string;
  RECEIVER_MACHINE_ID: string;
  MY_KV: KVNamespace;
}

export default {
  async fetch(request, env): Promise<Response> {
    const clerk = createClerkClient({ env });
    const state = await clerk.authenticateRequest(request, { acceptsToken: 'm2m_token' });
    const allowed = state.isAuthenticated && state.toAuth().has({ scope: env.RECEIVER_MACHINE_ID });
    return new Response(allowed ? 'ok' : 'no', { status: allowed ? 200 : 403 });
  },
} satisfies ExportedHandler<Env>;
