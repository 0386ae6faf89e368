//! The synchronous steps (`verify::prepare`, `PendingKey::with_key`, `PendingSignature::finish`) that the
//! WASM binding drives with one JS await: where they stop, and that finishing them by hand gives exactly
//! what the async `verify` gives.
#![cfg(feature = "rust-crypto")]

mod jwt_common;

use clerk_m2m_core::jwks::resolve_key;
use clerk_m2m_core::jwt::{JwtOptions, Prepared};
use clerk_m2m_core::rust_crypto::RustCryptoVerifier;
use clerk_m2m_core::verify::{self, Route};
use clerk_m2m_core::{ClientConfig, Error};
use jwt_common::*;
use serde_json::{json, Value};

fn token(jti: &str) -> String {
    let mut h = header(Some(CAT_M2M));
    h["kid"] = json!(KID);
    let mut p = m2m_payload();
    p["jti"] = json!(jti);
    JwtSigner::rsa2048().sign(&h, &p)
}

fn prepare(config: &ClientConfig, opts: &JwtOptions, params: &Value) -> Route {
    verify::prepare(config, opts, params, T * 1000).unwrap()
}

/// Checks a pending signature the way JS does (outside the core), then finishes it.
fn finish_by_hand(
    prepared: Prepared,
    opts: &JwtOptions,
) -> Result<std::rc::Rc<clerk_m2m_core::jwt::Verification>, Error> {
    let Prepared::Signature(pending) = prepared else {
        panic!("expected a signature check, got {prepared:?}");
    };
    let verdict = RustCryptoVerifier::verify_sync(
        pending.algorithm(),
        pending.key(),
        pending.signed_data(),
        pending.signature(),
    );
    pending.finish(verdict, T * 1000, opts)
}

#[test]
fn a_jwt_key_token_stops_at_the_signature_and_finishes_like_verify() {
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions {
        verified_tokens: clerk_m2m_core::jwt::VerifiedTokenCache::new(0),
        ..JwtOptions::default()
    };
    let t = token("mt_sync");
    let params = json!({ "token": t });
    let Route::Local(prepared) = prepare(&config, &opts, &params) else {
        panic!("an M2M JWT is verified locally");
    };
    let by_hand = finish_by_hand(prepared, &opts).unwrap();
    let fake = Fake::new();
    let by_verify = block_on(verify::verify(&fake, &config, &opts, &params)).unwrap();
    assert_eq!(by_hand.token, by_verify);
    assert_eq!(by_hand.token.id, "mt_sync");
    assert_eq!(by_hand.token.to_public_json(), by_verify.to_public_json());
}

#[test]
fn a_cached_token_finishes_without_a_signature_check() {
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    let params = json!({ "token": token("mt_cached") });
    let Route::Local(first) = prepare(&config, &opts, &params) else {
        panic!("local");
    };
    finish_by_hand(first, &opts).unwrap();
    match prepare(&config, &opts, &params) {
        Route::Local(Prepared::Done(Ok(v))) => assert_eq!(v.token.id, "mt_cached"),
        other => panic!("expected a cache hit, got {other:?}"),
    }
}

#[test]
fn a_bad_signature_and_a_failed_check_are_the_reference_errors() {
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    let params = json!({ "token": token("mt_bad") });
    for (verdict, code, reason) in [
        (Ok(false), "token-verification-failed", "invalid-signature"),
        (
            Err("OperationError: boom".to_owned()),
            "token-verification-failed",
            "signature-error",
        ),
    ] {
        let Route::Local(Prepared::Signature(pending)) = prepare(&config, &opts, &params) else {
            panic!("signature step");
        };
        let e = pending.finish(verdict, T * 1000, &opts).unwrap_err();
        let Error::Verification(v) = &e else {
            panic!("{e:?}")
        };
        assert_eq!((e.code(), v.reason), (code, reason));
    }
    assert!(opts.verified_tokens.is_empty());
}

#[test]
fn checks_before_the_signature_fail_without_one() {
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    let mut h = header(Some(CAT_M2M));
    h["typ"] = json!("jwt");
    let t = JwtSigner::rsa2048().sign(&h, &m2m_payload());
    match prepare(&config, &opts, &json!({ "token": t })) {
        Route::Local(Prepared::Done(Err(e))) => {
            assert_eq!(e.to_string(), "Invalid JWT type \"jwt\". Expected \"JWT\".")
        }
        other => panic!("expected E8, got {other:?}"),
    }
    // A bad call option is an argument error whatever the token.
    let e = verify::prepare(
        &config,
        &opts,
        &json!({ "token": "mt_x", "audience": 5 }),
        0,
    )
    .unwrap_err();
    assert_eq!(e.code(), "invalid-argument");
}

#[test]
fn opaque_tokens_and_other_jwts_go_to_the_backend_api() {
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    for params in [
        json!({ "token": "mt_opaque" }),
        json!("mt_opaque"),
        json!({ "token": 5 }),
        json!({}),
    ] {
        assert!(
            matches!(prepare(&config, &opts, &params), Route::BackendApi),
            "{params}"
        );
    }
    let mut p = m2m_payload();
    p["sub"] = json!("user_1");
    let session_like = JwtSigner::rsa2048().sign(&header(Some(CAT_M2M)), &p);
    assert!(matches!(
        prepare(&config, &opts, &json!({ "token": session_like })),
        Route::BackendApi
    ));
}

#[test]
fn a_cold_jwks_needs_the_key_then_a_warm_one_does_not() {
    clerk_m2m_core::jwks::cache::clear();
    let config = ClientConfig {
        api_url: "https://prepare.clerk.test".into(),
        ..secret_key_config("sk_test_prepare")
    };
    let opts = JwtOptions::default();
    let params = json!({ "token": token("mt_jwks") });
    let Route::Local(Prepared::NeedsKey(pending)) = prepare(&config, &opts, &params) else {
        panic!("a cold JWKS needs a fetch");
    };
    let fake = Fake::serving(jwks_body(&[JwtSigner::rsa2048().jwk(KID, Some("RS256"))]));
    let key = block_on(resolve_key(&fake, &config, &opts, pending.kid(), false));
    assert_eq!(fake.request_count(), 1);
    let pending = pending.with_key(key, &opts).unwrap();
    finish_by_hand(Prepared::Signature(pending), &opts).unwrap();
    // Warm: the same call stops at the signature (here: a cache hit), with no request.
    assert!(matches!(
        prepare(&config, &opts, &params),
        Route::Local(Prepared::Done(Ok(_)))
    ));
    let other = json!({ "token": token("mt_jwks_2") });
    assert!(matches!(
        prepare(&config, &opts, &other),
        Route::Local(Prepared::Signature(_))
    ));
    // skipJwksCache always fetches.
    let skip = json!({ "token": token("mt_jwks_3"), "skipJwksCache": true });
    assert!(matches!(
        prepare(&config, &opts, &skip),
        Route::Local(Prepared::NeedsKey(_))
    ));
    assert_eq!(fake.request_count(), 1);
}

/// What a route is, with the result's serial left out (it names a verification, it is not its result).
fn route_summary(route: Route) -> String {
    match route {
        Route::BackendApi => "backend-api".to_owned(),
        Route::Local(Prepared::Done(Ok(v))) => format!("done {}", v.token.to_public_json_text()),
        Route::Local(Prepared::Done(Err(e))) => format!("error {} {e}", e.code()),
        Route::Local(Prepared::Signature(p)) => format!("signature {:?}", p.signed_data()),
        Route::Local(Prepared::NeedsKey(p)) => format!("needs key {}", p.kid()),
    }
}

#[test]
fn a_bare_token_routes_like_params_holding_only_that_token() {
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    let mut bad_type = header(Some(CAT_M2M));
    bad_type["typ"] = json!("jwt");
    let cached = token("mt_bare_cached");
    let Route::Local(first) = prepare(&config, &opts, &json!({ "token": cached })) else {
        panic!("local");
    };
    finish_by_hand(first, &opts).unwrap();
    for t in [
        cached,
        token("mt_bare"),
        JwtSigner::rsa2048().sign(&bad_type, &m2m_payload()),
        "mt_opaque".to_owned(),
        String::new(),
        "a.b.c".to_owned(),
    ] {
        let by_params = route_summary(prepare(&config, &opts, &json!({ "token": t })));
        let bare = verify::prepare_token(&config, &opts, &t, T * 1000).unwrap();
        assert_eq!(route_summary(bare), by_params, "{t}");
    }
}

#[test]
fn every_hit_on_one_entry_has_its_serial_and_every_verification_its_own() {
    let config = jwt_key_config(RSA2048_PUB);
    let opts = JwtOptions::default();
    let verified = |t: &str| {
        let params = json!({ "token": t });
        match prepare(&config, &opts, &params) {
            Route::Local(Prepared::Done(Ok(v))) => v,
            Route::Local(prepared) => finish_by_hand(prepared, &opts).unwrap(),
            Route::BackendApi => panic!("local"),
        }
    };
    let (a, b) = (token("mt_serial_a"), token("mt_serial_b"));
    let first_a = verified(&a);
    let first_b = verified(&b);
    assert_ne!(first_a.serial, first_b.serial);
    // The first hit maps the entry's result (a miss does not keep one); every later hit hands out that one.
    let first_hit = verified(&a);
    assert_eq!(first_hit.token, first_a.token);
    assert!(![first_a.serial, first_b.serial].contains(&first_hit.serial));
    for _ in 0..3 {
        let hit = verified(&a);
        assert_eq!((hit.serial, &hit.token), (first_hit.serial, &first_a.token));
        assert!(std::rc::Rc::ptr_eq(&hit, &first_hit));
    }
    // Without the cache, the same token is a new verification each time: a new serial, an equal result.
    let uncached = JwtOptions {
        verified_tokens: clerk_m2m_core::jwt::VerifiedTokenCache::new(0),
        ..JwtOptions::default()
    };
    let params = json!({ "token": a });
    let again = || {
        let Route::Local(p) = prepare(&config, &uncached, &params) else {
            panic!("local")
        };
        finish_by_hand(p, &uncached).unwrap()
    };
    let (x, y) = (again(), again());
    assert_ne!(x.serial, y.serial);
    assert_eq!(x, y);
}
