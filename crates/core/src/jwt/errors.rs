//! The M2M JWT failures of reference §4.6 (rows E1–E23), built in one place with their exact messages.
//!
//! Every row is a [`VerificationError`]; `reason` is our finer-grained kebab-case extra (style §6.2).

use serde_json::Value;

use crate::error::{Error, VerificationError, VerificationErrorCode};
use crate::js;

const FAILED: VerificationErrorCode = VerificationErrorCode::TokenVerificationFailed;

pub(crate) fn failed(reason: &'static str, message: impl Into<String>) -> Error {
    Error::Verification(VerificationError::new(FAILED, reason, message))
}

/// E1: `cat` present and not the M2M category.
pub(crate) fn invalid_category() -> Error {
    Error::Verification(VerificationError::new(
        VerificationErrorCode::TokenInvalid,
        "invalid-category",
        "Invalid M2M JWT category.",
    ))
}

/// E2: neither `jwtKey` nor `secretKey`.
pub(crate) fn no_key_source() -> Error {
    let mut e = VerificationError::new(
        FAILED,
        "jwk-failed-to-resolve",
        "Failed to resolve JWK during verification. JWT-format M2M tokens are verified with the instance's public \
         keys: give the client the instance secretKey (CLERK_SECRET_KEY, for the JWKS) or jwtKey (CLERK_JWT_KEY); a \
         machine secret key cannot fetch them.",
    );
    e.action = Some("Set the CLERK_JWT_KEY environment variable.");
    Error::Verification(e)
}

/// E3: the JWKS has no keys.
pub(crate) fn jwks_empty() -> Error {
    failed(
        "jwks-empty",
        "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.",
    )
}

/// E4: no key with the token's kid (the message deliberately lists no cached kid).
pub(crate) fn unknown_kid(kid: &str) -> Error {
    failed(
        "unknown-kid",
        [
            "Unable to find a signing key in JWKS that matches the kid='",
            kid,
            "' of the provided session token. Please make sure that the __session cookie or the HTTP \
             authorization header contain a Clerk-generated session JWT.",
        ]
        .concat(),
    )
}

/// E5: the JWKS endpoint rejected the secret key (`clerk_key_invalid`); the server's message is kept.
pub(crate) fn secret_key_invalid(server_message: &str) -> Error {
    failed("secret-key-invalid", server_message)
}

/// E6: any other non-2xx JWKS response.
pub(crate) fn jwks_status(url: &str, status: u16) -> Error {
    failed(
        "jwks-http-error",
        [
            "Error loading Clerk JWKS from ",
            url,
            " with code=",
            itoa::Buffer::new().format(status),
        ]
        .concat(),
    )
}

/// E7: the JWKS could not be fetched or parsed; the underlying message is kept.
pub(crate) fn jwks_unavailable(reason: &'static str, message: impl Into<String>) -> Error {
    failed(reason, message)
}

/// E8: `typ` present and not `JWT`.
pub(crate) fn invalid_type(typ: &Value) -> Error {
    failed(
        "invalid-type",
        [
            "Invalid JWT type ",
            &js::stringify(Some(typ)),
            ". Expected \"JWT\".",
        ]
        .concat(),
    )
}

/// E9: `alg` not in the allow-list (missing prints `undefined`).
pub(crate) fn invalid_algorithm(alg: Option<&Value>) -> Error {
    failed(
        "invalid-algorithm",
        [
            "Invalid JWT algorithm ",
            &js::stringify(alg),
            ". Supported: RS256,RS384,RS512.",
        ]
        .concat(),
    )
}

/// E10: key import or the verifier failed.
pub(crate) fn signature_error(reason: &'static str, inner: &str) -> Error {
    failed(
        reason,
        ["Error verifying JWT signature. Error: ", inner].concat(),
    )
}

/// E10 as the reference words a JWK whose `alg` differs from the token's.
pub(crate) fn jwk_alg_mismatch() -> Error {
    signature_error(
        "jwk-alg-mismatch",
        "JWK \"alg\" does not match the requested algorithm",
    )
}

/// E11: the signature does not verify.
pub(crate) fn invalid_signature() -> Error {
    failed("invalid-signature", "JWT signature is invalid.")
}

/// E12: `sub` is not a string.
pub(crate) fn invalid_subject(sub: Option<&Value>) -> Error {
    failed(
        "invalid-subject",
        [
            "Subject claim (sub) is required and must be a string. Received ",
            &js::stringify(sub),
            ".",
        ]
        .concat(),
    )
}

/// E13 (`array == false`) / E14 (`array == true`): `aud` shares nothing with the `audience` option.
pub(crate) fn invalid_audience(aud: Option<&Value>, audience: &[String], array: bool) -> Error {
    let list = Value::from(audience.to_vec());
    failed(
        "invalid-audience",
        [
            "Invalid JWT audience claim",
            if array { " array" } else { "" },
            " (aud) ",
            &js::stringify(aud),
            ". Is not included in \"",
            &js::stringify(Some(&list)),
            "\".",
        ]
        .concat(),
    )
}

/// E16 / E18 / E20: a time claim that is not a number.
pub(crate) fn time_claim_not_number(claim: TimeClaim, value: Option<&Value>) -> Error {
    let (reason, label) = match claim {
        TimeClaim::Exp => ("invalid-exp", "expiry date claim (exp)"),
        TimeClaim::Nbf => ("invalid-nbf", "not before date claim (nbf)"),
        TimeClaim::Iat => ("invalid-iat", "issued at date claim (iat)"),
    };
    failed(
        reason,
        [
            "Invalid JWT ",
            label,
            " ",
            &js::stringify(value),
            ". Expected number.",
        ]
        .concat(),
    )
}

/// E16 for a token without `exp`: the reference's message, and what to do about it (Clerk mints a JWT without
/// `exp` when neither `secondsUntilExpiration` nor the machine's default lifetime is set).
pub(crate) fn exp_missing() -> Error {
    failed(
        "invalid-exp",
        "Invalid JWT expiry date claim (exp) undefined. Expected number. A JWT without `exp` never verifies: mint \
         JWT-format tokens with `secondsUntilExpiration` (createToken), or give the machine a default token lifetime.",
    )
}

/// E17: expired.
pub(crate) fn expired(exp_ms: f64, now_ms: f64) -> Error {
    failed(
        "expired",
        [
            "JWT is expired. Expiry date: ",
            &js::utc_string(exp_ms),
            ", Current date: ",
            &js::utc_string(now_ms),
            ".",
        ]
        .concat(),
    )
}

/// E19: `nbf` in the future.
pub(crate) fn not_active_yet(nbf_ms: f64, now_ms: f64) -> Error {
    failed(
        "not-active-yet",
        [
            "JWT cannot be used prior to not before date claim (nbf). Not before date: ",
            &js::utc_string(nbf_ms),
            "; Current date: ",
            &js::utc_string(now_ms),
            ";",
        ]
        .concat(),
    )
}

/// E21: `iat` in the future.
pub(crate) fn issued_in_future(iat_ms: f64, now_ms: f64) -> Error {
    failed(
        "iat-in-the-future",
        [
            "JWT issued at date claim (iat) is in the future. Issued at date: ",
            &js::utc_string(iat_ms),
            "; Current date: ",
            &js::utc_string(now_ms),
            ";",
        ]
        .concat(),
    )
}

/// E23 (deviation: the reference throws a raw `TypeError`): `scopes` present and not a string.
pub(crate) fn invalid_scopes() -> Error {
    Error::Verification(VerificationError::new(
        VerificationErrorCode::TokenInvalid,
        "invalid-scopes",
        "Invalid JWT scopes claim. Expected a space-separated string.",
    ))
}

/// The three time claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeClaim {
    Exp,
    Nbf,
    Iat,
}
