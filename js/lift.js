// Turns the tagged errors thrown by the WASM module into the public classes (internal; not exported).
import { ClerkAPIResponseError, ClerkConfigurationError, MachineTokenVerificationError } from './errors.js';

const classes = { ClerkAPIResponseError, MachineTokenVerificationError, ClerkConfigurationError };

/** Lifts a tagged error thrown by the WASM module into its public class; anything else passes through. */
export function liftError(e, signal) {
  if (e === null || typeof e !== 'object' || typeof e.kind !== 'string') return e;
  if (e.kind === 'AbortError') return signal?.reason ?? new DOMException('The operation was aborted.', 'AbortError');
  if (e.kind === 'TypeError') return new TypeError(e.message);
  const Class = classes[e.kind];
  if (!Class) return e;
  // A network failure carries the runtime's own error (never a key) as `cause`.
  const lifted = new Class(e.message, e, e.cause === undefined ? undefined : { cause: e.cause });
  if (Class === ClerkAPIResponseError) lifted.errors = (e.errors ?? []).map(liftApiError);
  return lifted;
}

function liftApiError(entry) {
  // Synthesised `unexpected_error` entries are plain {code, message}, as in the reference.
  if (entry.meta === undefined) return { code: entry.code, message: entry.message };
  return { code: entry.code, message: entry.message, longMessage: entry.longMessage, meta: entry.meta };
}

