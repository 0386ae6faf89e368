// The local Backend API: started here unless scripts/bench passes its start-up line in BENCH_BAPI.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export async function startBapi(root) {
  if (process.env.BENCH_BAPI) return { ...JSON.parse(process.env.BENCH_BAPI), stop: async () => {} };
  const child = spawn(join(root, 'scripts/local-bapi'), ['--port', '0', '--seed', '17'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  clearTimeout(timer);
  return {
    ...JSON.parse(line),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export async function admin(ctx, method, path, body) {
  const res = await fetch(`${ctx.url}/__admin${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`admin ${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** JWKS requests in the request log since the last clear. */
export async function jwksRequests(ctx) {
  return (await admin(ctx, 'GET', '/requests')).filter((r) => r.route === 'jwks').length;
}

/**
 * `count` distinct RS256 M2M JWTs minted by the Backend API (machine A, 1 h lifetime), `parallel` at a time
 * (4 000 tokens: ~24 s 4 at a time, ~12 s 16 at a time on 2 cores; the local API signs on its own threads).
 */
export async function mintTokens(ctx, count, parallel = 16) {
  const machine = ctx.machines[0];
  const out = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${ctx.url}/m2m_tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${machine.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token_format: 'jwt', seconds_until_expiration: 3600 }),
      });
      if (res.status !== 201) throw new Error(`mint: ${res.status} ${await res.text()}`);
      out[i] = (await res.json()).token;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  if (new Set(out).size !== count) throw new Error(`mint: ${count - new Set(out).size} duplicate tokens`);
  return out;
}
