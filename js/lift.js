// Turns the tagged errors thrown by the WASM module into the public classes (internal; not exported).
import { ClerkAPIResponseError, ClerkConfigurationError, MachineTokenVerificationError } from './errors.js';

const classes = { ClerkAPIResponseError, MachineTokenVerificationError, ClerkConfigurationError };

/**
 * Lifts a tagged error thrown by the WASM module into its public class; anything else passes through. An abort is
 * the reason of `signal` (the call's), or an `AbortError`. Never throws, whatever `e` and `signal` are.
 */
export function liftError(e, signal) {
  const kind = kindOf(e);
  if (kind === 'AbortError') return reasonOf(signal) ?? new DOMException('The operation was aborted.', 'AbortError');
  if (kind === 'TypeError') return new TypeError(e.message);
  const Class = kind !== undefined && Object.hasOwn(classes, kind) ? classes[kind] : undefined;
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

/** `e.kind` when `e` is an object whose `kind` is a string (a tagged error); read without letting a Proxy throw. */
function kindOf(e) {
  try {
    return e !== null && typeof e === 'object' && typeof e.kind === 'string' ? e.kind : undefined;
  } catch {
    return undefined;
  }
}

/** `signal.reason`, or undefined (also when a getter or Proxy trap throws: then the call gets an AbortError). */
function reasonOf(signal) {
  try {
    return signal?.reason;
  } catch {
    return undefined;
  }
}
