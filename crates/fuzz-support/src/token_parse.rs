//! The `token_parse` target.

use base64ct::{Base64UrlUnpadded, Encoding};
use clerk_m2m_core::machine;

use crate::checks::start;

/// Token classification (`machine`): `is_jwt_format`, `decode_jwt`, `is_m2m_jwt`, `is_oauth_jwt`,
/// `machine_token_type`, `is_machine_token`, on the input as lossy UTF-8 (and, when it is valid UTF-8,
/// unchanged), with the invariants that tie them together.
pub fn token_parse(data: &[u8]) {
    start(data);
    let lossy = String::from_utf8_lossy(data);
    classify(&lossy);
    // The same bytes as the three segments of a JWT, so the decoder sees arbitrary JSON-ish content.
    let parts: Vec<&[u8]> = data.splitn(3, |b| *b == 0xff).collect();
    if let [h, p, s] = parts.as_slice() {
        let jwt = format!(
            "{}.{}.{}",
            Base64UrlUnpadded::encode_string(h),
            Base64UrlUnpadded::encode_string(p),
            Base64UrlUnpadded::encode_string(s)
        );
        classify(&jwt);
    }
}

fn classify(token: &str) {
    if let Some(t) = clerk_m2m_core::authenticate::token_from_header(Some(token)) {
        assert!(
            !t.is_empty() && token.contains(t),
            "token_from_header invented a token"
        );
    }
    let format = machine::is_jwt_format(token);
    let decoded = machine::decode_jwt(token);
    let m2m = machine::is_m2m_jwt(token);
    let oauth = machine::is_oauth_jwt(token);
    let kind = machine::machine_token_type(token);
    let by_prefix = machine::is_machine_token_by_prefix(token);
    let machine_token = machine::is_machine_token(token);

    match &decoded {
        Ok(jwt) => {
            assert!(
                token.starts_with(jwt.signed_data)
                    && token
                        .get(jwt.signed_data.len()..)
                        .is_some_and(|rest| rest.starts_with('.')),
                "signed_data is not the token's first two segments"
            );
            assert_eq!(
                token.matches('.').count(),
                2,
                "decoded a token without exactly three parts"
            );
        }
        Err(e) => {
            assert_eq!(
                e.code,
                clerk_m2m_core::error::VerificationErrorCode::TokenInvalid
            );
            assert!(
                e.message == machine::MSG_JWT_FORM_PARTS
                    || e.message == machine::MSG_JWT_FORM_DECODE,
                "unexpected decode message {:?}",
                e.message
            );
        }
    }
    if m2m || oauth {
        assert!(
            format && decoded.is_ok(),
            "an M2M/OAuth JWT that is not a decodable JWT"
        );
    }
    if m2m {
        assert_eq!(
            kind,
            Some(machine::TokenType::M2mToken),
            "an M2M JWT not typed m2m_token"
        );
    }
    if token.starts_with(machine::M2M_TOKEN_PREFIX) {
        assert_eq!(kind, Some(machine::TokenType::M2mToken));
    }
    assert_eq!(machine_token, by_prefix || kind.is_some());
    if let Some(k) = kind {
        let _ = k.as_str();
    }
}
