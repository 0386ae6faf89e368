//! Options of local JWT verification: client-level [`JwtOptions`] (read from the same client options object
//! as [`crate::ClientConfig::resolve`]) and per-call [`VerifyCallOptions`].

use serde_json::{Map, Value};

use super::cache::VerifiedTokenCache;
use crate::error::Error;
use crate::opaque_cache::{OpaqueCache, DEFAULT_NEGATIVE_TTL_MS, DEFAULT_POSITIVE_TTL_MS};
use crate::validate::{as_safe_integer, MAX_TIMEOUT_MS};

/// Default JWKS cache lifetime (the reference's 300 s).
pub const DEFAULT_JWKS_CACHE_TTL_MS: u64 = 300_000;
/// Default unknown-kid cooldown (as jose's `createRemoteJWKSet`).
pub const DEFAULT_JWKS_COOLDOWN_MS: u64 = 30_000;
/// Default timeout of one JWKS request.
pub const DEFAULT_JWKS_TIMEOUT_MS: u32 = 5_000;
/// Default stale-if-error grace: how long past its TTL a key set keeps serving while refreshes fail.
pub const DEFAULT_JWKS_STALE_IF_ERROR_MS: u64 = 3_600_000;
/// Default capacity of the verified-token cache.
pub const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE: usize = 1000;
/// Largest accepted `verifiedTokenCacheSize`.
pub const MAX_VERIFIED_TOKEN_CACHE_SIZE: usize = 100_000;
/// Largest accepted value of the millisecond durations (a week).
const MAX_DURATION_MS: u64 = 7 * 24 * 3_600_000;

/// Client-level options of local JWT verification.
///
/// Create it **once per client** (next to its [`crate::ClientConfig`]): it owns the client's verified-token
/// cache, which is shared by clones. The JWKS cache is process-wide (scoped by apiUrl, apiVersion and
/// secretKey) and does not live here.
#[derive(Debug, Clone)]
pub struct JwtOptions {
    /// `jwksCacheTtlMs`: how long a fetched JWKS counts as fresh. `0` fetches on every verification.
    pub jwks_cache_ttl_ms: u64,
    /// `jwksCooldownMs`: after an unknown kid caused a refetch, further unknown kids fail (E4) without a
    /// request for this long.
    pub jwks_cooldown_ms: u64,
    /// `jwksTimeoutMs`: timeout of one JWKS request, and the bound for waiting on another caller's fetch.
    pub jwks_timeout_ms: u32,
    /// `jwksStaleIfErrorMs`: how long past the TTL cached keys keep serving while refreshes fail.
    pub jwks_stale_if_error_ms: u64,
    /// `clockSkewInMs`: `None` (or a non-finite number) means the reference's 5000.
    pub clock_skew_in_ms: Option<f64>,
    /// `audience`: when non-empty, the token's `aud` must share an entry with it.
    pub audience: Vec<String>,
    /// The verified-token cache (`verifiedTokenCacheSize` entries, 0 disables it).
    pub verified_tokens: VerifiedTokenCache,
    /// Opaque-token single flight and caches (`opaqueNegativeCacheTtlMs`, `opaqueTokenCacheTtlMs`).
    pub opaque: OpaqueCache,
    /// `machineTokenRateLimiter` (off by default): `authenticateRequest`'s limit per client IP on verifications
    /// that must reach the Backend API.
    pub rate_limiter: Option<crate::rate_limit::RateLimiter>,
}

impl Default for JwtOptions {
    fn default() -> Self {
        Self {
            jwks_cache_ttl_ms: DEFAULT_JWKS_CACHE_TTL_MS,
            jwks_cooldown_ms: DEFAULT_JWKS_COOLDOWN_MS,
            jwks_timeout_ms: DEFAULT_JWKS_TIMEOUT_MS,
            jwks_stale_if_error_ms: DEFAULT_JWKS_STALE_IF_ERROR_MS,
            clock_skew_in_ms: None,
            audience: Vec::new(),
            verified_tokens: VerifiedTokenCache::new(DEFAULT_VERIFIED_TOKEN_CACHE_SIZE),
            opaque: OpaqueCache::default(),
            rate_limiter: None,
        }
    }
}

fn bad(message: String) -> Error {
    Error::invalid_argument(message)
}

/// A non-negative integer number of ms up to `max` (`null`/absent → `None`).
fn duration(map: &Map<String, Value>, key: &str, min: u64, max: u64) -> Result<Option<u64>, Error> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => as_safe_integer(v)
            .and_then(|n| u64::try_from(n).ok())
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                let (min, max) = (
                    itoa::Buffer::new().format(min).to_owned(),
                    itoa::Buffer::new().format(max).to_owned(),
                );
                bad([key, " must be an integer between ", &min, " and ", &max].concat())
            }),
    }
}

/// The options where a non-finite number (`NaN`, `±Infinity`, which JSON cannot hold) means "not given", as the
/// reference's `clockSkewInMs` falls back to 5000 for them (§4.3). A binding converting JS values drops such a
/// top-level key instead of refusing it; anywhere else a non-finite number is a `TypeError`.
pub const NON_FINITE_MEANS_UNSET: [&str; 1] = ["clockSkewInMs"];

/// `clockSkewInMs`: any finite number, negative ones included (they make the checks stricter), as upstream;
/// other types are refused.
fn clock_skew(map: &Map<String, Value>) -> Result<Option<f64>, Error> {
    match map.get("clockSkewInMs") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(bad("clockSkewInMs must be a number".to_owned())),
    }
}

/// `audience`: a string or an array of strings; empty entries are dropped (upstream drops falsy ones).
fn audience(map: &Map<String, Value>) -> Result<Option<Vec<String>>, Error> {
    const SHAPE: &str = "audience must be a string or an array of strings";
    match map.get("audience") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(
            Some(s.clone())
                .filter(|s| !s.is_empty())
                .into_iter()
                .collect(),
        )),
        Some(Value::Array(items)) => items
            .iter()
            .filter(|v| !matches!(v, Value::String(s) if s.is_empty()))
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(SHAPE.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(bad(SHAPE.to_owned())),
    }
}

fn object<'a>(what: &str, v: &'a Value) -> Result<Option<&'a Map<String, Value>>, Error> {
    match v {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        _ => Err(bad([what, " must be an object"].concat())),
    }
}

impl JwtOptions {
    /// Reads `jwksCacheTtlMs`, `jwksCooldownMs`, `jwksTimeoutMs`, `jwksStaleIfErrorMs`,
    /// `verifiedTokenCacheSize`, `opaqueNegativeCacheTtlMs`, `opaqueTokenCacheTtlMs`, `clockSkewInMs` and
    /// `audience` from the client options object (other
    /// keys are ignored: [`crate::ClientConfig::resolve`] reads them). `null` or absent means the default;
    /// a value of the wrong type or out of range is an [`Error::InvalidArgument`].
    ///
    /// ```
    /// use clerk_m2m_core::jwt::JwtOptions;
    /// use serde_json::json;
    /// let o = JwtOptions::from_client_options(&json!({
    ///     "secretKey": "sk_test_x", "jwksCacheTtlMs": 60000, "audience": "mch_me"
    /// })).unwrap();
    /// assert_eq!(o.jwks_cache_ttl_ms, 60_000);
    /// assert_eq!(o.audience, ["mch_me"]);
    /// assert!(JwtOptions::from_client_options(&json!({ "jwksTimeoutMs": "5s" })).is_err());
    /// ```
    pub fn from_client_options(options: &Value) -> Result<Self, Error> {
        let mut out = Self::default();
        let Some(map) = object("options", options)? else {
            return Ok(out);
        };
        if let Some(v) = duration(map, "jwksCacheTtlMs", 0, MAX_DURATION_MS)? {
            out.jwks_cache_ttl_ms = v;
        }
        if let Some(v) = duration(map, "jwksCooldownMs", 0, MAX_DURATION_MS)? {
            out.jwks_cooldown_ms = v;
        }
        if let Some(v) = duration(map, "jwksTimeoutMs", 1, u64::from(MAX_TIMEOUT_MS))? {
            out.jwks_timeout_ms = u32::try_from(v).unwrap_or(MAX_TIMEOUT_MS);
        }
        if let Some(v) = duration(map, "jwksStaleIfErrorMs", 0, MAX_DURATION_MS)? {
            out.jwks_stale_if_error_ms = v;
        }
        if let Some(v) = duration(
            map,
            "verifiedTokenCacheSize",
            0,
            MAX_VERIFIED_TOKEN_CACHE_SIZE as u64,
        )? {
            out.verified_tokens = VerifiedTokenCache::new(usize::try_from(v).unwrap_or(0));
        }
        let negative = duration(map, "opaqueNegativeCacheTtlMs", 0, MAX_DURATION_MS)?;
        let positive = duration(map, "opaqueTokenCacheTtlMs", 0, MAX_DURATION_MS)?;
        if negative.is_some() || positive.is_some() {
            out.opaque = OpaqueCache::new(
                negative.unwrap_or(DEFAULT_NEGATIVE_TTL_MS),
                positive.unwrap_or(DEFAULT_POSITIVE_TTL_MS),
            );
        }
        out.clock_skew_in_ms = clock_skew(map)?;
        out.audience = audience(map)?.unwrap_or_default();
        out.rate_limiter =
            crate::rate_limit::RateLimiter::from_option(map.get("machineTokenRateLimiter"))?;
        Ok(out)
    }
}

/// Per-call options of `m2m.verify` on the JWT path. They override the client-level ones.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyCallOptions {
    /// `audience` for this call (`Some(vec![])` turns a client-level audience off).
    pub audience: Option<Vec<String>>,
    /// `clockSkewInMs` for this call.
    pub clock_skew_in_ms: Option<f64>,
    /// `skipJwksCache`: fetch the JWKS even when the cached one is fresh.
    pub skip_jwks_cache: bool,
}

impl VerifyCallOptions {
    /// Reads `audience`, `clockSkewInMs` and `skipJwksCache` from the `m2m.verify` params object; every
    /// other key (`token`, `machineSecretKey`, `timeoutMs`, `signal`) is left to the params parser.
    ///
    /// ```
    /// use clerk_m2m_core::jwt::VerifyCallOptions;
    /// use serde_json::json;
    /// let o = VerifyCallOptions::from_params(&json!({"token": "t", "skipJwksCache": true})).unwrap();
    /// assert!(o.skip_jwks_cache);
    /// assert!(VerifyCallOptions::from_params(&json!({"audience": 5})).is_err());
    /// ```
    pub fn from_params(params: &Value) -> Result<Self, Error> {
        let Some(map) = object("params", params)? else {
            return Ok(Self::default());
        };
        let skip_jwks_cache = match map.get("skipJwksCache") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad("skipJwksCache must be a boolean".to_owned())),
        };
        Ok(Self {
            audience: audience(map)?,
            clock_skew_in_ms: clock_skew(map)?,
            skip_jwks_cache,
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_overrides() {
        let o = JwtOptions::from_client_options(&Value::Null).unwrap();
        assert_eq!(o.jwks_cache_ttl_ms, 300_000);
        assert_eq!(o.jwks_cooldown_ms, 30_000);
        assert_eq!(o.jwks_timeout_ms, 5_000);
        assert_eq!(o.jwks_stale_if_error_ms, 3_600_000);
        assert_eq!(o.verified_tokens.capacity(), 1000);
        assert_eq!(
            (o.opaque.negative_ttl_ms, o.opaque.positive_ttl_ms),
            (60_000, 0)
        );
        let o = JwtOptions::from_client_options(&json!({
            "opaqueNegativeCacheTtlMs": 0, "opaqueTokenCacheTtlMs": 5000
        }))
        .unwrap();
        assert_eq!(
            (o.opaque.negative_ttl_ms, o.opaque.positive_ttl_ms),
            (0, 5000)
        );
        let o = JwtOptions::from_client_options(&json!({
            "jwksCacheTtlMs": 0, "jwksCooldownMs": 10, "jwksTimeoutMs": 250.0, "jwksStaleIfErrorMs": null,
            "verifiedTokenCacheSize": 0, "clockSkewInMs": 0, "audience": ["a", "", "b"], "apiUrl": "x"
        }))
        .unwrap();
        assert_eq!(
            (
                o.jwks_cache_ttl_ms,
                o.jwks_cooldown_ms,
                o.jwks_timeout_ms,
                o.jwks_stale_if_error_ms
            ),
            (0, 10, 250, 3_600_000)
        );
        assert_eq!(o.verified_tokens.capacity(), 0);
        assert_eq!(o.clock_skew_in_ms, Some(0.0));
        assert_eq!(o.audience, ["a", "b"]);
    }

    #[test]
    fn bad_types_are_invalid_arguments() {
        for bad in [
            json!({"jwksCacheTtlMs": -1}),
            json!({"jwksCacheTtlMs": 1.5}),
            json!({"jwksCooldownMs": "1"}),
            json!({"jwksTimeoutMs": 0}),
            json!({"jwksStaleIfErrorMs": true}),
            json!({"verifiedTokenCacheSize": 1_000_000}),
            json!({"clockSkewInMs": "5000"}),
            json!({"audience": 5}),
            json!({"audience": ["a", 5]}),
            json!({"opaqueNegativeCacheTtlMs": -1}),
            json!({"opaqueNegativeCacheTtlMs": 2.5}),
            json!({"opaqueTokenCacheTtlMs": "60000"}),
            json!({"opaqueTokenCacheTtlMs": 1e300}),
            json!("options"),
        ] {
            let e = JwtOptions::from_client_options(&bad).unwrap_err();
            assert_eq!(e.kind(), "TypeError", "{bad}");
        }
        for bad in [
            json!({"skipJwksCache": "yes"}),
            json!({"clockSkewInMs": []}),
            json!(5),
        ] {
            assert!(VerifyCallOptions::from_params(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn call_options() {
        let o = VerifyCallOptions::from_params(&json!({
            "token": "t", "machineSecretKey": "ak", "audience": "mch_me", "clockSkewInMs": 1000
        }))
        .unwrap();
        assert_eq!(o.audience, Some(vec!["mch_me".to_owned()]));
        assert_eq!(o.clock_skew_in_ms, Some(1000.0));
        assert!(!o.skip_jwks_cache);
        let o = VerifyCallOptions::from_params(&json!({"audience": ""})).unwrap();
        assert_eq!(o.audience, Some(vec![]));
    }
}
