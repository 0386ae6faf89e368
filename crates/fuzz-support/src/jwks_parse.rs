//! The `jwks_parse` target.

use base64ct::{Base64, Encoding};
use clerk_m2m_core::config::{ClientConfig, Secret};
use clerk_m2m_core::jwks::key::{parse_jwk, parse_jwks, parse_jwt_key, rsa_key};
use clerk_m2m_core::jwt::JwtOptions;
use serde_json::Value;

use crate::checks::{check_error, check_local_keys, check_rsa_key, start};
use crate::executor::block_on;
use crate::fake::{json_response, Fake, Verdict};
use crate::{FIXTURE_KID, REFERENCE_NOW_MS};

/// Key material: `parse_jwt_key` (PEM, bare base64 SPKI, JWK, JWKS) on the input text, the DER readers on
/// the raw bytes (wrapped as both PEM labels), `parse_jwk`/`parse_jwks` on JSON objects, the key policy on
/// the bytes split in two, and key resolution from the text as `jwtKey` and as a JWKS endpoint body.
pub fn jwks_parse(data: &[u8]) {
    start(data);
    let text = String::from_utf8_lossy(data);
    check_local_keys(&parse_jwt_key(&text));

    let b64 = Base64::encode_string(data);
    for label in ["PUBLIC KEY", "RSA PUBLIC KEY"] {
        let pem = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        check_local_keys(&parse_jwt_key(&pem));
    }

    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) {
        if let Ok(k) = parse_jwk(&map) {
            check_rsa_key(&k.key);
        }
        if let Some(set) = parse_jwks(&map) {
            assert!(!set.is_empty(), "parse_jwks returned an empty set");
        }
    }

    if let Some((&split, rest)) = data.split_first() {
        let at = usize::from(split).min(rest.len());
        let (n, e) = rest.split_at(rest.len() - at);
        if let Ok(key) = rsa_key(n, e) {
            check_rsa_key(&key);
        }
    }

    // The same text through key resolution: as `jwtKey`, then as the body of the JWKS endpoint.
    clerk_m2m_core::jwks::cache::clear();
    let fake = Fake::new(REFERENCE_NOW_MS, Verdict::Valid);
    let opts = JwtOptions::default();
    let mut config = ClientConfig {
        api_url: "https://api.clerk.test".to_owned(),
        jwt_key: Some(Secret::new(text.clone().into_owned())),
        ..ClientConfig::default()
    };
    for kid in [FIXTURE_KID, "undefined"] {
        if let Err(e) = block_on(clerk_m2m_core::jwks::resolve_key(
            &fake, &config, &opts, kid, false,
        )) {
            check_error(&e);
        }
    }
    config.jwt_key = None;
    config.secret_key = Some(Secret::new("sk_test_fuzz_secret"));
    let mut fake = Fake::new(REFERENCE_NOW_MS, Verdict::Valid);
    fake.jwks_default = Ok(json_response(200, &text));
    for kid in [FIXTURE_KID, "undefined"] {
        match block_on(clerk_m2m_core::jwks::resolve_key(
            &fake, &config, &opts, kid, false,
        )) {
            Ok(k) => check_rsa_key(&k.key),
            Err(e) => check_error(&e),
        }
    }
}
