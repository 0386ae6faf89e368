// Public error classes. The WASM side throws plain `Error`s tagged with `kind`/`code` and payload fields;
// lift.js turns them into these classes exactly once, at the package boundary.

export class ClerkError extends Error {
  constructor(message, options) {
    super(message, options);
    this.clerkError = true;
  }
}

/** A Backend API failure (non-2xx, undecodable body, network failure or timeout). */
export class ClerkAPIResponseError extends ClerkError {
  static kind = 'ClerkAPIResponseError';
  constructor(message, fields = {}, options) {
    super(message, options);
    this.name = 'ClerkAPIResponseError';
    this.code = 'api_response_error';
    this.status = fields.status;
    this.statusText = fields.statusText ?? '';
    this.errors = fields.errors ?? [];
    this.clerkTraceId = fields.clerkTraceId ?? '';
    this.retryAfter = fields.retryAfter;
  }
  toString() {
    const codes = this.errors.map((e) => e.code).join(', ');
    return `${this.name}: ${this.message}${this.status !== undefined ? ` (status ${this.status})` : ''}${codes ? ` [${codes}]` : ''}`;
  }
}

/** A machine token failed verification; `code` is one of the reference's four codes. */
export class MachineTokenVerificationError extends ClerkError {
  static kind = 'MachineTokenVerificationError';
  constructor(message, fields = {}, options) {
    super(message, options);
    this.name = 'MachineTokenVerificationError';
    this.code = fields.code;
    this.reason = fields.reason;
    this.action = fields.action;
    this.status = fields.status;
  }
  getFullMessage() {
    return `${this.message} (code=${this.code}, status=${this.status ?? 'n/a'})`;
  }
}

/** The client configuration cannot work (bad apiUrl, a secret over plain http, ...). */
export class ClerkConfigurationError extends ClerkError {
  static kind = 'ClerkConfigurationError';
  constructor(message, fields = {}, options) {
    super(message, options);
    this.name = 'ClerkConfigurationError';
    this.code = 'configuration-invalid';
  }
}

export function isClerkAPIResponseError(e) {
  return isInstance(e, ClerkAPIResponseError);
}

export function isMachineTokenVerificationError(e) {
  return isInstance(e, MachineTokenVerificationError);
}

/** `e instanceof Class`, but false where that throws (a revoked Proxy, or one whose getPrototypeOf trap throws). */
function isInstance(e, Class) {
  try {
    return e instanceof Class;
  } catch {
    return false;
  }
}
