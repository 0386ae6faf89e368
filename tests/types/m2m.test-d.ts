// The public signatures match Clerk's documented backend SDK (reference §2–§3).
import {
  createClerkClient,
  type M2MToken,
  type PaginatedResourceResponse,
  type GetM2MTokenListParams,
  type CreateM2MTokenParams,
  type RevokeM2MTokenParams,
  type VerifyM2MTokenParams,
  type ClerkClient,
} from 'clerk-m2m-edge';
import { expectType } from './expect.js';

const clerkClient = createClerkClient({ secretKey: 'sk_test_x', machineSecretKey: 'ak_x', apiUrl: 'http://127.0.0.1:1' });
expectType<ClerkClient>()(clerkClient);
createClerkClient();
createClerkClient({ env: { CLERK_SECRET_KEY: 'sk' }, fetch: globalThis.fetch, timeoutMs: 1000 });
// sharedCache: automatic, off, or a Cache-like object; not a string.
createClerkClient({ secretKey: 'sk', sharedCache: false });
createClerkClient({ secretKey: 'sk', sharedCache: true });
declare const someCache: { match(request: string): Promise<Response | undefined>; put(request: string, response: Response): Promise<void> };
createClerkClient({ secretKey: 'sk', sharedCache: someCache });
createClerkClient({ secretKey: 'sk', machineTokenRateLimiter: true });
createClerkClient({ secretKey: 'sk', machineTokenRateLimiter: { burst: 20, refillPerSecond: 10, maxBuckets: 10000 } });
// @ts-expect-error the limiter's settings are numbers
createClerkClient({ secretKey: 'sk', machineTokenRateLimiter: { burst: '20' } });
// @ts-expect-error not a cache
createClerkClient({ secretKey: 'sk', sharedCache: 'default' });
// @ts-expect-error unknown option names are caught
createClerkClient({ secretkey: 'sk' });
// @ts-expect-error fetch must be a function
createClerkClient({ fetch: 'https://example.com' });

async function calls(machineId: string) {
  const page = await clerkClient.m2m.list({ subject: machineId });
  expectType<PaginatedResourceResponse<M2MToken[]>>()(page);
  expectType<M2MToken[]>()(page.data);
  expectType<number>()(page.totalCount);
  await clerkClient.m2m.list({ subject: machineId, revoked: true, expired: true });
  await clerkClient.m2m.list({ subject: machineId, limit: 20, offset: 0 });
  // @ts-expect-error subject is required
  await clerkClient.m2m.list({ limit: 20 });
  // @ts-expect-error revoked is a boolean
  await clerkClient.m2m.list({ subject: machineId, revoked: 'yes' });
  for await (const t of clerkClient.m2m.list({ subject: machineId })) expectType<M2MToken>()(t);

  const created = await clerkClient.m2m.createToken();
  expectType<M2MToken>()(created);
  expectType<string | undefined>()(created.token);
  await clerkClient.m2m.createToken({ tokenFormat: 'jwt' });
  await clerkClient.m2m.createToken({ machineSecretKey: 'ak_xxx' });
  await clerkClient.m2m.createToken({ secondsUntilExpiration: null, claims: { role: 'service' }, minRemainingTtlSeconds: 60 });
  // @ts-expect-error tokenFormat is 'opaque' | 'jwt'
  await clerkClient.m2m.createToken({ tokenFormat: 'pem' });
  // @ts-expect-error claims is an object
  await clerkClient.m2m.createToken({ claims: 'role=service' });

  const revoked = await clerkClient.m2m.revokeToken({ m2mTokenId: created.id, revocationReason: 'rotated' });
  expectType<boolean>()(revoked.revoked);
  expectType<string | null>()(revoked.revocationReason);
  // @ts-expect-error the id is required
  await clerkClient.m2m.revokeToken({ revocationReason: 'x' });

  const verified = await clerkClient.m2m.verify({ token: created.token! });
  expectType<string[]>()(verified.scopes);
  expectType<number | null>()(verified.expiration);
  expectType<Record<string, any> | null>()(verified.claims);
  await clerkClient.m2m.verify({ token: 'x', audience: ['mch_a'], clockSkewInMs: 0, signal: AbortSignal.timeout(10) });
  // The bare token (the 2.33.0 changelog's form) is accepted too: the same as verify({ token }).
  expectType<M2MToken>()(await clerkClient.m2m.verify('mt_abc'));
}
void calls;

// The param types are Clerk's names and accept Clerk's shapes.
expectType<string>()(({} as GetM2MTokenListParams).subject);
expectType<'opaque' | 'jwt' | undefined>()(({} as CreateM2MTokenParams).tokenFormat);
expectType<string>()(({} as RevokeM2MTokenParams).m2mTokenId);
expectType<string>()(({} as VerifyM2MTokenParams).token);

// A Worker's `Env` interface (what `wrangler types` generates) is accepted as `env` without a cast.
interface WorkerEnv {
  CLERK_SECRET_KEY?: string;
  CLERK_MACHINE_SECRET_KEY: string;
  KV: { get(key: string): Promise<string | null> };
}
declare const workerEnv: WorkerEnv;
expectType<ClerkClient>()(createClerkClient({ env: workerEnv }));
// @ts-expect-error env is an object, not a string
createClerkClient({ env: 'CLERK_SECRET_KEY=sk' });
