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

  test('TokenType and AuthStatus have the values of @clerk/backend/internal, frozen', () => {
    assert.deepEqual({ ...lib.TokenType }, { SessionToken: 'session_token', ApiKey: 'api_key', M2MToken: 'm2m_token', OAuthToken: 'oauth_token' });
    assert.deepEqual({ ...lib.AuthStatus }, { SignedIn: 'signed-in', SignedOut: 'signed-out', Handshake: 'handshake' });
    assert.ok(Object.isFrozen(lib.TokenType) && Object.isFrozen(lib.AuthStatus));
  });

  test('options a @clerk/backend client carries for sessions are accepted and ignored', () => {
    const client = lib.createClerkClient({ secretKey: 'sk_test_x', publishableKey: 'pk_test_eA', domain: 'example.com', proxyUrl: 'https://example.com/__clerk', isSatellite: false, apiUrl: 'https://api.clerk.test' });
    assert.equal(typeof client.m2m.verify, 'function');
  });
}
