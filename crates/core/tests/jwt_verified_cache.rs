//! The verified-token cache: a repeated token skips the signature check, but never its key, `exp`,
//! the call's clock skew or the call's audience.
#![cfg(feature = "rust-crypto")]

mod jwt_common;

use std::cell::RefCell;
use std::rc::Rc;

use clerk_m2m_core::jwt::{verify_m2m_jwt, JwtOptions, VerifyCallOptions};
use clerk_m2m_core::{ClientConfig, Error, M2mToken};
use jwt_common::*;
use serde_json::json;

fn run(
    fake: &Fake,
    config: &ClientConfig,
    opts: &JwtOptions,
    token: &str,
    call: &VerifyCallOptions,
) -> Result<M2mToken, Error> {
    block_on(verify_m2m_jwt(fake, config, opts, token, call))
}

fn token(jti: &str) -> String {
    let mut p = m2m_payload();
    p["jti"] = json!(jti);
    JwtSigner::rsa2048().sign(&header(Some(CAT_M2M)), &p)
}

#[test]
fn a_hit_skips_the_signature_check() {
    let fake = Fake::new();
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    let t = token("mt_1");
    let first = run(&fake, &config, &opts, &t, &Default::default()).unwrap();
    let second = run(&fake, &config, &opts, &t, &Default::default()).unwrap();
    assert_eq!(first, second);
    assert_eq!(fake.verifier_calls.get(), 1);
    assert_eq!(opts.verified_tokens.len(), 1);
    // A different string (one more token, or a tampered copy) is not a hit.
    run(&fake, &config, &opts, &token("mt_2"), &Default::default()).unwrap();
    let tampered = format!("{}A", &t[..t.len() - 1]);
    assert!(run(&fake, &config, &opts, &tampered, &Default::default()).is_err());
    assert_eq!(fake.verifier_calls.get(), 3);
}

#[test]
fn a_hit_honours_exp_and_the_calls_clock_skew() {
    let fake = Fake::new();
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    let t = token("mt_exp");
    run(&fake, &config, &opts, &t, &Default::default()).unwrap();
    // 4 s past exp: fine with the default 5 s skew, not with skew 0.
    fake.advance(304_000);
    run(&fake, &config, &opts, &t, &Default::default()).unwrap();
    let strict = VerifyCallOptions {
        clock_skew_in_ms: Some(0.0),
        ..Default::default()
    };
    let e = run(&fake, &config, &opts, &t, &strict).unwrap_err();
    assert!(e.to_string().starts_with("JWT is expired."), "{e}");
    assert_eq!(fake.verifier_calls.get(), 1);
    // An expired entry is dropped.
    assert!(opts.verified_tokens.is_empty());
    fake.advance(10_000);
    assert!(run(&fake, &config, &opts, &t, &Default::default()).is_err());
}

#[test]
fn a_hit_honours_the_calls_audience() {
    let fake = Fake::new();
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    let t = token("mt_aud");
    run(&fake, &config, &opts, &t, &Default::default()).unwrap();
    let audience = |a: &str| VerifyCallOptions {
        audience: Some(vec![a.to_owned()]),
        ..Default::default()
    };
    let e = run(&fake, &config, &opts, &t, &audience("mch_recv")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Invalid JWT audience claim array (aud) [\"mch_1xxxxx\",\"mch_2xxxxx\"]. Is not included in \"[\"mch_recv\"]\"."
    );
    run(&fake, &config, &opts, &t, &audience("mch_2xxxxx")).unwrap();
    assert_eq!(fake.verifier_calls.get(), 1);
    // An audience failure does not evict: the token is still valid for other receivers.
    assert_eq!(opts.verified_tokens.len(), 1);
}

#[test]
fn an_entry_dies_with_a_key_that_left_the_jwks_or_changed() {
    let a = JwtSigner::rsa2048();
    let b = JwtSigner::from_pem(RSA2048B_KEY);
    let body = Rc::new(RefCell::new(jwks_body(&[a.jwk(KID, None)])));
    let served = body.clone();
    let fake = Fake::with_responder(move |_, _| ok_json(served.borrow().clone()).into());
    let config = secret_key_config("sk_vcache");
    let opts = JwtOptions::default();
    let mut p = m2m_payload();
    p["exp"] = json!(T + 3600);
    let t = a.sign(&header(Some(CAT_M2M)), &p);
    run(&fake, &config, &opts, &t, &Default::default()).unwrap();
    // Same kid, new key material: the hit is refused and full verification fails on the signature.
    *body.borrow_mut() = jwks_body(&[b.jwk(KID, None)]);
    fake.advance(300_000);
    let e = run(&fake, &config, &opts, &t, &Default::default()).unwrap_err();
    assert_eq!(e.to_string(), "JWT signature is invalid.");
    assert_eq!(fake.verifier_calls.get(), 2);
    // Back to key A, cached again; then the kid leaves the JWKS.
    *body.borrow_mut() = jwks_body(&[a.jwk(KID, None)]);
    fake.advance(300_000);
    let skip = VerifyCallOptions {
        skip_jwks_cache: true,
        ..Default::default()
    };
    run(&fake, &config, &opts, &t, &skip).unwrap();
    assert_eq!(opts.verified_tokens.len(), 1);
    *body.borrow_mut() = jwks_body(&[b.jwk("ins_other", None)]);
    fake.advance(300_000);
    let e = run(&fake, &config, &opts, &t, &Default::default()).unwrap_err();
    assert!(e.to_string().contains(&format!("kid='{KID}'")), "{e}");
    assert!(opts.verified_tokens.is_empty());
}

#[test]
fn capacity_bounds_and_zero_disables() {
    let fake = Fake::new();
    let config = jwt_key_config(RSA2048_PUB);
    let off = JwtOptions::from_client_options(&json!({"verifiedTokenCacheSize": 0})).unwrap();
    let t = token("mt_off");
    run(&fake, &config, &off, &t, &Default::default()).unwrap();
    run(&fake, &config, &off, &t, &Default::default()).unwrap();
    assert_eq!(fake.verifier_calls.get(), 2);

    let fake = Fake::new();
    let two = JwtOptions::from_client_options(&json!({"verifiedTokenCacheSize": 2})).unwrap();
    let tokens = [token("mt_a"), token("mt_b"), token("mt_c")];
    for t in &tokens {
        run(&fake, &config, &two, t, &Default::default()).unwrap();
    }
    assert_eq!(two.verified_tokens.len(), 2);
    run(&fake, &config, &two, &tokens[2], &Default::default()).unwrap();
    assert_eq!(fake.verifier_calls.get(), 3);
    run(&fake, &config, &two, &tokens[0], &Default::default()).unwrap();
    assert_eq!(
        fake.verifier_calls.get(),
        4,
        "the least recently used entry was evicted"
    );
}

#[test]
fn clones_of_the_options_share_the_cache_and_fresh_options_do_not() {
    let fake = Fake::new();
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    let t = token("mt_share");
    run(&fake, &config, &opts, &t, &Default::default()).unwrap();
    run(&fake, &config, &opts.clone(), &t, &Default::default()).unwrap();
    assert_eq!(fake.verifier_calls.get(), 1);
    run(
        &fake,
        &config,
        &JwtOptions::default(),
        &t,
        &Default::default(),
    )
    .unwrap();
    assert_eq!(fake.verifier_calls.get(), 2);
}
