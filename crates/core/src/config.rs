//! Client configuration, resolved once from explicit options, an env-like object and `process.env`.

use std::fmt;

/// A secret string (instance key, machine key, token) that never prints.
///
/// `Debug` and `Display` show only a redaction marker and the length, as jwt-compact does for keys.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret. Empty strings are allowed; callers treat them as absent via [`Secret::non_empty`].
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// `Some(secret)` when the value is non-empty (the reference treats `''` as "no key").
    pub fn non_empty(value: Option<String>) -> Option<Self> {
        value.filter(|v| !v.is_empty()).map(Self)
    }

    /// The secret itself, for the one place that must send it (an `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<redacted, {} chars>)", self.0.len())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Everything a client needs, after defaults have been applied.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Instance secret key (`sk_…`): list/revoke/verify, and the JWKS.
    pub secret_key: Option<Secret>,
    /// Machine secret key (`ak_…`): preferred for every M2M Backend API call (reference §1.3).
    pub machine_secret_key: Option<Secret>,
    /// Networkless JWT verification key: a PEM public key, a JWK or a JWKS (JSON text).
    pub jwt_key: Option<Secret>,
    /// Backend API base URL, default [`crate::DEFAULT_API_URL`].
    pub api_url: String,
    /// API version path segment, default [`crate::DEFAULT_API_VERSION`].
    pub api_version: String,
    /// `User-Agent` header value.
    pub user_agent: String,
    /// Per-request timeout for Backend API calls in milliseconds; `None` means no timeout.
    pub timeout_ms: Option<u32>,
    /// Send secret keys over plain `http://` to a host that is not loopback.
    pub allow_insecure_http: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            secret_key: None,
            machine_secret_key: None,
            jwt_key: None,
            api_url: crate::DEFAULT_API_URL.to_owned(),
            api_version: crate::DEFAULT_API_VERSION.to_owned(),
            user_agent: crate::default_user_agent(),
            timeout_ms: Some(30_000),
            allow_insecure_http: false,
        }
    }
}
