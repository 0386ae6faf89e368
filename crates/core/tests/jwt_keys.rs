//! `jwtKey` parsing (PEM SPKI, PEM PKCS#1, bare base64, JWK, JWKS), the key policy, and keys of every
//! accepted size verifying real tokens.
#![cfg(feature = "rust-crypto")]

mod jwt_common;

use clerk_m2m_core::jwks::key::{parse_jwt_key, LocalKeys};
use clerk_m2m_core::jwt::{verify_m2m_jwt, JwtOptions, VerifyCallOptions};
use jwt_common::*;
use serde_json::json;

fn single(text: &str) -> clerk_m2m_core::jwks::JwkKey {
    match parse_jwt_key(text) {
        Ok(LocalKeys::Single(k)) => k,
        other => panic!("{other:?}"),
    }
}

#[test]
fn spki_pkcs1_bare_base64_and_env_escaped_pems_give_the_same_key() {
    let expected = JwtSigner::rsa2048().public();
    let body: String = RSA2048_PUB
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let escaped = RSA2048_PUB.replace('\n', "\\n");
    let crlf = RSA2048_PUB.replace('\n', "\r\n");
    let spaced = RSA2048_PUB.replace('\n', "\n  \t");
    for text in [RSA2048_PUB, RSA2048_PKCS1, &body, &escaped, &crlf, &spaced] {
        let k = single(text);
        assert_eq!(*k.key, expected, "{text:?}");
        assert_eq!(k.alg.as_deref(), Some("RS256"));
    }
}

#[test]
fn key_sizes_and_exponents() {
    for (pem, bits) in [
        (RSA2048_PUB, 2048),
        (RSA3072_PUB, 3072),
        (RSA4096_PUB, 4096),
        (RSA2048E3_PUB, 2048),
    ] {
        assert_eq!(single(pem).key.bits(), bits);
    }
    let e = parse_jwt_key(RSA1024_PUB).unwrap_err();
    assert!(e.contains("1024 bits"), "{e}");
    let jwk = JwtSigner::from_pem(RSA1024_KEY).jwk("k", None).to_string();
    assert!(parse_jwt_key(&jwk).unwrap_err().contains("1024 bits"));
}

#[test]
fn jwk_and_jwks_texts() {
    let signer = JwtSigner::rsa2048();
    let k = single(&signer.jwk("k1", Some("RS512")).to_string());
    assert_eq!(k.alg.as_deref(), Some("RS512"));
    assert_eq!(*k.key, signer.public());
    let jwks = jwks_body(&[
        signer.jwk("k1", None),
        JwtSigner::from_pem(RSA2048B_KEY).jwk("k2", None),
    ]);
    match parse_jwt_key(&jwks) {
        Ok(LocalKeys::Set(set)) => {
            assert_eq!(set.len(), 2);
            assert!(matches!(set.get("k2"), Some(Ok(_))));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn garbage_is_refused_without_panicking() {
    let mut inputs: Vec<String> = vec![
        String::new(),
        "   ".into(),
        "-----BEGIN PUBLIC KEY-----".into(),
        "-----END PUBLIC KEY-----".into(),
        RSA2048_KEY.into(),
        RSA2048_PUB.replace("MII", "MIJ"),
        RSA2048_PUB.replace('A', "*"),
        r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#.into(),
        r#"{"kty":"RSA","n":"","e":""}"#.into(),
        "null".into(),
        "{\"keys\": null}".into(),
    ];
    // Every truncation and single-byte corruption of a real PEM.
    let der_body: String = RSA2048_PUB
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for cut in (0..der_body.len()).step_by(7) {
        inputs.push(der_body[..cut].to_owned());
    }
    for i in (0..der_body.len()).step_by(5) {
        let mut bytes = der_body.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        inputs.push(String::from_utf8(bytes).unwrap());
    }
    let mut accepted = 0;
    for text in &inputs {
        if parse_jwt_key(text).is_ok() {
            accepted += 1; // a corruption inside the modulus still gives a (different) valid key
        }
    }
    assert!(
        accepted < inputs.len() / 2,
        "{accepted} of {} accepted",
        inputs.len()
    );
    for text in inputs.iter().take(11) {
        assert!(parse_jwt_key(text).is_err(), "{text:?}");
    }
}

fn verify_with(
    jwt_key: &str,
    token: &str,
) -> Result<clerk_m2m_core::M2mToken, clerk_m2m_core::Error> {
    let fake = Fake::new();
    block_on(verify_m2m_jwt(
        &fake,
        &jwt_key_config(jwt_key),
        &JwtOptions::default(),
        token,
        &VerifyCallOptions::default(),
    ))
}

#[test]
fn larger_keys_verify_real_tokens_and_1024_bits_is_refused() {
    for (key, public) in [
        (RSA3072_KEY, RSA3072_PUB),
        (RSA4096_KEY, RSA4096_PUB),
        (RSA2048E3_KEY, RSA2048E3_PUB),
    ] {
        let token = JwtSigner::from_pem(key).sign(&header(Some(CAT_M2M)), &m2m_payload());
        let t = verify_with(public, &token).unwrap();
        assert_eq!(t.subject, "mch_2vYVtestTESTtestTESTtestTESTtest");
    }
    let token = JwtSigner::from_pem(RSA1024_KEY).sign(&header(None), &m2m_payload());
    let (code, message) = err_of(verify_with(RSA1024_PUB, &token));
    assert_eq!(code, "token-verification-failed");
    assert!(
        message.starts_with(
            "Error verifying JWT signature. Error: jwtKey cannot be used: RSA keys of 1024 bits"
        ),
        "{message}"
    );
    // The key is parsed once and cached; a second verification with the same text gives the same answer.
    assert!(verify_with(RSA1024_PUB, &token).is_err());
}

#[test]
fn a_jwt_key_jwks_selects_by_kid() {
    let a = JwtSigner::rsa2048();
    let b = JwtSigner::from_pem(RSA2048B_KEY);
    let jwks = jwks_body(&[a.jwk("ka", Some("RS256")), b.jwk("kb", None)]);
    let mut h = header(None);
    h["kid"] = json!("kb");
    h["alg"] = json!("RS512");
    assert!(verify_with(&jwks, &b.sign(&h, &m2m_payload())).is_ok());
    h["kid"] = json!("kc");
    let (_, message) = err_of(verify_with(&jwks, &b.sign(&h, &m2m_payload())));
    assert!(message.starts_with("Unable to find a signing key in JWKS that matches the kid='kc'"));
    // The key named by the kid must have signed it.
    h["kid"] = json!("ka");
    h["alg"] = json!("RS256");
    assert_eq!(
        err_of(verify_with(&jwks, &b.sign(&h, &m2m_payload()))).1,
        "JWT signature is invalid."
    );
}
