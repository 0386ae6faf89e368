//! Validation of the four calls' params objects (JS values already converted to `serde_json::Value`).
//!
//! Every bad input becomes [`Error::InvalidArgument`] naming the parameter, before any request is made.
//! Messages never contain the value of a key or a token. Unknown keys are refused (deviation: the
//! reference forwards them to the query string or ignores them), so typos such as `subjet` surface.

use serde_json::{Map, Value};

use crate::config::{ClientConfig, Secret};
use crate::error::Error;
use crate::validate::quote_key;
pub use crate::validate::{
    as_safe_integer, check_key_chars, parse_timeout, MAX_SAFE_INTEGER, MAX_TIMEOUT_MS,
};

/// Keys every call accepts besides its own: `timeoutMs` (checked here) and `signal` (handled by the JS layer).
pub(crate) const COMMON_KEYS: [&str; 2] = ["timeoutMs", "signal"];

/// The per-call `timeoutMs`: `None` = not given (use the client's); `Some(None)` = no timeout
/// (`0` or `null`); `Some(Some(ms))` = this many ms.
pub type TimeoutOverride = Option<Option<u32>>;

/// The timeout for one request: the per-call override, else the client's.
pub fn effective_timeout(call: TimeoutOverride, config: &ClientConfig) -> Option<u32> {
    call.unwrap_or(config.timeout_ms)
}

/// A JSON safe integer ≥ 0, or an [`Error::InvalidArgument`] reading `<message> <MAX_SAFE_INTEGER>`.
fn non_negative_integer(v: &Value, message: &str) -> Result<u64, Error> {
    as_safe_integer(v)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| {
            Error::invalid_argument(
                [message, " ", itoa::Buffer::new().format(MAX_SAFE_INTEGER)].concat(),
            )
        })
}

/// An optional secret key parameter: a string (`''` counts as absent) or `null`, checked as a header value by
/// [`check_key_chars`]. Every per-call key goes through it, as every client key goes through the same check.
pub(crate) fn optional_key(name: &str, v: &Value) -> Result<Option<Secret>, Error> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => {
            check_key_chars(name, s)?;
            Ok(Some(Secret::new(s.clone())))
        }
        _ => Err(Error::invalid_argument(
            [name, " must be a string"].concat(),
        )),
    }
}

pub(crate) fn unknown_key(call: &str, key: &str) -> Error {
    Error::invalid_argument([call, " got an unknown parameter ", &quote_key(key)].concat())
}

fn object<'a>(call: &str, params: &'a Value) -> Result<&'a Map<String, Value>, Error> {
    params
        .as_object()
        .ok_or_else(|| Error::invalid_argument([call, " params must be an object"].concat()))
}

fn bool_param(name: &str, v: &Value) -> Result<Option<bool>, Error> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        _ => Err(Error::invalid_argument(
            [name, " must be a boolean"].concat(),
        )),
    }
}

/// `m2m.list` params (`GetM2MTokenListParams`).
#[derive(Debug, Clone, PartialEq)]
pub struct ListParams {
    /// The machine whose tokens to list (`mch_…`).
    pub subject: String,
    /// Per-call key; wins over the client's keys.
    pub machine_secret_key: Option<Secret>,
    /// Filter on revoked tokens.
    pub revoked: Option<bool>,
    /// Filter on expired tokens.
    pub expired: Option<bool>,
    /// Page size, 1–100.
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
    /// Per-call timeout.
    pub timeout_ms: TimeoutOverride,
}

impl ListParams {
    /// Validates `m2m.list(params)`.
    ///
    /// ```
    /// use clerk_m2m_core::params::ListParams;
    /// let p = ListParams::parse(&serde_json::json!({ "subject": "mch_1", "limit": 5 })).unwrap();
    /// assert_eq!((p.subject.as_str(), p.limit), ("mch_1", Some(5)));
    /// assert!(ListParams::parse(&serde_json::json!({ "subject": "mch_1", "limit": 0 })).is_err());
    /// ```
    pub fn parse(params: &Value) -> Result<Self, Error> {
        let map = object("m2m.list", params)?;
        let mut out = ListParams {
            subject: String::new(),
            machine_secret_key: None,
            revoked: None,
            expired: None,
            limit: None,
            offset: None,
            timeout_ms: None,
        };
        let mut subject = None;
        for (key, v) in map {
            match key.as_str() {
                "subject" => match v {
                    Value::String(s) if !s.is_empty() => subject = Some(s.clone()),
                    _ => {
                        return Err(Error::invalid_argument(
                            "subject must be a non-empty string",
                        ))
                    }
                },
                "machineSecretKey" => out.machine_secret_key = optional_key(key, v)?,
                "revoked" => out.revoked = bool_param(key, v)?,
                "expired" => out.expired = bool_param(key, v)?,
                "limit" => {
                    out.limit = match v {
                        Value::Null => None,
                        _ => Some(
                            as_safe_integer(v)
                                .and_then(|n| u32::try_from(n).ok())
                                .filter(|n| (1..=100).contains(n))
                                .ok_or_else(|| {
                                    Error::invalid_argument(
                                        "limit must be an integer between 1 and 100",
                                    )
                                })?,
                        ),
                    }
                }
                "offset" => {
                    out.offset = match v {
                        Value::Null => None,
                        _ => Some(non_negative_integer(
                            v,
                            "offset must be an integer between 0 and",
                        )?),
                    }
                }
                "timeoutMs" => out.timeout_ms = Some(parse_timeout(v)?),
                k if COMMON_KEYS.contains(&k) => {}
                _ => return Err(unknown_key("m2m.list", key)),
            }
        }
        out.subject =
            subject.ok_or_else(|| Error::invalid_argument("subject must be a non-empty string"))?;
        Ok(out)
    }
}

/// `tokenFormat` of `m2m.createToken`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenFormat {
    /// `opaque` (default): an `mt_…` token checked by the Backend API.
    #[default]
    Opaque,
    /// `jwt`: a signed JWT verifiable locally.
    Jwt,
}

impl TokenFormat {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenFormat::Opaque => "opaque",
            TokenFormat::Jwt => "jwt",
        }
    }
}

/// `m2m.createToken` params (`CreateM2MTokenParams`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CreateParams {
    /// Per-call key; wins over the client's keys.
    pub machine_secret_key: Option<Secret>,
    /// `opaque` or `jwt`.
    pub token_format: TokenFormat,
    /// Lifetime in seconds; `None` sends `null` (a token that never expires).
    pub seconds_until_expiration: Option<u64>,
    /// Custom claims; `None` sends `null`.
    pub claims: Option<Map<String, Value>>,
    /// `None`: key left out; `Some(None)`: sent as `null`; `Some(Some(n))`: reuse a token with ≥ n s left.
    pub min_remaining_ttl_seconds: Option<Option<u64>>,
    /// Per-call timeout.
    pub timeout_ms: TimeoutOverride,
}

impl CreateParams {
    /// Validates `m2m.createToken(params?)`; `null` (absent) gives the defaults.
    ///
    /// ```
    /// use clerk_m2m_core::params::{CreateParams, TokenFormat};
    /// let p = CreateParams::parse(&serde_json::Value::Null).unwrap();
    /// assert_eq!(p.token_format, TokenFormat::Opaque);
    /// assert!(CreateParams::parse(&serde_json::json!({ "tokenFormat": "JWT" })).is_err());
    /// ```
    pub fn parse(params: &Value) -> Result<Self, Error> {
        let mut out = CreateParams::default();
        let map = match params {
            Value::Null => return Ok(out),
            Value::Object(map) => map,
            _ => {
                return Err(Error::invalid_argument(
                    "m2m.createToken params must be an object or undefined",
                ))
            }
        };
        for (key, v) in map {
            match key.as_str() {
                "machineSecretKey" => out.machine_secret_key = optional_key(key, v)?,
                "tokenFormat" => {
                    out.token_format = match v.as_str() {
                        Some("opaque") => TokenFormat::Opaque,
                        Some("jwt") => TokenFormat::Jwt,
                        _ => {
                            return Err(Error::invalid_argument(
                                "tokenFormat must be \"opaque\" or \"jwt\"",
                            ))
                        }
                    }
                }
                "secondsUntilExpiration" => {
                    out.seconds_until_expiration = match v {
                        Value::Null => None,
                        _ => Some(positive_integer(v).ok_or_else(|| {
                            Error::invalid_argument(
                            [
                                "secondsUntilExpiration must be null or an integer between 1 and ",
                                itoa::Buffer::new().format(MAX_SAFE_INTEGER),
                            ]
                            .concat(),
                        )
                        })?),
                    }
                }
                "claims" => {
                    out.claims = match v {
                        Value::Null => None,
                        Value::Object(m) => Some(m.clone()),
                        _ => {
                            return Err(Error::invalid_argument(
                                "claims must be a plain object or null",
                            ))
                        }
                    }
                }
                "minRemainingTtlSeconds" => {
                    out.min_remaining_ttl_seconds = Some(match v {
                        Value::Null => None,
                        _ => Some(non_negative_integer(
                            v,
                            "minRemainingTtlSeconds must be null or an integer between 0 and",
                        )?),
                    })
                }
                "timeoutMs" => out.timeout_ms = Some(parse_timeout(v)?),
                k if COMMON_KEYS.contains(&k) => {}
                _ => return Err(unknown_key("m2m.createToken", key)),
            }
        }
        if let (Some(Some(min)), Some(ttl)) =
            (out.min_remaining_ttl_seconds, out.seconds_until_expiration)
        {
            if min >= ttl {
                return Err(Error::invalid_argument(
                    "minRemainingTtlSeconds must be less than secondsUntilExpiration",
                ));
            }
        }
        Ok(out)
    }
}

fn positive_integer(v: &Value) -> Option<u64> {
    as_safe_integer(v)
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| *n >= 1)
}

/// `m2m.revokeToken` params (`RevokeM2MTokenParams`).
#[derive(Debug, Clone, PartialEq)]
pub struct RevokeParams {
    /// The token id, `mt_…`.
    pub m2m_token_id: String,
    /// Why it is revoked; `None` sends `null`.
    pub revocation_reason: Option<String>,
    /// Per-call key; wins over the client's keys.
    pub machine_secret_key: Option<Secret>,
    /// Per-call timeout.
    pub timeout_ms: TimeoutOverride,
}

impl RevokeParams {
    /// Validates `m2m.revokeToken(params)`.
    ///
    /// ```
    /// use clerk_m2m_core::params::RevokeParams;
    /// assert!(RevokeParams::parse(&serde_json::json!({ "m2mTokenId": "mt_1" })).is_ok());
    /// assert!(RevokeParams::parse(&serde_json::json!({ "m2mTokenId": "mt_" })).is_err());
    /// ```
    pub fn parse(params: &Value) -> Result<Self, Error> {
        const ID: &str = "m2mTokenId must be a string starting with \"mt_\"";
        let map = object("m2m.revokeToken", params)?;
        let mut id = None;
        let mut out = RevokeParams {
            m2m_token_id: String::new(),
            revocation_reason: None,
            machine_secret_key: None,
            timeout_ms: None,
        };
        for (key, v) in map {
            match key.as_str() {
                "m2mTokenId" => match v.as_str() {
                    Some(s) if s.len() > 3 && s.starts_with("mt_") => id = Some(s.to_owned()),
                    _ => return Err(Error::invalid_argument(ID)),
                },
                "revocationReason" => {
                    out.revocation_reason = match v {
                        Value::Null => None,
                        Value::String(s) => Some(s.clone()),
                        _ => {
                            return Err(Error::invalid_argument(
                                "revocationReason must be a string or null",
                            ))
                        }
                    }
                }
                "machineSecretKey" => out.machine_secret_key = optional_key(key, v)?,
                "timeoutMs" => out.timeout_ms = Some(parse_timeout(v)?),
                k if COMMON_KEYS.contains(&k) => {}
                _ => return Err(unknown_key("m2m.revokeToken", key)),
            }
        }
        out.m2m_token_id = id.ok_or_else(|| Error::invalid_argument(ID))?;
        Ok(out)
    }
}

/// `m2m.verify` params (`VerifyM2MTokenParams`), the part the Backend API path needs.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyParams {
    /// The token to check (opaque `mt_…` or a JWT). Redacted in `Debug`.
    pub token: Secret,
    /// Per-call key; wins over the client's keys.
    pub machine_secret_key: Option<Secret>,
    /// Per-call timeout.
    pub timeout_ms: TimeoutOverride,
}

/// JWT options `m2m.verify` accepts; the JWT path validates them, this parser lets them through.
const VERIFY_JWT_KEYS: [&str; 3] = ["audience", "clockSkewInMs", "skipJwksCache"];

impl VerifyParams {
    /// Validates `m2m.verify(params)`.
    ///
    /// ```
    /// use clerk_m2m_core::params::VerifyParams;
    /// let p = VerifyParams::parse(&serde_json::json!({ "token": "mt_abc", "audience": "mch_me" })).unwrap();
    /// assert_eq!(p.token.expose(), "mt_abc");
    /// assert!(VerifyParams::parse(&serde_json::json!("mt_abc")).is_err());
    /// ```
    pub fn parse(params: &Value) -> Result<Self, Error> {
        let (token, mut out) = Self::scan(params)?;
        out.token = Secret::new(token.to_owned());
        Ok(out)
    }

    /// [`VerifyParams::parse`]'s checks alone, without copying the token (the local JWT path only validates).
    pub fn validate(params: &Value) -> Result<(), Error> {
        Self::scan(params).map(|_| ())
    }

    fn scan(params: &Value) -> Result<(&str, Self), Error> {
        let map = object("m2m.verify", params)?;
        let mut token = None;
        let mut out = VerifyParams {
            token: Secret::new(String::new()),
            machine_secret_key: None,
            timeout_ms: None,
        };
        for (key, v) in map {
            match key.as_str() {
                "token" => match v {
                    Value::String(s) if !s.is_empty() => token = Some(s.as_str()),
                    _ => return Err(Error::invalid_argument("token must be a non-empty string")),
                },
                "machineSecretKey" => out.machine_secret_key = optional_key(key, v)?,
                "timeoutMs" => out.timeout_ms = Some(parse_timeout(v)?),
                k if COMMON_KEYS.contains(&k) || VERIFY_JWT_KEYS.contains(&k) => {}
                _ => return Err(unknown_key("m2m.verify", key)),
            }
        }
        let token =
            token.ok_or_else(|| Error::invalid_argument("token must be a non-empty string"))?;
        Ok((token, out))
    }
}
