//! Machine-token classification (reference §4.1): JWT shape, JWT decoding, M2M-JWT recognition and the
//! machine token type. Reused by `m2m.verify` routing and, later, by `authenticateRequest`.
//!
//! Nothing here checks a signature: a decoded JWT is untrusted data.
#![deny(clippy::indexing_slicing)]

use serde_json::Value;

use crate::error::{VerificationError, VerificationErrorCode};
use crate::json_object::JsonObject;

/// Prefix of opaque M2M tokens (`M2M_TOKEN_PREFIX`).
pub const M2M_TOKEN_PREFIX: &str = "mt_";
/// Prefix of opaque OAuth access tokens.
pub const OAUTH_TOKEN_PREFIX: &str = "oat_";
/// Prefix of API keys.
pub const API_KEY_PREFIX: &str = "ak_";
/// Prefix of machine ids (`sub` of an M2M JWT).
pub const MACHINE_ID_PREFIX: &str = "mch_";
/// The `cat` header value of M2M JWTs.
pub const JWT_CATEGORY_M2M: &str = "cl_B7d4PD333AAA";
/// The `cat` header value of session tokens.
pub const JWT_CATEGORY_SESSION: &str = "cl_B7d4PD111AAA";
/// The `cat` header value of JWT-template tokens.
pub const JWT_CATEGORY_TEMPLATE: &str = "cl_B7d4PD222AAA";
/// The `cat` value instances with `use_ignore_jwt_cat` put on every token (rejected for M2M, §9.2).
pub const JWT_CATEGORY_IGNORE: &str = "cl_I7d4PD111III";
/// Header `typ` values that mark an OAuth access-token JWT.
pub const OAUTH_JWT_TYPES: [&str; 2] = ["at+jwt", "application/at+jwt"];

/// `Invalid JWT form. A JWT consists of three parts separated by dots.`
pub const MSG_JWT_FORM_PARTS: &str =
    "Invalid JWT form. A JWT consists of three parts separated by dots.";
/// `Invalid JWT form. The header, payload, or signature could not be decoded.`
pub const MSG_JWT_FORM_DECODE: &str =
    "Invalid JWT form. The header, payload, or signature could not be decoded.";

/// A machine token type string (reference Appendix A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `m2m_token`
    M2mToken,
    /// `oauth_token`
    OauthToken,
    /// `api_key`
    ApiKey,
}

impl TokenType {
    /// The reference's token type string.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::M2mToken => "m2m_token",
            TokenType::OauthToken => "oauth_token",
            TokenType::ApiKey => "api_key",
        }
    }
}

/// A JWT split and decoded, **not verified**: header and payload are attacker-controlled JSON objects.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt<'a> {
    /// The decoded header object.
    pub header: JsonObject,
    /// The decoded payload object.
    pub payload: JsonObject,
    /// The decoded signature bytes.
    pub signature: Vec<u8>,
    /// `<raw header>.<raw payload>` exactly as received: the bytes the signature covers.
    pub signed_data: &'a str,
}

/// The reference's `isJwtFormat`: three non-empty segments of `[A-Za-z0-9_-]` separated by dots
/// (no padding, no whitespace).
///
/// ```
/// use clerk_m2m_core::machine::is_jwt_format;
/// assert!(is_jwt_format("a.b.c"));
/// assert!(!is_jwt_format("invalid.jwt"));
/// assert!(!is_jwt_format("a.b.c.d"));
/// assert!(!is_jwt_format("a.b=.c"));
/// ```
pub fn is_jwt_format(token: &str) -> bool {
    // One pass over the bytes: this runs on every token a verification routes.
    let mut dots = 0u8;
    let mut segment_len = 0usize;
    for &b in token.as_bytes() {
        if b == b'.' {
            if segment_len == 0 || dots == 2 {
                return false;
            }
            dots += 1;
            segment_len = 0;
        } else if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            segment_len += 1;
        } else {
            return false;
        }
    }
    dots == 2 && segment_len > 0
}

/// The two decode failures of the reference's `decodeJwt` (both reason `token-invalid`).
fn decode_error(message: &'static str) -> VerificationError {
    VerificationError::new(
        VerificationErrorCode::TokenInvalid,
        "token-invalid",
        message,
    )
}

/// The three dot-separated parts of `token`, or `None` for any other number of parts: one pass of `memchr`
/// (`str::find` of a `char`). A byte iterator with a closure is 3–4× slower at the package's `opt-level = "z"`
/// (its closure is not inlined), and `split` would scan twice as the routing and the decoder both split.
fn three_parts(token: &str) -> Option<[&str; 3]> {
    let (header, rest) = token.split_at_checked(token.find('.')?)?;
    let rest = rest.get(1..)?;
    let (payload, signature) = rest.split_at_checked(rest.find('.')?)?;
    let signature = signature.get(1..)?;
    if signature.contains('.') {
        return None;
    }
    Some([header, payload, signature])
}

/// Base64url in the reference's "loose" mode: trailing `=` padding tolerated; characters outside the
/// alphabet, a length of 1 mod 4 and non-zero trailing bits are errors.
fn decode_segment(segment: &str) -> Option<Vec<u8>> {
    let unpadded = segment.trim_end_matches('=');
    if segment.len() - unpadded.len() > 2 {
        return None;
    }
    crate::base64url::decode(unpadded)
}

fn decode_object(segment: &str) -> Option<JsonObject> {
    let bytes = decode_segment(segment)?;
    // from_str after a UTF-8 check rejects what from_slice rejects, without linking a second JSON reader.
    JsonObject::parse(std::str::from_utf8(&bytes).ok()?)
}

/// The reference's `decodeJwt`: exactly three dot-separated parts, each valid base64url, header and payload
/// JSON objects. Errors are `token-invalid` with the two §4.1 messages.
///
/// ```
/// use clerk_m2m_core::machine::decode_jwt;
/// assert_eq!(
///     decode_jwt("whatever").unwrap_err().message,
///     "Invalid JWT form. A JWT consists of three parts separated by dots."
/// );
/// assert_eq!(
///     decode_jwt("aaa.bbb.ccc").unwrap_err().message,
///     "Invalid JWT form. The header, payload, or signature could not be decoded."
/// );
/// let jwt = decode_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtY2hfMSJ9.c2ln").unwrap();
/// assert_eq!(jwt.payload.get("sub").unwrap(), "mch_1");
/// assert_eq!(jwt.signed_data, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtY2hfMSJ9");
/// ```
pub fn decode_jwt(token: &str) -> Result<DecodedJwt<'_>, VerificationError> {
    let Some(parts) = three_parts(token) else {
        return Err(decode_error(MSG_JWT_FORM_PARTS));
    };
    decode_parts(token, parts)
}

/// [`decode_jwt`] of a token already split into its three parts.
fn decode_parts<'a>(
    token: &'a str,
    [header, payload, signature]: [&'a str; 3],
) -> Result<DecodedJwt<'a>, VerificationError> {
    let decoded = (|| {
        Some(DecodedJwt {
            header: decode_object(header)?,
            payload: decode_object(payload)?,
            signature: decode_segment(signature)?,
            signed_data: token.get(..header.len() + 1 + payload.len())?,
        })
    })();
    decoded.ok_or_else(|| decode_error(MSG_JWT_FORM_DECODE))
}

/// `is_jwt_format(token) && decode_jwt(token)` without a separate scan: the decoder already rejects every
/// character outside the alphabet, so only what it tolerates and `is_jwt_format` does not (empty segments and
/// trailing `=` padding) is checked first.
fn decoded_if_jwt(token: &str) -> Option<DecodedJwt<'_>> {
    let parts = three_parts(token)?;
    if parts
        .iter()
        .all(|part| !part.is_empty() && !part.ends_with('='))
    {
        decode_parts(token, parts).ok()
    } else {
        None
    }
}

fn has_machine_subject(jwt: &DecodedJwt<'_>) -> bool {
    matches!(jwt.payload.get("sub"), Some(Value::String(s)) if s.starts_with(MACHINE_ID_PREFIX))
}

fn has_oauth_type(jwt: &DecodedJwt<'_>) -> bool {
    matches!(jwt.header.get("typ"), Some(Value::String(t)) if OAUTH_JWT_TYPES.contains(&t.as_str()))
}

/// The reference's `isM2MJwt`: JWT format, decodes, and `sub` is a string starting with `mch_`. The header
/// (`typ`, `cat`) is not looked at.
///
/// ```
/// use clerk_m2m_core::machine::is_m2m_jwt;
/// // {"alg":"RS256"}.{"sub":"mch_1"}.sig
/// assert!(is_m2m_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtY2hfMSJ9.c2ln"));
/// assert!(!is_m2m_jwt("mt_opaque_token"));
/// ```
pub fn is_m2m_jwt(token: &str) -> bool {
    decoded_m2m_jwt(token).is_some()
}

/// The decoded token when [`is_m2m_jwt`] holds, so that routing and verification decode it once.
pub(crate) fn decoded_m2m_jwt(token: &str) -> Option<DecodedJwt<'_>> {
    decoded_if_jwt(token).filter(has_machine_subject)
}

/// The reference's `isOAuthJwt`: JWT format, decodes, and header `typ` is `at+jwt` or `application/at+jwt`.
pub fn is_oauth_jwt(token: &str) -> bool {
    decoded_if_jwt(token).is_some_and(|jwt| has_oauth_type(&jwt))
}

/// The reference's `getMachineTokenType`, with `None` where it throws `Unknown machine token type`:
/// `mt_` prefix or M2M JWT → `m2m_token`; `oat_` prefix or OAuth JWT → `oauth_token`; `ak_` → `api_key`.
///
/// ```
/// use clerk_m2m_core::machine::{machine_token_type, TokenType};
/// assert_eq!(machine_token_type("mt_x"), Some(TokenType::M2mToken));
/// assert_eq!(machine_token_type("oat_x"), Some(TokenType::OauthToken));
/// assert_eq!(machine_token_type("ak_x"), Some(TokenType::ApiKey));
/// assert_eq!(machine_token_type("M2M_token_value"), None);
/// ```
pub fn machine_token_type(token: &str) -> Option<TokenType> {
    if token.starts_with(M2M_TOKEN_PREFIX) {
        return Some(TokenType::M2mToken);
    }
    let jwt = decoded_if_jwt(token);
    if jwt.as_ref().is_some_and(has_machine_subject) {
        return Some(TokenType::M2mToken);
    }
    if token.starts_with(OAUTH_TOKEN_PREFIX) || jwt.as_ref().is_some_and(has_oauth_type) {
        return Some(TokenType::OauthToken);
    }
    if token.starts_with(API_KEY_PREFIX) {
        return Some(TokenType::ApiKey);
    }
    None
}

/// The reference's `isMachineTokenByPrefix`: `mt_`, `oat_` or `ak_`.
pub fn is_machine_token_by_prefix(token: &str) -> bool {
    [M2M_TOKEN_PREFIX, OAUTH_TOKEN_PREFIX, API_KEY_PREFIX]
        .iter()
        .any(|p| token.starts_with(p))
}

/// The reference's `isMachineToken`: a known prefix, an OAuth JWT or an M2M JWT.
///
/// ```
/// use clerk_m2m_core::machine::is_machine_token;
/// assert!(is_machine_token("ak_123"));
/// assert!(!is_machine_token(""));
/// ```
pub fn is_machine_token(token: &str) -> bool {
    is_machine_token_by_prefix(token) || machine_token_type(token).is_some()
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
    use base64ct::{Base64UrlUnpadded, Encoding};

    #[test]
    fn three_parts_is_split_on_dots_into_exactly_three() {
        assert_eq!(three_parts("a.b.c"), Some(["a", "b", "c"]));
        assert_eq!(three_parts("a..c"), Some(["a", "", "c"]));
        assert_eq!(three_parts(".."), Some(["", "", ""]));
        assert_eq!(
            three_parts("h\u{e9}.p.s\u{e9}"),
            Some(["h\u{e9}", "p", "s\u{e9}"])
        );
        for bad in ["", "abc", "a.b", "a.b.c.d", "...", "a.b.c."] {
            assert_eq!(three_parts(bad), None, "{bad:?}");
        }
    }

    fn b64(s: &str) -> String {
        Base64UrlUnpadded::encode_string(s.as_bytes())
    }

    fn jwt(header: &str, payload: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(payload), b64("sig"))
    }

    #[test]
    fn decoded_if_jwt_is_the_shape_check_and_the_decoder() {
        let good = jwt(r#"{"alg":"RS256"}"#, r#"{"sub":"mch_1"}"#);
        let (h, rest) = good.split_once('.').unwrap();
        let (p, sig) = rest.split_once('.').unwrap();
        let mut cases = vec![
            good.clone(),
            format!("{h}.{p}"),
            format!("{h}.{p}.{sig}.{sig}"),
            format!("{h}.{p}."),
            format!(".{p}.{sig}"),
            format!("{h}..{sig}"),
            format!("{h}=.{p}.{sig}"),
            format!("{h}.{p}.{sig}="),
            format!("{h}.{p}.{sig}=="),
            format!("{h}.{p}.c2lnAA=="),
            format!("{h}.{p}.c2l=g"),
            format!("{h}.{p}.c2l+"),
            format!("{h}.{p}.c2l/"),
            format!("{h}.{p} .{sig}"),
            format!("{h}.{p}.{sig}\n"),
            format!("{h}.{p}.c2lnA"),
            format!("{h}.{p}.é"),
            String::new(),
            "..".into(),
            "a.b.c".into(),
        ];
        for i in 0..good.len() {
            let mut bytes = good.clone().into_bytes();
            bytes[i] = b'=';
            cases.push(String::from_utf8(bytes).unwrap());
        }
        for t in cases {
            assert_eq!(
                decoded_if_jwt(&t).is_some(),
                is_jwt_format(&t) && decode_jwt(&t).is_ok(),
                "{t:?}"
            );
        }
    }

    #[test]
    fn jwt_format_follows_the_reference_regex() {
        for ok in ["header.payload.signature", "a.b.c", "A-_.0.z"] {
            assert!(is_jwt_format(ok), "{ok}");
        }
        for bad in [
            "invalid",
            "invalid.jwt",
            "invalid.jwt.token.extra",
            "",
            "a..c",
            ".b.c",
            "a.b.",
            "a.b.c=",
            "a b.c.d",
            "a.b.c\n",
        ] {
            assert!(!is_jwt_format(bad), "{bad:?}");
        }
    }

    #[test]
    fn decode_errors_use_the_two_reference_messages() {
        for t in ["null", "undefined", "", "whatever", "42", "a.b", "a.b.c.d"] {
            assert_eq!(
                decode_jwt(t).unwrap_err().message,
                MSG_JWT_FORM_PARTS,
                "{t}"
            );
        }
        for t in [
            "aaa.bbb.ccc",
            "YWJj.YWJj.YWJj",
            "e30.e30.a",
            "e30.e30.!!",
            "e30.NDI.c2ln",
        ] {
            let e = decode_jwt(t).unwrap_err();
            assert_eq!(e.message, MSG_JWT_FORM_DECODE, "{t}");
            assert_eq!(e.code, VerificationErrorCode::TokenInvalid);
        }
        // Padding is tolerated like the reference's loose decoder; non-zero trailing bits are not.
        assert!(decode_jwt("e30=.e30.c2ln").is_ok());
        assert!(decode_jwt("e31.e30.c2ln").is_err());
    }

    #[test]
    fn classification_matches_the_reference() {
        let m2m = jwt(r#"{"typ":"JWT","alg":"RS256"}"#, r#"{"sub":"mch_123"}"#);
        let user = jwt(r#"{"typ":"JWT","alg":"RS256"}"#, r#"{"sub":"user_123"}"#);
        let oauth = jwt(r#"{"typ":"at+jwt","alg":"RS256"}"#, r#"{"sub":"user_123"}"#);
        let oauth2 = jwt(r#"{"typ":"application/at+jwt"}"#, r#"{}"#);
        let m2m_at = jwt(r#"{"typ":"at+jwt"}"#, r#"{"sub":"mch_1"}"#);
        assert!(is_m2m_jwt(&m2m));
        assert!(!is_m2m_jwt(&user));
        assert!(!is_m2m_jwt(&oauth));
        assert!(!is_m2m_jwt(&jwt("{}", r#"{"sub":"MCH_1"}"#)));
        assert!(!is_m2m_jwt(&jwt("{}", r#"{"sub":5}"#)));
        assert!(is_oauth_jwt(&oauth) && is_oauth_jwt(&oauth2) && !is_oauth_jwt(&m2m));
        assert!(!is_oauth_jwt("not.a.jwt"));
        assert_eq!(machine_token_type(&m2m), Some(TokenType::M2mToken));
        // The `sub` rule wins over the OAuth `typ` (§9.4).
        assert_eq!(machine_token_type(&m2m_at), Some(TokenType::M2mToken));
        assert_eq!(machine_token_type(&oauth), Some(TokenType::OauthToken));
        assert_eq!(machine_token_type(&oauth2), Some(TokenType::OauthToken));
        assert_eq!(machine_token_type("mt_a.b.c"), Some(TokenType::M2mToken));
        for t in [
            "unknown_prefix_token",
            "M2M_token_value",
            "OAUTH_token_value",
            "API_KEY_value",
            "",
        ] {
            assert_eq!(machine_token_type(t), None, "{t}");
        }
        assert!(is_machine_token(&m2m) && is_machine_token(&oauth) && is_machine_token("mt_1"));
        assert!(!is_machine_token(&user) && !is_machine_token("") && !is_machine_token("x"));
        assert!(
            is_machine_token_by_prefix("oat_1") && !is_machine_token_by_prefix("jwt_token_value")
        );
        assert_eq!(TokenType::ApiKey.as_str(), "api_key");
    }
}
