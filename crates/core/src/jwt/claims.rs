//! Claim checks of the pipeline (reference §4.2 step 6, §4.3), run only on a [`VerifiedToken`]:
//! `sub`, `aud` (when an audience is configured), `exp`, `nbf`, `iat`, in that order.
//!
//! Time rules: seconds are truncated toward zero then multiplied by 1000 (the reference's
//! `Date.setUTCSeconds`), `exp*1000 <= now - skew` is expired, `nbf*1000 > now + skew` and
//! `iat*1000 > now + skew` are in the future. Comparisons are plain `f64` arithmetic, exact for every
//! millisecond value a JS `Date` can hold.
#![deny(clippy::indexing_slicing)]

use serde_json::Value;

use super::errors::{self, TimeClaim};
use super::verified::CheckedClaims;
#[cfg(doc)]
use super::verified::VerifiedToken;
use crate::error::Error;
use crate::js::seconds_to_ms;

/// The reference's default `clockSkewInMs`.
pub const DEFAULT_CLOCK_SKEW_MS: f64 = 5000.0;

/// What the claim checks of one verification need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClaimContext<'a> {
    /// Current time in ms.
    pub now_ms: u64,
    /// Effective clock skew in ms (finite).
    pub skew_ms: f64,
    /// The configured audience; empty means "not checked".
    pub audience: &'a [String],
}

/// The skew rule of §4.3: a finite number, else 5000.
pub(crate) fn effective_skew(skew: Option<f64>) -> f64 {
    match skew {
        Some(s) if s.is_finite() => s,
        _ => DEFAULT_CLOCK_SKEW_MS,
    }
}

/// Runs every claim check, in the reference's order, on the claims of a [`VerifiedToken`] (or of what
/// the verified-token cache kept of one).
pub(crate) fn check(claims: CheckedClaims<'_>, ctx: &ClaimContext<'_>) -> Result<(), Error> {
    check_subject(claims.sub)?;
    check_audience(claims.aud, ctx.audience)?;
    let now = ctx.now_ms as f64;
    check_expiration(claims.exp, now, ctx.skew_ms)?;
    check_not_before(claims.nbf, now, ctx.skew_ms)?;
    check_issued_at(claims.iat, now, ctx.skew_ms)
}

/// E12: `sub` must be a string (`''` is fine).
fn check_subject(sub: Option<&Value>) -> Result<(), Error> {
    match sub {
        Some(Value::String(_)) => Ok(()),
        other => Err(errors::invalid_subject(other)),
    }
}

/// E13/E14. Empty entries of `audience` are dropped and an empty list disables the check, as upstream.
///
/// Deviation (docs/compat.md): once an audience is configured, an `aud` that is missing, empty or of
/// another type fails instead of skipping the check, so a token minted without scopes cannot pass an
/// audience-restricted receiver.
fn check_audience(aud: Option<&Value>, audience: &[String]) -> Result<(), Error> {
    let wanted: Vec<String> = audience.iter().filter(|a| !a.is_empty()).cloned().collect();
    if wanted.is_empty() {
        return Ok(());
    }
    match aud {
        Some(Value::String(s)) if !s.is_empty() && wanted.contains(s) => Ok(()),
        Some(Value::Array(items)) => {
            let shared = items
                .iter()
                .filter_map(Value::as_str)
                .any(|a| !a.is_empty() && wanted.iter().any(|w| w == a));
            if shared {
                Ok(())
            } else {
                Err(errors::invalid_audience(aud, &wanted, true))
            }
        }
        other => Err(errors::invalid_audience(other, &wanted, false)),
    }
}

/// E16/E17: `exp` is required and must be a number.
fn check_expiration(exp: Option<&Value>, now: f64, skew: f64) -> Result<(), Error> {
    // jwt-compact's `validate_expiration` accepts `exp == now - skew` (`>`); the reference rejects it (`<=`).
    let exp_ms = exp.and_then(seconds_to_ms).ok_or_else(|| match exp {
        None => errors::exp_missing(),
        Some(_) => errors::time_claim_not_number(TimeClaim::Exp, exp),
    })?;
    if exp_ms <= now - skew {
        return Err(errors::expired(exp_ms, now));
    }
    Ok(())
}

/// E18/E19: `nbf` is optional; when present it must be a number.
fn check_not_before(nbf: Option<&Value>, now: f64, skew: f64) -> Result<(), Error> {
    let Some(nbf) = nbf else { return Ok(()) };
    // jwt-compact's `validate_maturity` subtracts the leeway with chrono's panicking `Sub`; compare directly.
    let nbf_ms = seconds_to_ms(nbf)
        .ok_or_else(|| errors::time_claim_not_number(TimeClaim::Nbf, Some(nbf)))?;
    if nbf_ms > now + skew {
        return Err(errors::not_active_yet(nbf_ms, now));
    }
    Ok(())
}

/// E20/E21: `iat` is optional; when present it must be a number.
fn check_issued_at(iat: Option<&Value>, now: f64, skew: f64) -> Result<(), Error> {
    let Some(iat) = iat else { return Ok(()) };
    // jwt-compact has no `iat` check at all.
    let iat_ms = seconds_to_ms(iat)
        .ok_or_else(|| errors::time_claim_not_number(TimeClaim::Iat, Some(iat)))?;
    if iat_ms > now + skew {
        return Err(errors::issued_in_future(iat_ms, now));
    }
    Ok(())
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
    use crate::jwt::verified::VerifiedToken;
    use serde_json::json;

    const NOW: u64 = 1_666_648_250_000;

    fn payload(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn run(v: Value, skew: f64, audience: &[&str]) -> Result<(), String> {
        let token = VerifiedToken::for_tests(payload(v));
        let audience: Vec<String> = audience.iter().map(|s| (*s).to_owned()).collect();
        check(
            token.checked_claims(),
            &ClaimContext {
                now_ms: NOW,
                skew_ms: skew,
                audience: &audience,
            },
        )
        .map_err(|e| e.to_string())
    }

    fn base(extra: Value) -> Value {
        let mut p = json!({"sub": "mch_1", "exp": NOW / 1000 + 300});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() && k == "drop" {
                continue;
            }
            p[k] = v.clone();
        }
        p
    }

    #[test]
    fn skew_defaults() {
        assert_eq!(effective_skew(None), 5000.0);
        assert_eq!(effective_skew(Some(f64::NAN)), 5000.0);
        assert_eq!(effective_skew(Some(f64::INFINITY)), 5000.0);
        assert_eq!(effective_skew(Some(0.0)), 0.0);
        assert_eq!(effective_skew(Some(6000.0)), 6000.0);
    }

    #[test]
    fn subject() {
        assert!(run(json!({"sub": "", "exp": NOW / 1000 + 1}), 0.0, &[]).is_ok());
        assert_eq!(
            run(json!({"exp": NOW / 1000 + 1}), 0.0, &[]).unwrap_err(),
            "Subject claim (sub) is required and must be a string. Received undefined."
        );
        assert_eq!(
            run(json!({"sub": 5, "exp": NOW / 1000 + 1}), 0.0, &[]).unwrap_err(),
            "Subject claim (sub) is required and must be a string. Received 5."
        );
    }

    #[test]
    fn expiration() {
        let now_s = NOW / 1000;
        // 5 s in the past with skew 0.
        assert_eq!(
            run(json!({"sub": "s", "exp": now_s - 5}), 0.0, &[]).unwrap_err(),
            "JWT is expired. Expiry date: Mon, 24 Oct 2022 21:50:45 GMT, Current date: Mon, 24 Oct 2022 21:50:50 GMT."
        );
        assert!(run(json!({"sub": "s", "exp": now_s}), 0.0, &[]).is_err());
        assert!(run(json!({"sub": "s", "exp": now_s}), 1000.0, &[]).is_ok());
        assert!(run(json!({"sub": "s", "exp": now_s - 5}), 6000.0, &[]).is_ok());
        assert!(run(json!({"sub": "s", "exp": now_s + 1}), 0.0, &[]).is_ok());
        // 1 s after expiry: strict fails, default skew passes; an hour after fails even with the default.
        assert!(run(json!({"sub": "s", "exp": now_s - 1}), 0.0, &[]).is_err());
        assert!(run(
            json!({"sub": "s", "exp": now_s - 1}),
            effective_skew(None),
            &[]
        )
        .is_ok());
        assert!(run(
            json!({"sub": "s", "exp": now_s - 60}),
            effective_skew(Some(f64::NAN)),
            &[]
        )
        .is_err());
        assert!(run(
            json!({"sub": "s", "exp": now_s - 3600}),
            effective_skew(Some(f64::INFINITY)),
            &[]
        )
        .is_err());
        // Fractions of a second are dropped: exp = now + 0.9 s is `now`, expired at skew 0.
        assert!(run(json!({"sub": "s", "exp": now_s as f64 + 0.9}), 0.0, &[]).is_err());
        for (exp, shown) in [
            (json!("1666648550"), "\"1666648550\""),
            (json!(null), "null"),
            (json!([1]), "[1]"),
        ] {
            assert_eq!(
                run(json!({"sub": "s", "exp": exp}), 0.0, &[]).unwrap_err(),
                format!("Invalid JWT expiry date claim (exp) {shown}. Expected number.")
            );
        }
        assert_eq!(
            run(json!({"sub": "s"}), 0.0, &[]).unwrap_err(),
            "Invalid JWT expiry date claim (exp) undefined. Expected number. A JWT without `exp` never verifies: mint JWT-format tokens with `secondsUntilExpiration` (createToken), or give the machine a default token lifetime."
        );
    }

    #[test]
    fn not_before_and_issued_at() {
        let now_s = NOW / 1000;
        for past in [now_s - 10, now_s] {
            assert!(run(base(json!({"nbf": past, "iat": past})), 0.0, &[]).is_ok());
        }
        assert_eq!(
            run(base(json!({"nbf": now_s + 5})), 0.0, &[]).unwrap_err(),
            "JWT cannot be used prior to not before date claim (nbf). Not before date: Mon, 24 Oct 2022 21:50:55 GMT; Current date: Mon, 24 Oct 2022 21:50:50 GMT;"
        );
        assert!(run(base(json!({"nbf": now_s + 5})), 6000.0, &[]).is_ok());
        assert_eq!(
            run(base(json!({"iat": now_s + 5})), 0.0, &[]).unwrap_err(),
            "JWT issued at date claim (iat) is in the future. Issued at date: Mon, 24 Oct 2022 21:50:55 GMT; Current date: Mon, 24 Oct 2022 21:50:50 GMT;"
        );
        assert!(run(base(json!({"iat": now_s + 5})), 6000.0, &[]).is_ok());
        assert_eq!(
            run(base(json!({"nbf": "x"})), 0.0, &[]).unwrap_err(),
            "Invalid JWT not before date claim (nbf) \"x\". Expected number."
        );
        assert_eq!(
            run(base(json!({"iat": null})), 0.0, &[]).unwrap_err(),
            "Invalid JWT issued at date claim (iat) null. Expected number."
        );
        // Order: exp before nbf before iat.
        let e = run(
            json!({"sub": "s", "exp": now_s - 100, "nbf": "x", "iat": "y"}),
            0.0,
            &[],
        );
        assert!(e.unwrap_err().starts_with("JWT is expired."));
        let e = run(base(json!({"nbf": "x", "iat": "y"})), 0.0, &[]);
        assert!(e.unwrap_err().contains("(nbf)"));
    }

    #[test]
    fn audience() {
        let aud = json!(["mch_1xxxxx", "mch_2xxxxx"]);
        assert!(run(base(json!({ "aud": aud })), 0.0, &[]).is_ok());
        assert!(run(base(json!({ "aud": aud })), 0.0, &["", ""]).is_ok());
        assert!(run(base(json!({ "aud": aud })), 0.0, &["mch_2xxxxx"]).is_ok());
        assert!(run(base(json!({"aud": "mch_recv"})), 0.0, &["x", "mch_recv"]).is_ok());
        assert_eq!(
            run(base(json!({"aud": ["mch_other"]})), 0.0, &["mch_recv"]).unwrap_err(),
            "Invalid JWT audience claim array (aud) [\"mch_other\"]. Is not included in \"[\"mch_recv\"]\"."
        );
        assert_eq!(
            run(base(json!({"aud": "mch_rec"})), 0.0, &["mch_recv", ""]).unwrap_err(),
            "Invalid JWT audience claim (aud) \"mch_rec\". Is not included in \"[\"mch_recv\"]\"."
        );
        // Substrings do not count.
        assert!(run(base(json!({"aud": ["mch_recv_2"]})), 0.0, &["mch_recv"]).is_err());
        // Deviation: a configured audience requires an `aud`.
        assert_eq!(
            run(base(json!({})), 0.0, &["mch_recv"]).unwrap_err(),
            "Invalid JWT audience claim (aud) undefined. Is not included in \"[\"mch_recv\"]\"."
        );
        assert!(run(base(json!({"aud": []})), 0.0, &["mch_recv"]).is_err());
        assert!(run(base(json!({"aud": ""})), 0.0, &["mch_recv"]).is_err());
        assert!(run(base(json!({"aud": 5})), 0.0, &["mch_recv"]).is_err());
        // Audience is checked before the time claims.
        let e = run(json!({"sub": "s", "aud": "a", "exp": "x"}), 0.0, &["b"]).unwrap_err();
        assert!(e.starts_with("Invalid JWT audience claim"));
    }
}
