//! Checks of single option values, shared by the client configuration ([`crate::config`]), the call params
//! ([`crate::params`]), the retry option ([`crate::retry`]) and the JWT options: JS safe integers,
//! timeouts, and keys that go into an `Authorization` header. Every failure is an
//! [`Error::InvalidArgument`] that never shows the value of a key.

use serde_json::Value;

use crate::error::Error;

/// `Number.MAX_SAFE_INTEGER`: the largest integer a JS number holds exactly.
pub const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

/// The largest timeout a JS `setTimeout` honours (larger values fire immediately).
pub const MAX_TIMEOUT_MS: u32 = 2_147_483_647;

/// `Some(n)` when `v` is an integer JS number (an integral float counts) within ±[`MAX_SAFE_INTEGER`].
pub fn as_safe_integer(v: &Value) -> Option<i64> {
    let n = v.as_number()?;
    let int = if let Some(i) = n.as_i64() {
        i
    } else if n.is_u64() {
        return None; // above i64::MAX, far above MAX_SAFE_INTEGER
    } else {
        let f = n.as_f64()?;
        if !f.is_finite() || f.fract() != 0.0 || f.abs() > MAX_SAFE_INTEGER as f64 {
            return None;
        }
        f as i64
    };
    (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER)
        .contains(&int)
        .then_some(int)
}

/// A parameter name as it appears in a message: JSON-quoted, cut to 64 characters.
pub fn quote_key(key: &str) -> String {
    let short: String = key.chars().take(64).collect();
    let quoted = serde_json::to_string(&short).unwrap_or_else(|_| "\"?\"".to_owned());
    if short.len() < key.len() {
        quoted + "…"
    } else {
        quoted
    }
}

/// Parses a `timeoutMs` value (per call or client): `null`/`0` → `None`, else 1–[`MAX_TIMEOUT_MS`].
pub fn parse_timeout(v: &Value) -> Result<Option<u32>, Error> {
    if v.is_null() {
        return Ok(None);
    }
    match as_safe_integer(v).and_then(|n| u32::try_from(n).ok()) {
        Some(0) => Ok(None),
        Some(n) if n <= MAX_TIMEOUT_MS => Ok(Some(n)),
        _ => Err(Error::invalid_argument(
            [
                "timeoutMs must be an integer between 0 and ",
                itoa::Buffer::new().format(u64::from(MAX_TIMEOUT_MS)),
                " (0 or null: no timeout)",
            ]
            .concat(),
        )),
    }
}

/// Checks that a key can go into an `Authorization` header: visible ASCII only. Runtimes reject other
/// bytes with messages that may quote the header value, so this runs first and never echoes the key.
pub fn check_key_chars(name: &str, key: &str) -> Result<(), Error> {
    if key.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            [
                name,
                " must contain only visible ASCII characters (no spaces, line breaks or other characters)",
            ]
            .concat(),
        ))
    }
}
