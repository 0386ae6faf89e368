//! The key set in the cache shared by a colo's isolates (issue 18): read before the network, written after it,
//! trusted only with its HMAC, never keyed by the secret; the per-isolate rules (TTL, unknown kid,
//! `skipJwksCache`) hold across the layers. A new isolate is modelled by clearing the per-isolate cache.
#![cfg(feature = "rust-crypto")]

mod jwt_common;

use std::rc::Rc;

use clerk_m2m_core::jwks::cache::clear as new_isolate;
use clerk_m2m_core::jwt::{verify_m2m_jwt, JwtOptions, VerifyCallOptions};
use clerk_m2m_core::{Error, M2mToken};
use jwt_common::*;
use serde_json::json;

const SECRET: &str = "sk_test_shared_cache_secret";

fn token_by(signer: &JwtSigner, kid: &str, jti: &str) -> String {
    let mut h = header(Some(CAT_M2M));
    h["kid"] = json!(kid);
    let mut p = m2m_payload();
    p["jti"] = json!(jti);
    p["iat"] = json!(T);
    p["nbf"] = json!(T - 10);
    p["exp"] = json!(T + 3600);
    signer.sign(&h, &p)
}

fn verify_with(fake: &Fake, token: &str, call: &VerifyCallOptions) -> Result<M2mToken, Error> {
    let config = secret_key_config(SECRET);
    block_on(verify_m2m_jwt(
        fake,
        &config,
        &JwtOptions::default(),
        token,
        call,
    ))
}

fn verify(fake: &Fake, token: &str) -> Result<M2mToken, Error> {
    verify_with(fake, token, &VerifyCallOptions::default())
}

/// A fake serving `jwks` with `store` as its shared cache.
fn isolate(jwks: String, store: &Rc<SharedStore>) -> Fake {
    let fake = Fake::serving(jwks);
    *fake.shared.borrow_mut() = Some(store.clone());
    fake
}

fn legit_jwks() -> String {
    jwks_body(&[JwtSigner::rsa2048().jwk(KID, Some("RS256"))])
}

#[test]
fn a_new_isolate_takes_the_key_set_another_one_fetched() {
    let store = Rc::new(SharedStore::default());
    let first = isolate(legit_jwks(), &store);
    verify(&first, &token_by(&JwtSigner::rsa2048(), KID, "mt_1")).unwrap();
    assert_eq!(first.request_count(), 1);
    let puts = store.puts.borrow().clone();
    assert_eq!(puts.len(), 1);
    let (key, max_age) = &puts[0];
    assert_eq!(*max_age, 300, "the JWKS cache TTL");
    assert!(
        key.starts_with(&format!("{JWKS_URL}?clerk_m2m_edge_key_set=")),
        "{key}"
    );
    assert!(!key.contains(SECRET) && !store.entries.borrow()[key].contains(SECRET));

    for i in 0..3 {
        new_isolate();
        let next = isolate(legit_jwks(), &store);
        verify(
            &next,
            &token_by(&JwtSigner::rsa2048(), KID, &format!("mt_n{i}")),
        )
        .unwrap();
        assert_eq!(next.request_count(), 0, "isolate {i} fetched");
    }
    assert_eq!(
        store.puts.borrow().len(),
        1,
        "a shared hit is not written back"
    );
}

#[test]
fn a_planted_key_set_does_not_verify_the_attackers_token_and_is_replaced() {
    let store = Rc::new(SharedStore::default());
    let first = isolate(legit_jwks(), &store);
    verify(&first, &token_by(&JwtSigner::rsa2048(), KID, "mt_1")).unwrap();
    let key = store.puts.borrow()[0].0.clone();

    // Another Worker of the zone writes the same cache key: the attacker's key under the instance's kid, with a
    // MAC it cannot compute (here: the real entry's MAC over other content, and garbage).
    let attacker = JwtSigner::from_pem(RSA2048B_KEY);
    let planted_jwks = jwks_body(&[attacker.jwk(KID, Some("RS256"))]);
    let real = store.entries.borrow()[&key].clone();
    let mac = real.split('.').nth(2).unwrap().to_owned();
    for planted in [
        format!("v1.{}.{mac}.{planted_jwks}", T * 1000),
        format!("v1.{}.AAAA.{planted_jwks}", T * 1000),
        planted_jwks.clone(),
        "not an entry".to_owned(),
    ] {
        store
            .entries
            .borrow_mut()
            .insert(key.clone(), planted.clone());
        new_isolate();
        let next = isolate(legit_jwks(), &store);
        let forged = verify(&next, &token_by(&attacker, KID, "mt_evil"));
        assert!(
            forged.is_err(),
            "{planted:.40}: the attacker's token verified"
        );
        assert_eq!(
            next.request_count(),
            1,
            "{planted:.40}: the network decides"
        );
        let now = store.entries.borrow()[&key].clone();
        assert!(
            now.starts_with("v1.") && !now.contains(&planted_jwks),
            "not replaced"
        );
        // And the instance's own tokens verify.
        verify(&next, &token_by(&JwtSigner::rsa2048(), KID, "mt_ok")).unwrap();
    }
}

#[test]
fn an_entry_of_another_instance_is_not_trusted() {
    let store = Rc::new(SharedStore::default());
    let other_config = secret_key_config("sk_test_another_instance");
    let other = isolate(
        jwks_body(&[JwtSigner::from_pem(RSA2048B_KEY).jwk(KID, Some("RS256"))]),
        &store,
    );
    let attacker_token = token_by(&JwtSigner::from_pem(RSA2048B_KEY), KID, "mt_other");
    block_on(verify_m2m_jwt(
        &other,
        &other_config,
        &JwtOptions::default(),
        &attacker_token,
        &VerifyCallOptions::default(),
    ))
    .unwrap();
    // Its entry, copied to this instance's key.
    let (other_key, other_entry) = store
        .entries
        .borrow()
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), v.clone()))
        .unwrap();
    new_isolate();
    let ours = isolate(legit_jwks(), &store);
    verify(&ours, &token_by(&JwtSigner::rsa2048(), KID, "mt_1")).unwrap();
    let our_key = store.puts.borrow().last().unwrap().0.clone();
    assert_ne!(our_key, other_key);
    store.entries.borrow_mut().insert(our_key, other_entry);
    new_isolate();
    let next = isolate(legit_jwks(), &store);
    assert!(verify(&next, &attacker_token).is_err());
    assert_eq!(next.request_count(), 1);
}

#[test]
fn an_expired_entry_and_a_kid_it_lacks_go_to_the_network() {
    let store = Rc::new(SharedStore::default());
    let first = isolate(legit_jwks(), &store);
    verify(&first, &token_by(&JwtSigner::rsa2048(), KID, "mt_1")).unwrap();

    // Past the TTL: the entry is not used (and a fresh one replaces it).
    new_isolate();
    let later = isolate(legit_jwks(), &store);
    later.advance(300_000);
    verify(&later, &token_by(&JwtSigner::rsa2048(), KID, "mt_2")).unwrap();
    assert_eq!(later.request_count(), 1);
    assert_eq!(store.puts.borrow().len(), 2);

    // A rotated-in key the shared set does not list yet: one network fetch, which then serves it.
    let rotated = JwtSigner::from_pem(RSA2048B_KEY);
    let both = jwks_body(&[
        JwtSigner::rsa2048().jwk(KID, Some("RS256")),
        rotated.jwk("ins_new", Some("RS256")),
    ]);
    new_isolate();
    let next = isolate(both, &store);
    next.advance(300_000);
    verify(&next, &token_by(&rotated, "ins_new", "mt_3")).unwrap();
    assert_eq!(next.request_count(), 1);
}

#[test]
fn skip_jwks_cache_and_a_failing_cache_use_the_network() {
    let store = Rc::new(SharedStore::default());
    let first = isolate(legit_jwks(), &store);
    verify(&first, &token_by(&JwtSigner::rsa2048(), KID, "mt_1")).unwrap();

    new_isolate();
    let skip = isolate(legit_jwks(), &store);
    let call = VerifyCallOptions {
        skip_jwks_cache: true,
        ..VerifyCallOptions::default()
    };
    verify_with(&skip, &token_by(&JwtSigner::rsa2048(), KID, "mt_2"), &call).unwrap();
    assert_eq!(skip.request_count(), 1);

    new_isolate();
    store.failing.set(true);
    let broken = isolate(legit_jwks(), &store);
    verify(&broken, &token_by(&JwtSigner::rsa2048(), KID, "mt_3")).unwrap();
    assert_eq!(broken.request_count(), 1);
}

#[test]
fn without_a_shared_cache_nothing_changes_and_a_zero_ttl_never_writes() {
    let plain = Fake::serving(legit_jwks());
    verify(&plain, &token_by(&JwtSigner::rsa2048(), KID, "mt_1")).unwrap();
    assert_eq!(plain.request_count(), 1);

    new_isolate();
    let store = Rc::new(SharedStore::default());
    let fake = isolate(legit_jwks(), &store);
    let opts = JwtOptions {
        jwks_cache_ttl_ms: 0,
        ..JwtOptions::default()
    };
    let config = secret_key_config(SECRET);
    let t = token_by(&JwtSigner::rsa2048(), KID, "mt_2");
    block_on(verify_m2m_jwt(
        &fake,
        &config,
        &opts,
        &t,
        &VerifyCallOptions::default(),
    ))
    .unwrap();
    assert_eq!((store.gets.get(), store.puts.borrow().len()), (0, 0));
}
