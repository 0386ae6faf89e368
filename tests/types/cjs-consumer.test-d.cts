// A CommonJS TypeScript consumer (`module: node16`): `require('clerk-m2m-edge')` must get the CommonJS
// declarations (exports["."].types.node.require → index.d.cts). Were it handed the ESM index.d.ts, tsc would
// reject both imports below (TS1479: a CommonJS module cannot `require` an ECMAScript module), and check.mjs
// also asserts that index.d.cts, not index.d.ts, is among the files this project compiles.
import clerk = require('clerk-m2m-edge');
import { createClerkClient, ClerkAPIResponseError, type ClerkClient, type M2MToken, type Machine } from 'clerk-m2m-edge';
import { expectType } from './expect.js';

expectType<string>()(clerk.version());
// `import =` and named imports are the same module.exports: one set of declarations.
expectType<typeof createClerkClient>()(clerk.createClerkClient);
expectType<typeof ClerkAPIResponseError>()(clerk.ClerkAPIResponseError);

const client = clerk.createClerkClient({ secretKey: 'sk_test_x', apiUrl: 'http://127.0.0.1:1' });
expectType<ClerkClient>()(client);
// @ts-expect-error unknown option names are caught here too
createClerkClient({ secretkey: 'sk' });

async function calls() {
  const verified = await client.m2m.verify({ token: 'mt_x' });
  expectType<M2MToken>()(verified);
  expectType<string[]>()(verified.scopes);
  const page = await client.m2m.list({ subject: 'mch_x' });
  expectType<number>()(page.totalCount);
  // @ts-expect-error subject is required
  await client.m2m.list({ limit: 20 });
  expectType<Machine>()(await client.machines.get('mch_x'));
}
void calls;

declare const e: unknown;
if (e instanceof clerk.ClerkAPIResponseError) expectType<number | undefined>()(e.status);
if (clerk.isMachineTokenVerificationError(e)) expectType<clerk.MachineTokenVerificationErrorCode>()(e.code);
// @ts-expect-error the package has no default export, in CommonJS either
void clerk.default;
