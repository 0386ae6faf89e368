import {
  version, ClerkAPIResponseError, MachineTokenVerificationError, isClerkAPIResponseError,
  type MachineTokenVerificationErrorCode,
} from 'clerk-m2m-edge';
import { expectType } from './expect.js';

expectType<string>()(version());
// @ts-expect-error version takes no argument
version(1);

declare const e: unknown;
if (isClerkAPIResponseError(e)) {
  expectType<number | undefined>()(e.status);
  expectType<string>()(e.clerkTraceId);
  expectType<number | undefined>()(e.retryAfter);
  expectType<string | undefined>()(e.errors[0]?.code);
}
declare const v: MachineTokenVerificationError;
expectType<MachineTokenVerificationErrorCode>()(v.code);
expectType<string>()(v.getFullMessage());
// @ts-expect-error codes are a closed union
const bad: MachineTokenVerificationErrorCode = 'token-expired';
expectType<'ClerkAPIResponseError'>()(ClerkAPIResponseError.kind);
