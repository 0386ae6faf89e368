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
