// Runtime constants with the values `@clerk/backend/internal` exports, for code written against it.

/** The token types `authenticateRequest` tells apart (`acceptsToken`, `RequestState.tokenType`). */
export const TokenType = Object.freeze({
  SessionToken: 'session_token',
  ApiKey: 'api_key',
  M2MToken: 'm2m_token',
  OAuthToken: 'oauth_token',
});

/** The request states (`RequestState.status`); `handshake` never happens for machine tokens. */
export const AuthStatus = Object.freeze({
  SignedIn: 'signed-in',
  SignedOut: 'signed-out',
  Handshake: 'handshake',
});
