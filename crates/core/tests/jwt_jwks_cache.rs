//! The JWKS cache: single flight, unknown-kid cooldown, TTL, retries, timeout, stale-if-error, scopes
//! (§4.5.2, §7.A 79–85, and the gaps of performance-anchors.md).
#![cfg(feature = "rust-crypto")]

mod jwt_common;

use std::rc::Rc;

use clerk_m2m_core::jwt::{verify_m2m_jwt, JwtOptions, VerifyCallOptions};
use clerk_m2m_core::ports::TransportError;
use clerk_m2m_core::{ClientConfig, Error, M2mToken, Secret};
use futures::executor::LocalPool;
use futures::future::join_all;
use futures::task::LocalSpawnExt;
use jwt_common::*;
use serde_json::json;

fn token_for(signer: &JwtSigner, kid: &str, jti: &str, now_s: u64) -> String {
    let mut h = header(Some(CAT_M2M));
    h["kid"] = json!(kid);
    let mut p = m2m_payload();
    p["jti"] = json!(jti);
    p["iat"] = json!(now_s);
    p["nbf"] = json!(now_s - 10);
    p["exp"] = json!(now_s + 300);
    signer.sign(&h, &p)
}

fn token(jti: &str) -> String {
    token_for(&JwtSigner::rsa2048(), KID, jti, T)
}

fn verify(
    fake: &Fake,
    config: &ClientConfig,
    opts: &JwtOptions,
    token: &str,
) -> Result<M2mToken, Error> {
    block_on(verify_m2m_jwt(
        fake,
        config,
        opts,
        token,
        &VerifyCallOptions::default(),
    ))
}

fn message(r: Result<M2mToken, Error>) -> String {
    r.unwrap_err().to_string()
}

fn jwks_a() -> String {
    jwks_body(&[JwtSigner::rsa2048().jwk(KID, Some("RS256"))])
}

#[test]
fn fifty_concurrent_cold_verifications_make_one_request() {
    let fake = Fake::serving(jwks_a());
    fake.send_yields.set(true);
    fake.manual_time.set(true); // a waiter's bound never fires: only the notification can wake it
    let config = secret_key_config("sk_fifty");
    let opts = JwtOptions::default();
    let call = VerifyCallOptions::default();
    let tokens: Vec<String> = (0..50).map(|i| token(&format!("mt_{i}"))).collect();
    let results = block_on_virtual(
        &fake,
        join_all(
            tokens
                .iter()
                .map(|t| verify_m2m_jwt(&fake, &config, &opts, t, &call)),
        ),
    );
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(fake.request_count(), 1);
}

#[test]
fn concurrent_cold_failures_share_one_attempt_sequence() {
    let fake = Fake::with_responder(|_, _| response(503, "{}").into());
    fake.send_yields.set(true);
    fake.manual_time.set(true);
    let config = secret_key_config("sk_fifty_fail");
    let opts = JwtOptions::default();
    let call = VerifyCallOptions::default();
    let tokens: Vec<String> = (0..20).map(|i| token(&format!("mt_{i}"))).collect();
    let results = block_on_virtual(
        &fake,
        join_all(
            tokens
                .iter()
                .map(|t| verify_m2m_jwt(&fake, &config, &opts, t, &call)),
        ),
    );
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap_err().to_string().contains("code=503")));
    assert_eq!(fake.request_count(), 3);
}

#[test]
fn a_flood_of_unknown_kids_makes_at_most_one_request_per_cooldown() {
    let fake = Fake::serving(jwks_a());
    let config = secret_key_config("sk_flood");
    let opts = JwtOptions::default();
    verify(&fake, &config, &opts, &token("mt_warm")).unwrap();
    assert_eq!(fake.request_count(), 1);
    let signer = JwtSigner::rsa2048();
    for i in 0..100 {
        let t = token_for(&signer, &format!("ins_unknown_{i}"), "mt_x", T);
        assert!(
            message(verify(&fake, &config, &opts, &t)).starts_with("Unable to find a signing key")
        );
    }
    assert_eq!(fake.request_count(), 2, "one refetch, then the cooldown");
    fake.advance(29_999);
    let t = token_for(&signer, "ins_unknown_late", "mt_x", T + 30);
    assert!(verify(&fake, &config, &opts, &t).is_err());
    assert_eq!(fake.request_count(), 2);
    fake.advance(1);
    assert!(verify(&fake, &config, &opts, &t).is_err());
    assert_eq!(fake.request_count(), 3, "the cooldown is over");
    // Known kids keep working throughout, without requests.
    verify(
        &fake,
        &config,
        &opts,
        &token_for(&signer, KID, "mt_y", T + 30),
    )
    .unwrap();
    assert_eq!(fake.request_count(), 3);
    // A concurrent flood joins one refetch.
    fake.advance(30_000);
    fake.send_yields.set(true);
    fake.manual_time.set(true);
    let call = VerifyCallOptions::default();
    let tokens: Vec<String> = (0..20)
        .map(|i| token_for(&signer, &format!("ins_c{i}"), "mt_z", T + 60))
        .collect();
    let results = block_on_virtual(
        &fake,
        join_all(
            tokens
                .iter()
                .map(|t| verify_m2m_jwt(&fake, &config, &opts, t, &call)),
        ),
    );
    assert!(results.iter().all(Result::is_err));
    assert_eq!(fake.request_count(), 4);
}

#[test]
fn a_rotated_in_key_is_found_by_the_unknown_kid_refetch() {
    let a = JwtSigner::rsa2048();
    let b = JwtSigner::from_pem(RSA2048B_KEY);
    let body = Rc::new(std::cell::RefCell::new(jwks_body(&[a.jwk(KID, None)])));
    let served = body.clone();
    let fake = Fake::with_responder(move |_, _| ok_json(served.borrow().clone()).into());
    let config = secret_key_config("sk_rotate");
    let opts = JwtOptions::default();
    verify(&fake, &config, &opts, &token("mt_a")).unwrap();
    *body.borrow_mut() = jwks_body(&[b.jwk("ins_new", None)]);
    verify(&fake, &config, &opts, &token_for(&b, "ins_new", "mt_b", T)).unwrap();
    assert_eq!(fake.request_count(), 2);
    // The refetched set replaced the old one: the retired kid is gone (no merge).
    let r = verify(&fake, &config, &opts, &token("mt_c"));
    assert!(message(r).contains(&format!("kid='{KID}'")));
}

/// A fake Backend API whose JWKS body the test changes as it goes.
fn rotating_jwks(initial: String) -> (Fake, Rc<std::cell::RefCell<String>>) {
    let body = Rc::new(std::cell::RefCell::new(initial));
    let served = body.clone();
    let fake = Fake::with_responder(move |_, _| ok_json(served.borrow().clone()).into());
    (fake, body)
}

const NO_KEYS: &str = "The JWKS endpoint did not contain any signing keys.";

#[test]
fn a_jwks_answer_without_keys_is_the_key_set_and_no_earlier_key_survives_it() {
    for empty in [r#"{"keys":[]}"#, "{}", r#"{"keys":null}"#] {
        let (fake, body) = rotating_jwks(jwks_a());
        let config = secret_key_config(&format!("sk_emptied_{}", empty.len()));
        let opts = JwtOptions::default();
        let verified = token("mt_before");
        verify(&fake, &config, &opts, &verified).unwrap();
        *body.borrow_mut() = empty.to_owned();
        let skip = VerifyCallOptions {
            skip_jwks_cache: true,
            ..Default::default()
        };
        let r = block_on(verify_m2m_jwt(&fake, &config, &opts, &verified, &skip));
        assert!(message(r).starts_with(NO_KEYS), "{empty}");
        assert_eq!(fake.request_count(), 2);
        // Not a failed refresh: neither the verified-token cache nor stale keys bring the key back.
        assert!(message(verify(&fake, &config, &opts, &verified)).starts_with(NO_KEYS));
        assert!(message(verify(&fake, &config, &opts, &token("mt_new"))).starts_with(NO_KEYS));
        // Keys published again are found by the next refresh (the TTL, or an unknown kid after the cooldown).
        *body.borrow_mut() = jwks_a();
        fake.advance(300_000);
        let later = token_for(&JwtSigner::rsa2048(), KID, "mt_later", T + 300);
        verify(&fake, &config, &opts, &later).unwrap();
    }
}

#[test]
fn rotation_a_then_a_and_b_then_b_retires_a_at_the_refresh_that_drops_it() {
    let a = JwtSigner::rsa2048();
    let b = JwtSigner::from_pem(RSA2048B_KEY);
    let (fake, body) = rotating_jwks(jwks_body(&[a.jwk(KID, None)]));
    let config = secret_key_config("sk_rotation_abb");
    let opts = JwtOptions::default();
    let token_a = token("mt_a");
    verify(&fake, &config, &opts, &token_a).unwrap();
    // {A, B}: B's unknown kid refreshes; A keeps verifying (a verified-token cache hit re-resolves its key).
    *body.borrow_mut() = jwks_body(&[b.jwk("ins_b", None), a.jwk(KID, None)]);
    verify(&fake, &config, &opts, &token_for(&b, "ins_b", "mt_b", T)).unwrap();
    verify(&fake, &config, &opts, &token_a).unwrap();
    assert_eq!(fake.request_count(), 2);
    // {B}, found by the TTL refresh: the token verified earlier under A fails at once.
    *body.borrow_mut() = jwks_body(&[b.jwk("ins_b", None)]);
    fake.advance(300_000);
    let r = verify(&fake, &config, &opts, &token_a);
    assert!(message(r).contains(&format!("kid='{KID}'")));
    assert_eq!(fake.request_count(), 3);
    let b_later = token_for(&b, "ins_b", "mt_b2", T + 300);
    verify(&fake, &config, &opts, &b_later).unwrap();
    assert_eq!(fake.request_count(), 3);
}

#[test]
fn a_failing_refresh_during_rotation_still_serves_the_last_key_set() {
    let a = JwtSigner::rsa2048();
    let (fake, body) = rotating_jwks(jwks_body(&[a.jwk(KID, None)]));
    let config = secret_key_config("sk_rotation_500");
    let opts = JwtOptions::default();
    let token_a = token("mt_a");
    verify(&fake, &config, &opts, &token_a).unwrap();
    fake.set_responder(|_, _| response(500, r#"{"errors":[]}"#).into());
    fake.advance(300_000);
    verify(&fake, &config, &opts, &token_for(&a, KID, "mt_a2", T + 300)).unwrap();
    assert_eq!(
        fake.request_count(),
        4,
        "one fetch, then a refresh of 3 failing attempts"
    );
    // A body that is not JSON is a transport failure too.
    fake.set_responder(|_, _| ok_json("{not json").into());
    fake.advance(300_000);
    verify(&fake, &config, &opts, &token_for(&a, KID, "mt_a3", T + 600)).unwrap();
    assert!(fake.request_count() > 4);
    drop(body);
}

#[test]
fn ttl_expiry_refetches() {
    let fake = Fake::serving(jwks_a());
    let config = secret_key_config("sk_ttl");
    let opts = JwtOptions::default();
    verify(&fake, &config, &opts, &token("mt_1")).unwrap();
    fake.advance(299_999);
    verify(
        &fake,
        &config,
        &opts,
        &token_for(&JwtSigner::rsa2048(), KID, "mt_2", T + 299),
    )
    .unwrap();
    assert_eq!(fake.request_count(), 1);
    fake.advance(1);
    verify(
        &fake,
        &config,
        &opts,
        &token_for(&JwtSigner::rsa2048(), KID, "mt_3", T + 300),
    )
    .unwrap();
    assert_eq!(fake.request_count(), 2);
    // A custom TTL.
    let short = JwtOptions::from_client_options(&json!({"jwksCacheTtlMs": 1000})).unwrap();
    fake.advance(1000);
    verify(
        &fake,
        &config,
        &short,
        &token_for(&JwtSigner::rsa2048(), KID, "mt_4", T + 301),
    )
    .unwrap();
    assert_eq!(fake.request_count(), 3);
}

#[test]
fn a_85_an_hour_of_fake_time_never_leaves_the_cache_stale_or_broken() {
    let fake = Fake::serving(jwks_a());
    let config = secret_key_config("sk_hour");
    let opts = JwtOptions::default();
    let signer = JwtSigner::rsa2048();
    for minute in 0..=60u64 {
        let now_s = T + minute * 60;
        fake.now.set(now_s * 1000);
        verify(
            &fake,
            &config,
            &opts,
            &token_for(&signer, KID, &format!("mt_{minute}"), now_s),
        )
        .unwrap();
    }
    // One fetch per 5-minute TTL window.
    assert_eq!(fake.request_count(), 13);
}

#[test]
fn skip_jwks_cache_forces_a_fetch() {
    let fake = Fake::serving(jwks_a());
    let config = secret_key_config("sk_skip");
    let opts = JwtOptions::default();
    verify(&fake, &config, &opts, &token("mt_1")).unwrap();
    let call = VerifyCallOptions {
        skip_jwks_cache: true,
        ..Default::default()
    };
    block_on(verify_m2m_jwt(&fake, &config, &opts, &token("mt_2"), &call)).unwrap();
    assert_eq!(fake.request_count(), 2);
}

#[test]
fn a_401_is_not_retried() {
    let fake = Fake::with_responder(|_, _| {
        response(
            401,
            r#"{"errors":[{"code":"authentication_invalid","message":"x"}]}"#,
        )
        .into()
    });
    let r = verify(
        &fake,
        &secret_key_config("sk_401"),
        &JwtOptions::default(),
        &token("mt"),
    );
    assert_eq!(
        message(r),
        format!("Error loading Clerk JWKS from {JWKS_URL} with code=401")
    );
    assert_eq!(fake.request_count(), 1);
    assert!(fake.sleeps.borrow().is_empty());
}

#[test]
fn a_500_is_retried_with_bounded_jittered_backoff() {
    let fake = Fake::with_responder(|_, _| response(500, "oops").into());
    let r = verify(
        &fake,
        &secret_key_config("sk_500"),
        &JwtOptions::default(),
        &token("mt"),
    );
    assert_eq!(
        message(r),
        format!("Error loading Clerk JWKS from {JWKS_URL} with code=500")
    );
    assert_eq!(fake.request_count(), 3);
    let sleeps = fake.sleeps.borrow().clone();
    assert_eq!(sleeps.len(), 2);
    assert!(
        (50..=100).contains(&sleeps[0]) && (100..=200).contains(&sleeps[1]),
        "{sleeps:?}"
    );
    // A transient failure recovers on the next attempt.
    let fake = Fake::with_responder(|_, i| {
        if i == 0 {
            response(502, "").into()
        } else {
            ok_json(jwks_a()).into()
        }
    });
    verify(
        &fake,
        &secret_key_config("sk_502"),
        &JwtOptions::default(),
        &token("mt"),
    )
    .unwrap();
    assert_eq!(fake.request_count(), 2);
}

#[test]
fn a_timeout_is_a_clear_error_and_not_retried() {
    let fake = Fake::with_responder(|r, _| {
        Reply::Now(Err(TransportError::Timeout {
            after_ms: r.timeout_ms.unwrap(),
        }))
    });
    let opts = JwtOptions::from_client_options(&json!({"jwksTimeoutMs": 1234})).unwrap();
    let r = verify(&fake, &secret_key_config("sk_timeout"), &opts, &token("mt"));
    let e = r.unwrap_err();
    assert_eq!(e.code(), "token-verification-failed");
    assert_eq!(
        e.to_string(),
        format!("The JWKS request to {JWKS_URL} timed out after 1234 ms.")
    );
    assert_eq!(fake.request_count(), 1);
    assert_eq!(fake.requests.borrow()[0].timeout_ms, Some(1234));
}

#[test]
fn stale_keys_serve_while_refreshes_fail_for_a_bounded_time() {
    let fail = Rc::new(std::cell::Cell::new(false));
    let failing = fail.clone();
    let fake = Fake::with_responder(move |_, _| {
        if failing.get() {
            response(503, "").into()
        } else {
            ok_json(jwks_a()).into()
        }
    });
    let config = secret_key_config("sk_stale");
    let opts = JwtOptions::default();
    let signer = JwtSigner::rsa2048();
    let at = |fake: &Fake, s: u64, jti: &str| {
        fake.now.set(s * 1000);
        verify(fake, &config, &opts, &token_for(&signer, KID, jti, s))
    };
    at(&fake, T, "mt_0").unwrap();
    fail.set(true);
    // Past the TTL: the refresh fails (3 attempts), the stale keys serve.
    at(&fake, T + 301, "mt_1").unwrap();
    assert_eq!(fake.request_count(), 4);
    // During the cooldown after a failed refresh: served without trying again.
    at(&fake, T + 320, "mt_2").unwrap();
    assert_eq!(fake.request_count(), 4);
    // After the cooldown: another (failing) refresh, still served.
    at(&fake, T + 340, "mt_3").unwrap();
    assert_eq!(fake.request_count(), 7);
    // Past TTL + grace (1 h): the error surfaces.
    let r = at(&fake, T + 300 + 3600, "mt_4");
    assert!(message(r).contains("code=503"));
    // Recovery.
    fail.set(false);
    at(&fake, T + 4000, "mt_5").unwrap();
}

#[test]
fn a_84_scopes_are_isolated_by_secret_key_api_url_and_api_version() {
    let a = JwtSigner::rsa2048();
    let b = JwtSigner::from_pem(RSA2048B_KEY);
    // Each instance serves its own JWKS, chosen by the Authorization header.
    let fake = Fake::with_responder(move |r, _| {
        let auth = r
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let body = if auth.ends_with("sk_test_b") {
            jwks_body(&[b.jwk("ins_b", None)])
        } else {
            jwks_body(&[a.jwk(KID, None)])
        };
        ok_json(body).into()
    });
    let opts = JwtOptions::default();
    let config_a = secret_key_config("sk_test_a");
    let config_b = secret_key_config("sk_test_b");
    verify(&fake, &config_a, &opts, &token("mt_a")).unwrap();
    // B asking for A's kid does not hit A's cache: it fetches with B's key and fails.
    let r = verify(&fake, &config_b, &opts, &token("mt_a2"));
    assert!(message(r).contains(&format!("kid='{KID}'")));
    assert_eq!(fake.request_count(), 2);
    let last = fake.requests.borrow()[1].clone();
    assert!(last
        .headers
        .contains(&("Authorization".into(), "Bearer sk_test_b".into())));
    // Separate caches per apiUrl and per apiVersion (same secret key).
    let other_url = ClientConfig {
        api_url: "https://api2.clerk.test".into(),
        ..config_a.clone()
    };
    verify(&fake, &other_url, &opts, &token("mt_u")).unwrap();
    let v2 = ClientConfig {
        api_version: "v2".into(),
        ..config_a.clone()
    };
    verify(&fake, &v2, &opts, &token("mt_v")).unwrap();
    assert_eq!(
        fake.urls()[2..],
        [
            "https://api2.clerk.test/v1/jwks".to_owned(),
            "https://api.clerk.test/v2/jwks".to_owned()
        ]
    );
    // Each scope is warm now: no more requests.
    for config in [&config_a, &other_url, &v2] {
        verify(&fake, config, &opts, &token("mt_again")).unwrap();
    }
    assert_eq!(fake.request_count(), 4);
}

#[test]
fn a_79_jwks_urls() {
    let fake = Fake::serving(jwks_a());
    let opts = JwtOptions::default();
    let default = ClientConfig {
        secret_key: Some(Secret::new("sk_url")),
        ..ClientConfig::default()
    };
    verify(&fake, &default, &opts, &token("mt")).unwrap();
    let prefixed = ClientConfig {
        api_url: "https://x.test/bapi/".into(),
        ..default.clone()
    };
    verify(&fake, &prefixed, &opts, &token("mt")).unwrap();
    assert_eq!(
        fake.urls(),
        [
            "https://api.clerk.com/v1/jwks",
            "https://x.test/bapi/v1/jwks"
        ]
    );
}

#[test]
fn the_secret_key_never_goes_over_plain_http_to_another_host() {
    let fake = Fake::serving(jwks_a());
    let config = ClientConfig {
        api_url: "http://bapi.internal".into(),
        ..secret_key_config("sk_http")
    };
    let e = verify(&fake, &config, &JwtOptions::default(), &token("mt")).unwrap_err();
    assert_eq!(e.kind(), "ClerkConfigurationError");
    assert_eq!(fake.request_count(), 0);
    let loopback = ClientConfig {
        api_url: "http://127.0.0.1:8787".into(),
        ..secret_key_config("sk_http")
    };
    verify(&fake, &loopback, &JwtOptions::default(), &token("mt")).unwrap();
}

#[test]
fn a_waiter_stops_waiting_on_a_hung_fetch_after_the_bound_and_fetches_itself() {
    let fake = Rc::new(Fake::with_responder(|_, i| {
        if i == 0 {
            Reply::Hang
        } else {
            ok_json(jwks_a()).into()
        }
    }));
    fake.manual_time.set(true);
    let config = Rc::new(secret_key_config("sk_hang"));
    let opts = Rc::new(JwtOptions::default());
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let run = |jti: &'static str| {
        let (fake, config, opts) = (fake.clone(), config.clone(), opts.clone());
        async move {
            verify_m2m_jwt(
                &*fake,
                &config,
                &opts,
                &token(jti),
                &VerifyCallOptions::default(),
            )
            .await
        }
    };
    let leader = spawner.spawn_local_with_handle(run("mt_leader")).unwrap();
    pool.run_until_stalled();
    let waiter = spawner.spawn_local_with_handle(run("mt_waiter")).unwrap();
    pool.run_until_stalled();
    assert_eq!(fake.request_count(), 1, "the waiter joined the flight");
    fake.advance(4_999);
    pool.run_until_stalled();
    assert_eq!(fake.request_count(), 1);
    fake.advance(1);
    let result = pool.run_until(waiter);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(fake.request_count(), 2);
    drop(leader);
}

#[test]
fn an_abandoned_fetch_releases_its_waiters() {
    let fake = Rc::new(Fake::with_responder(|_, i| {
        if i == 0 {
            Reply::Hang
        } else {
            ok_json(jwks_a()).into()
        }
    }));
    fake.manual_time.set(true);
    let config = Rc::new(secret_key_config("sk_abandon"));
    let opts = Rc::new(JwtOptions::default());
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let run = |jti: &'static str| {
        let (fake, config, opts) = (fake.clone(), config.clone(), opts.clone());
        async move {
            verify_m2m_jwt(
                &*fake,
                &config,
                &opts,
                &token(jti),
                &VerifyCallOptions::default(),
            )
            .await
        }
    };
    let leader = spawner.spawn_local_with_handle(run("mt_leader")).unwrap();
    pool.run_until_stalled();
    let waiter = spawner.spawn_local_with_handle(run("mt_waiter")).unwrap();
    pool.run_until_stalled();
    assert_eq!(fake.request_count(), 1);
    drop(leader); // e.g. the leading request was cancelled
    let result = pool.run_until(waiter);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(fake.request_count(), 2);
}

#[test]
fn a_bad_jwks_entry_fails_only_the_tokens_that_name_it() {
    let good = JwtSigner::rsa2048().jwk(KID, None);
    let small = JwtSigner::from_pem(RSA1024_KEY).jwk("ins_small", None);
    let fake = Fake::serving(jwks_body(&[
        good,
        small,
        json!({"kty": "EC", "kid": "ins_ec"}),
    ]));
    let config = secret_key_config("sk_mixed");
    let opts = JwtOptions::default();
    verify(&fake, &config, &opts, &token("mt")).unwrap();
    let signer = JwtSigner::from_pem(RSA1024_KEY);
    let e = verify(
        &fake,
        &config,
        &opts,
        &token_for(&signer, "ins_small", "mt_s", T),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("Error verifying JWT signature. Error: RSA keys of 1024 bits"),
        "{e}"
    );
    let e = verify(
        &fake,
        &config,
        &opts,
        &token_for(&JwtSigner::rsa2048(), "ins_ec", "mt_e", T),
    )
    .unwrap_err();
    assert!(e.to_string().contains("kty"), "{e}");
    assert_eq!(fake.request_count(), 1);
}

#[test]
fn invalid_json_is_retried_then_reported() {
    let fake = Fake::with_responder(|_, _| ok_json("<html>").into());
    let e = verify(
        &fake,
        &secret_key_config("sk_json"),
        &JwtOptions::default(),
        &token("mt"),
    )
    .unwrap_err();
    assert_eq!(e.code(), "token-verification-failed");
    assert!(
        e.to_string()
            .starts_with("The JWKS response is not valid JSON"),
        "{e}"
    );
    assert_eq!(fake.request_count(), 3);
}
