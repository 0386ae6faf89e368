// Names a Clerk user reaches for: the runtime constants of `@clerk/backend/internal`, the changeset's `m2mTokens`,
// the options an existing `createClerkClient({...})` carries, and `undefined` wherever an option is optional
// (compiled with exactOptionalPropertyTypes and noUncheckedIndexedAccess, see check.mjs).
import {
  AuthStatus,
  TokenType,
  createClerkClient,
  type AuthenticateRequestOptions,
  type M2MToken,
  type RequestState,
} from 'clerk-m2m-edge';
import { expectType } from './expect.js';

expectType<'m2m_token'>()(TokenType.M2MToken);
expectType<'session_token'>()(TokenType.SessionToken);
expectType<'api_key'>()(TokenType.ApiKey);
expectType<'oauth_token'>()(TokenType.OAuthToken);
expectType<'signed-in'>()(AuthStatus.SignedIn);
expectType<'signed-out'>()(AuthStatus.SignedOut);
expectType<'handshake'>()(AuthStatus.Handshake);
// @ts-expect-error the constants are readonly
TokenType.M2MToken = 'm2m_token';

// An existing @clerk/backend configuration compiles unchanged; process.env values are `string | undefined`.
declare const env: Record<string, string | undefined>;
const clerk = createClerkClient({
  secretKey: env.CLERK_SECRET_KEY,
  machineSecretKey: env.CLERK_MACHINE_SECRET_KEY,
  publishableKey: env.CLERK_PUBLISHABLE_KEY,
  jwtKey: env.CLERK_JWT_KEY,
  apiUrl: env.CLERK_API_URL,
  domain: undefined,
  proxyUrl: undefined,
  isSatellite: false,
  audience: env.RECEIVER_MACHINE_ID,
});

async function handler(request: Request, receiver: string) {
  const options: AuthenticateRequestOptions = { acceptsToken: TokenType.M2MToken, authorizedParties: ['https://app.example.com'], audience: undefined };
  const state = await clerk.authenticateRequest(request, options);
  expectType<RequestState>()(state);
  if (state.status === AuthStatus.SignedIn) expectType<'signed-in'>()(state.status);
  // @ts-expect-error a machine request state is never a handshake
  if (state.status === AuthStatus.Handshake) return;
  // @ts-expect-error has() needs the scope
  state.toAuth().has({});
  expectType<boolean>()(state.toAuth().has({ scope: receiver }));

  // The changeset's names, typed as the m2m calls they are.
  expectType<M2MToken>()(await clerk.m2mTokens.create({ secondsUntilExpiration: 3600, machineSecretKey: env.CLERK_MACHINE_SECRET_KEY }));
  expectType<M2MToken>()(await clerk.m2mTokens.revoke({ m2mTokenId: 'mt_x', revocationReason: 'Revoked by user' }));
  expectType<M2MToken>()(await clerk.m2mTokens.verifySecret({ secret: 'mt_secret_x' }));
  expectType<M2MToken>()(await clerk.m2mTokens.verifyToken({ token: 'mt_secret_x' }));
  expectType<M2MToken>()(await clerk.m2m.verify('mt_secret_x'));
  // @ts-expect-error verifySecret takes `secret`, not `token`
  await clerk.m2mTokens.verifySecret({ token: 'mt_secret_x' });
}
void handler;
