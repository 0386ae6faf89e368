import { createClerkClient } from 'clerk-m2m-edge';

const missing = ['CLERK_MACHINE_SECRET_KEY', 'CLERK_SECRET_KEY', 'RECEIVER_MACHINE_ID'].filter((name) => !process.env[name]);
if (missing.length > 0) throw new Error(`Environment variables not set: ${missing.join(', ')}`);

// Sender: a machine secret key (ak_…) mints a token for the machines it may call, here a JWT valid for 5 minutes.
const sender = createClerkClient({ machineSecretKey: process.env.CLERK_MACHINE_SECRET_KEY });
const { token } = await sender.m2m.createToken({ tokenFormat: 'jwt', secondsUntilExpiration: 300 });
if (!token) throw new Error('createToken returned no token');

// Receiver: the instance secret key (sk_…) fetches the JWKS once; the JWT is then verified locally, in WASM.
const receiver = createClerkClient({ secretKey: process.env.CLERK_SECRET_KEY });
const verified = await receiver.m2m.verify({ token, audience: process.env.RECEIVER_MACHINE_ID });
console.log(`verified: ${verified.subject} may call ${verified.scopes.join(', ')}`);
