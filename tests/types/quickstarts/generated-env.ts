// The global `Env` that `wrangler types` generated (worker-configuration.d.ts, next to this file in the scratch
// copy of examples/cloudflare-worker) for the example's wrangler.toml, .dev.vars and a KV namespace.
import { createClerkClient } from 'clerk-m2m-edge';

export default {
  async fetch(request, env): Promise<Response> {
    const state = await createClerkClient({ env }).authenticateRequest(request, { acceptsToken: 'm2m_token' });
    return new Response(null, { status: state.isAuthenticated ? 204 : 401 });
  },
} satisfies ExportedHandler<Env>;
