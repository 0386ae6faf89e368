/** The package version. */
export declare function version(): string;

export declare class ClerkError extends Error {
  readonly clerkError: true;
}

/** One entry of a Backend API error response. */
export interface ClerkAPIError {
  code: string;
  message: string;
  longMessage?: string;
  meta?: {
    paramName?: string;
    sessionId?: string;
    emailAddresses?: string[];
    identifiers?: string[];
    zxcvbn?: unknown;
    plan?: unknown;
    isPlanUpgradePossible?: boolean;
    seatsQuantityToAdd?: number;
    seatsQuantity?: number;
  };
}

/** A Backend API failure: non-2xx, undecodable body, network failure or timeout. */
export declare class ClerkAPIResponseError extends ClerkError {
  static readonly kind: 'ClerkAPIResponseError';
  readonly name: 'ClerkAPIResponseError';
  readonly code: 'api_response_error';
  readonly status: number | undefined;
  readonly statusText: string;
  readonly errors: ClerkAPIError[];
  readonly clerkTraceId: string;
  readonly retryAfter: number | undefined;
}

export type MachineTokenVerificationErrorCode =
  | 'token-invalid'
  | 'token-verification-failed'
  | 'secret-key-invalid'
  | 'unexpected-error';

/** A machine token failed verification. */
export declare class MachineTokenVerificationError extends ClerkError {
  static readonly kind: 'MachineTokenVerificationError';
  readonly name: 'MachineTokenVerificationError';
  readonly code: MachineTokenVerificationErrorCode;
  /** A finer-grained kebab-case reason, e.g. `expired` or `unknown-kid`. */
  readonly reason: string | undefined;
  readonly action: string | undefined;
  readonly status: number | undefined;
  getFullMessage(): string;
}

/** The client configuration cannot work (bad apiUrl, a secret over plain http, ...). */
export declare class ClerkConfigurationError extends ClerkError {
  static readonly kind: 'ClerkConfigurationError';
  readonly name: 'ClerkConfigurationError';
  readonly code: 'configuration-invalid';
}

export declare function isClerkAPIResponseError(e: unknown): e is ClerkAPIResponseError;
export declare function isMachineTokenVerificationError(e: unknown): e is MachineTokenVerificationError;

/** A machine-to-machine token (reference §3). Timestamps are Unix milliseconds. */
export interface M2MToken {
  readonly id: string;
  readonly subject: string;
  readonly scopes: string[];
  readonly claims: Record<string, any> | null;
  readonly revoked: boolean;
  readonly revocationReason: string | null;
  readonly expired: boolean;
  readonly expiration: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The token itself: present on `createToken` (opaque `mt_…` or a JWT). */
  readonly token?: string;
}

export interface PaginatedResourceResponse<T> {
  data: T;
  totalCount: number;
}

/** Per-call options every method accepts beyond Clerk's own parameters. */
export interface CallOptions {
  /** Aborts the call; the promise rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Overrides the client's `timeoutMs` for this call (0 = none). */
  timeoutMs?: number | undefined;
}

export type GetM2MTokenListParams = {
  /** The machine whose tokens to list (`mch_…`). */
  subject: string;
  machineSecretKey?: string | undefined;
  /** Include revoked tokens (default false). */
  revoked?: boolean | undefined;
  /** Include expired tokens (default false). */
  expired?: boolean | undefined;
  /** Page size, 1–100 (default 10). */
  limit?: number | undefined;
  /** Tokens to skip (default 0). */
  offset?: number | undefined;
} & CallOptions;

export type CreateM2MTokenParams = {
  machineSecretKey?: string | undefined;
  /** Default `'opaque'`. */
  tokenFormat?: 'opaque' | 'jwt' | undefined;
  /** Lifetime in seconds; `null` (the default) means the token never expires. */
  secondsUntilExpiration?: number | null | undefined;
  claims?: Record<string, unknown> | null | undefined;
  /** Reuse a live opaque token with identical claims and scopes that has at least this many seconds left. */
  minRemainingTtlSeconds?: number | null | undefined;
} & CallOptions;

export type RevokeM2MTokenParams = {
  /** The token's id (`mt_…`), not the token itself. */
  m2mTokenId: string;
  revocationReason?: string | null | undefined;
  machineSecretKey?: string | undefined;
} & CallOptions;

export type VerifyM2MTokenParams = {
  /** An opaque `mt_…` token or a JWT-format M2M token. */
  token: string;
  machineSecretKey?: string | undefined;
  /** JWTs: the token's `aud` must contain one of these (e.g. the receiving machine's id). */
  audience?: string | string[] | undefined;
  /** JWTs: tolerated clock difference in ms (default 5000). */
  clockSkewInMs?: number | undefined;
  /** JWTs: fetch the JWKS even when cached keys are fresh. */
  skipJwksCache?: boolean | undefined;
} & CallOptions;

/** What `m2m.list()` returns: await it for one page, or iterate it for every token on every page. */
export type M2MTokenListPromise = Promise<PaginatedResourceResponse<M2MToken[]>> & AsyncIterable<M2MToken>;

export interface M2MTokenApi {
  list(queryParams: GetM2MTokenListParams): M2MTokenListPromise;
  /** Every token matching the filters, page after page. */
  listAll(queryParams: GetM2MTokenListParams): AsyncIterableIterator<M2MToken>;
  createToken(params?: CreateM2MTokenParams): Promise<M2MToken>;
  revokeToken(params: RevokeM2MTokenParams): Promise<M2MToken>;
  verify(params: VerifyM2MTokenParams): Promise<M2MToken>;
  /** The token alone: the same as `verify({ token })`. */
  verify(token: string): Promise<M2MToken>;
}

/** `m2mTokens.verifySecret` params: `secret` is the token to verify. */
export type VerifyM2MTokenSecretParams = Omit<VerifyM2MTokenParams, 'token'> & {
  /** The M2M token to verify (opaque `mt_…` or JWT). */
  secret: string;
};

/** The names of the `@clerk/backend` changeset that introduced M2M tokens, kept for code written against it. */
export interface M2MTokensApi {
  /** @deprecated Use `m2m.createToken(params)`: the same call. */
  create(params?: CreateM2MTokenParams): Promise<M2MToken>;
  /** @deprecated Use `m2m.revokeToken(params)`: the same call. */
  revoke(params: RevokeM2MTokenParams): Promise<M2MToken>;
  /** @deprecated Use `m2m.verify({ token })`: the same call, with `secret` as `token`. */
  verifySecret(params: VerifyM2MTokenSecretParams): Promise<M2MToken>;
  /** @deprecated Use `m2m.verify(params)`: the same call. */
  verifyToken(params: VerifyM2MTokenParams): Promise<M2MToken>;
  /** @deprecated Use `m2m.verify(token)`: the same call. */
  verifyToken(token: string): Promise<M2MToken>;
}

/** A machine (`clerkClient.machines`); keys in the order of `@clerk/backend`'s `Machine`. */
export interface Machine {
  /** `mch_…`. */
  readonly id: string;
  readonly name: string;
  /** The instance it belongs to (`ins_…`). */
  readonly instanceId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The machines it may call (nested machines list none). */
  readonly scopedMachines: Machine[];
  /**
   * The lifetime in seconds of its tokens when `secondsUntilExpiration` is not given. Typed as `@clerk/backend`
   * types it; absent when the Backend API leaves `default_token_ttl` out.
   */
  readonly defaultTokenTtl: number;
  /** Its secret key (`ak_…`): only in the result of `create`. */
  readonly secretKey?: string;
}

/** A machine scope: `fromMachineId` may call `toMachineId`. */
export interface MachineScope {
  readonly fromMachineId: string;
  readonly toMachineId: string;
  /** Absent in the result of `deleteScope`. */
  readonly createdAt?: number;
  /** `true` in the result of `deleteScope`. */
  readonly deleted?: boolean;
}

/** A machine's secret key. */
export interface MachineSecretKey {
  /** `ak_…`. */
  readonly secret: string;
}

/** What `machines.delete` resolves to, as `@clerk/backend` builds it from the Backend API's answer. */
export interface DeletedObject {
  /** `'machine'`. */
  readonly object: string;
  readonly id: string | null;
  readonly slug: string | null;
  readonly deleted: boolean;
}

export type GetMachineListParams = {
  /** Page size, 1–500 (the Backend API's default is 10). */
  limit?: number | undefined;
  /** Machines to skip. */
  offset?: number | undefined;
  /** An exact machine id, or part of a name. */
  query?: string | undefined;
  /** Default `'-created_at'` (newest first); no sign means `+`. */
  orderBy?: 'name' | '+name' | '-name' | 'created_at' | '+created_at' | '-created_at' | undefined;
} & CallOptions;

export type CreateMachineParams = {
  /** 1–255 characters. */
  name: string;
  /** Ids of the machines the new machine may call (at most 150). */
  scopedMachines?: string[] | undefined;
  /** The default lifetime in seconds of its tokens (at least 1). */
  defaultTokenTtl?: number | undefined;
} & CallOptions;

export type UpdateMachineParams = {
  machineId: string;
  name?: string | undefined;
  defaultTokenTtl?: number | undefined;
} & CallOptions;

export type RotateMachineSecretKeyParams = {
  machineId: string;
  /** How long in seconds the previous key keeps working, 0–28800 (0: it stops at once). */
  previousTokenTtl: number;
} & CallOptions;

/** What `machines.list()` returns: await it for one page, or iterate it for every machine on every page. */
export type MachineListPromise = Promise<PaginatedResourceResponse<Machine[]>> & AsyncIterable<Machine>;

/**
 * `clerkClient.machines`, as `@clerk/backend`'s `MachineApi`; every call needs the instance `secretKey`. The calls
 * that take ids accept the per-call `signal` and `timeoutMs` as an optional last argument.
 */
export interface MachineApi {
  get(machineId: string, options?: CallOptions): Promise<Machine>;
  /** Newest first by default. */
  list(queryParams?: GetMachineListParams): MachineListPromise;
  /** The result carries the new machine's `secretKey`. */
  create(bodyParams: CreateMachineParams): Promise<Machine>;
  update(params: UpdateMachineParams): Promise<Machine>;
  /** `@clerk/backend` types this `Promise<Machine>`; the Backend API answers, and both packages return, a `DeletedObject`. */
  delete(machineId: string, options?: CallOptions): Promise<DeletedObject>;
  getSecretKey(machineId: string, options?: CallOptions): Promise<MachineSecretKey>;
  /** A new secret key; the previous one keeps working for `previousTokenTtl` seconds. */
  rotateSecretKey(params: RotateMachineSecretKeyParams): Promise<MachineSecretKey>;
  /** `machineId` may call `toMachineId` from now on. */
  createScope(machineId: string, toMachineId: string, options?: CallOptions): Promise<MachineScope>;
  /** `machineId` may no longer call `otherMachineId`; resolves to that scope with `deleted: true`. */
  deleteScope(machineId: string, otherMachineId: string, options?: CallOptions): Promise<MachineScope>;
}

/** Environment variables the client reads (explicit options win). */
export interface ClerkEnv {
  CLERK_SECRET_KEY?: string | undefined;
  CLERK_MACHINE_SECRET_KEY?: string | undefined;
  CLERK_API_URL?: string | undefined;
  CLERK_API_VERSION?: string | undefined;
  CLERK_JWT_KEY?: string | undefined;
  [name: string]: unknown;
}

/** What `sharedCache` needs of a Cache API `Cache` (Workers' `caches.default`, or one from `caches.open`). */
export interface SharedCache {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
}

export interface ClerkOptions {
  /** Instance secret key (`sk_…`): list/revoke/verify, and the JWKS for JWT verification. */
  secretKey?: string | undefined;
  /** Machine secret key (`ak_…`): preferred for every M2M call; required by `createToken`. */
  machineSecretKey?: string | undefined;
  /** Networkless JWT verification: a PEM public key, a JWK or a JWKS (JSON text). */
  jwtKey?: string | undefined;
  /** Default `https://api.clerk.com`. */
  apiUrl?: string | undefined;
  /** JWKS path segment, default `v1`. */
  apiVersion?: string | undefined;
  /** Default `clerk-m2m-edge@<version>`. */
  userAgent?: string | undefined;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof globalThis.fetch | undefined;
  /**
   * Where the instance JWKS is shared between isolates. Default (or `true`): Workers' `caches.default` where it
   * exists, nowhere elsewhere; `false`: per isolate only; or a `Cache` (e.g. `await caches.open('clerk')`).
   * Entries are keyed by the API URL, the API version and a SHA-256 of the secret key, and trusted only with a
   * valid HMAC-SHA256 under a key derived from the secret key; a cache that fails is skipped (docs/compat.md).
   */
  sharedCache?: boolean | SharedCache | undefined;
  /** An env-like object, e.g. a Worker's `env`; read after the explicit options, before `process.env`. */
  env?: ClerkEnv | object | undefined;
  /** Timeout for each Backend API request in ms (default 30000; 0 = none). */
  timeoutMs?: number | undefined;
  /** Retries of `list` on 429/5xx/network errors. */
  retry?: boolean | { maxAttempts?: number | undefined; baseDelayMs?: number | undefined; maxDelayMs?: number | undefined; budgetMs?: number | undefined } | undefined;
  /** Allow sending a secret key over plain http to a host that is not loopback (default false). */
  allowInsecureHttp?: boolean | undefined;
  /** JWT verification defaults. */
  clockSkewInMs?: number | undefined;
  audience?: string | string[] | undefined;
  jwksCacheTtlMs?: number | undefined;
  jwksCooldownMs?: number | undefined;
  jwksTimeoutMs?: number | undefined;
  jwksStaleIfErrorMs?: number | undefined;
  verifiedTokenCacheSize?: number | undefined;
  /**
   * How long (ms) a definitive "not found / revoked / expired" answer of `POST /m2m_tokens/verify` (404) for an
   * opaque token is remembered per client and replayed as the same `ClerkAPIResponseError` without a request.
   * Default 60000; 0 turns it off. Transient failures (network, timeout, 429, 5xx) and key errors (401/403) are
   * never cached. At most 10000 answers are kept, oldest out; entries are keyed by a SHA-256 of token and key.
   */
  opaqueNegativeCacheTtlMs?: number | undefined;
  /**
   * How long (ms) a successful opaque-token verification is remembered per client (never past the token's
   * `expiration`). Default 0 (off): when on, a token revoked at Clerk keeps verifying here for up to this long.
   */
  opaqueTokenCacheTtlMs?: number | undefined;
  /**
   * Off by default. When on, `authenticateRequest` limits, per client IP (`CF-Connecting-IP`, else the first
   * `X-Forwarded-For` entry; requests with neither share one bucket), the verifications that must reach the Backend
   * API (opaque tokens no cached answer covers): a token bucket of `burst` (20) refilled at `refillPerSecond` (10),
   * for at most `maxBuckets` (10000) IPs, oldest out. Over the limit: a signed-out state with reason
   * `machine-token-rate-limited` and no Backend API call. Local JWT verifications are never limited.
   */
  machineTokenRateLimiter?: boolean | { burst?: number | undefined; refillPerSecond?: number | undefined; maxBuckets?: number | undefined } | undefined;
  /**
   * Options a `@clerk/backend` client carries that do not apply to M2M tokens: accepted, so an existing
   * `createClerkClient({...})` compiles and runs unchanged, and ignored (docs/compat.md).
   */
  publishableKey?: string | undefined;
  /** Ignored: satellite domains concern session tokens (docs/compat.md). */
  domain?: string | undefined;
  /** Ignored: the Frontend API proxy concerns session tokens (docs/compat.md). */
  proxyUrl?: string | undefined;
  /** Ignored: satellite apps concern session tokens (docs/compat.md). */
  isSatellite?: boolean | undefined;
}

export interface ClerkClient {
  m2m: M2MTokenApi;
  /** @deprecated The changeset's names for `m2m`: use `m2m.createToken`, `m2m.revokeToken` and `m2m.verify`. */
  m2mTokens: M2MTokensApi;
  /** Machines, their scopes and their secret keys (instance `secretKey` only). */
  machines: MachineApi;
}

export declare function createClerkClient(options?: ClerkOptions): ClerkClient;

/** The token types, as `@clerk/backend/internal` exports them. */
export declare const TokenType: {
  readonly SessionToken: 'session_token';
  readonly ApiKey: 'api_key';
  readonly M2MToken: 'm2m_token';
  readonly OAuthToken: 'oauth_token';
};
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

/** The request states, as `@clerk/backend/internal` exports them (`handshake` never happens for machine tokens). */
export declare const AuthStatus: {
  readonly SignedIn: 'signed-in';
  readonly SignedOut: 'signed-out';
  readonly Handshake: 'handshake';
};
export type AuthStatus = (typeof AuthStatus)[keyof typeof AuthStatus];

export interface AuthenticateRequestOptions {
  /** Which token types to accept; default `'session_token'` as in Clerk (use `'m2m_token'`). */
  acceptsToken?: TokenType | 'any' | TokenType[] | undefined;
  secretKey?: string | undefined;
  machineSecretKey?: string | undefined;
  /** Enough on its own for JWT-format M2M tokens (networkless). */
  jwtKey?: string | undefined;
  /** JWTs: require `aud` to contain one of these (e.g. this receiving machine's id). */
  audience?: string | string[] | undefined;
  clockSkewInMs?: number | undefined;
  skipJwksCache?: boolean | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Accepted for session-token code; not applied to machine tokens, as in `@clerk/backend` 3.25 (its 3.16 releases
   * applied it and so refused every M2M JWT, which carries no `azp`). docs/compat.md.
   */
  authorizedParties?: string[] | undefined;
}

/** The `toAuth()` object of a machine request. */
export interface MachineAuthObject {
  id: string | null;
  subject: string | null;
  scopes: string[] | null;
  claims: Record<string, any> | null;
  /** The sending machine (equals `subject`). */
  machineId: string | null;
  tokenType: TokenType | null;
  isAuthenticated: boolean;
  getToken(): Promise<string | null>;
  /** `has({ scope })`: the token's scopes contain that machine id (Clerk's `has()` is always false for machines). */
  /** A missing, empty or non-string `scope` is a TypeError (a misconfigured check must not quietly answer 403). */
  has(params: { scope: string }): boolean;
  debug(): { tokenType: TokenType | null; isAuthenticated: boolean; subject: string | null; reason: string | null };
}

export interface RequestState {
  status: Exclude<AuthStatus, 'handshake'>;
  isAuthenticated: boolean;
  /** @deprecated use isAuthenticated */
  isSignedIn: boolean;
  tokenType: TokenType | null;
  /** Signed out: `No token in header`, `token-type-mismatch`, `token-type-unsupported` or a verification code. */
  reason: string | null;
  /** Signed out: `''` or `<message> (code=<code>, status=<status or n/a>)`. */
  message: string | null;
  /** The raw bearer token when signed in. */
  token: string | null;
  /** Signed out: `x-clerk-auth-status`, `x-clerk-auth-reason`, `x-clerk-auth-message`. */
  headers: Headers;
  proxyUrl: string;
  publishableKey: string;
  domain: string;
  signInUrl: string;
  signUpUrl: string;
  afterSignInUrl: string;
  afterSignUpUrl: string;
  isSatellite: boolean;
  toAuth(): MachineAuthObject;
}

export interface ClerkClient {
  authenticateRequest(request: Request, options?: AuthenticateRequestOptions): Promise<RequestState>;
}
