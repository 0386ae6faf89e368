// Lane 6, Node: one fresh process per library (so every cache is cold). argv[2] = ours | clerk.
// 50 verifications of distinct tokens at once on a cold JWKS cache, then (warm) 100 tokens with unknown kids one
// after another; counts the JWKS requests each phase caused in the local Backend API's request log.
import { readFileSync } from 'node:fs';
import { withUnknownKid } from '../contenders.js';

const which = process.argv[2];
const { ctx, tokens, concurrent, flood } = JSON.parse(readFileSync(process.env.BENCH_INPUT_FILE, 'utf8'));
const lib = which === 'ours' ? await import('clerk-m2m-edge') : await import('@clerk/backend');
const client = lib.createClerkClient({ secretKey: ctx.secretKey, apiUrl: ctx.apiUrl });
const admin = (method, path) => fetch(`${ctx.apiUrl}/__admin${path}`, { method }).then((r) => r.json());
const jwksCount = async () => (await admin('GET', '/requests')).filter((r) => r.route === 'jwks').length;

await admin('DELETE', '/requests');
let t0 = performance.now();
const cold = await Promise.allSettled(tokens.slice(0, concurrent).map((token) => client.m2m.verify({ token })));
const coldMs = performance.now() - t0;
const coldJwks = await jwksCount();

await admin('DELETE', '/requests');
const forged = Array.from({ length: flood }, (_, i) => withUnknownKid(tokens[i % tokens.length], i));
t0 = performance.now();
let rejected = 0;
for (const token of forged) await client.m2m.verify({ token }).catch(() => rejected++);
const floodMs = performance.now() - t0;
const floodJwks = await jwksCount();
console.log('RESULT ' + JSON.stringify({
  coldJwks, coldOk: cold.filter((r) => r.status === 'fulfilled').length, coldMs, floodJwks, floodRejected: rejected, floodMs,
}));
