// Package smoke tests: the package loads in this runtime and its WASM module answers.
import { assert } from './harness.js';

export function register(test, lib) {
  test('version() comes from the WASM module and matches semver', () => {
    assert.match(lib.version(), /^\d+\.\d+\.\d+$/);
  });

  test('error classes are exported with their stable kinds', () => {
    assert.equal(lib.ClerkAPIResponseError.kind, 'ClerkAPIResponseError');
    assert.equal(lib.MachineTokenVerificationError.kind, 'MachineTokenVerificationError');
    const e = new lib.MachineTokenVerificationError('Invalid M2M JWT category.', { code: 'token-invalid' });
    assert.ok(e instanceof Error);
    assert.equal(e.getFullMessage(), 'Invalid M2M JWT category. (code=token-invalid, status=n/a)');
  });
}
