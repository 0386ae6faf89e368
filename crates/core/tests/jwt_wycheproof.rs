//! Wycheproof RSASSA-PKCS1-v1_5 (SHA-256/384/512) through `RustCryptoVerifier`, and every group's SPKI key
//! through the `jwtKey` parser.
#![cfg(feature = "rust-crypto")]

mod jwt_common;

use clerk_m2m_core::jwks::key::{parse_jwt_key, LocalKeys};
use clerk_m2m_core::ports::RsaPublicKey;
use clerk_m2m_core::rust_crypto::RustCryptoVerifier;
use jwt_common::wycheproof::{rsa_pkcs1_group_keys, rsa_pkcs1_vectors, Expected};

#[test]
fn every_sha2_vector_gives_the_expected_result() {
    let vectors = rsa_pkcs1_vectors();
    assert!(vectors.len() > 1000, "only {} vectors", vectors.len());
    let mut failures = Vec::new();
    let (mut valid, mut invalid, mut acceptable) = (0, 0, 0);
    for v in &vectors {
        let key = RsaPublicKey {
            n: v.n.clone(),
            e: v.e.clone(),
        };
        let verified =
            RustCryptoVerifier::verify_sync(v.alg, &key, &v.msg, &v.sig).unwrap_or(false);
        match v.expected {
            Expected::Valid => valid += 1,
            Expected::Invalid => invalid += 1,
            Expected::Acceptable => acceptable += 1,
        }
        if !v.expected.allows(verified) {
            failures.push(format!("{} ({}): got {verified}", v.id, v.comment));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
    assert!(
        valid > 0 && invalid > 0,
        "{valid} valid, {invalid} invalid, {acceptable} acceptable"
    );
}

#[test]
fn every_group_key_parses_from_pem_and_bare_base64() {
    let keys = rsa_pkcs1_group_keys();
    assert!(!keys.is_empty());
    for k in keys {
        let body: String = k.pem.lines().filter(|l| !l.starts_with("-----")).collect();
        for text in [k.pem.as_str(), body.as_str()] {
            match parse_jwt_key(text) {
                Ok(LocalKeys::Single(key)) => {
                    assert_eq!((&key.key.n, &key.key.e), (&k.n, &k.e), "{}", k.set);
                    assert_eq!(key.alg.as_deref(), Some("RS256"));
                }
                other => panic!("{}: {other:?}", k.set),
            }
        }
    }
}
