// Cold breakdown (lane 11): @clerk/backend, `createClerkClient({ jwtKey })` at the first request, then m2m.verify.
import { createClerkClient } from '@clerk/backend';
import { coldWorker } from './cold-common.js';

let client;
export default coldWorker(async (token, env) => {
  client ??= createClerkClient({ jwtKey: env.CLERK_JWT_KEY });
  return (await client.m2m.verify({ token })).subject;
});
