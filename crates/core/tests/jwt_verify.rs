//! `verify(params)` routing (§2, §4.1, §7.B 122–123) and the machine-token classification scenarios.
#![cfg(feature = "rust-crypto")]

mod jwt_common;

use clerk_m2m_core::jwt::JwtOptions;
use clerk_m2m_core::machine::{is_m2m_jwt, machine_token_type, TokenType};
use clerk_m2m_core::ports::Method;
use clerk_m2m_core::verify::verify;
use clerk_m2m_core::{ClientConfig, Error, M2mToken, Secret};
use jwt_common::*;
use serde_json::{json, Value};

const OPAQUE: &str = r#"{"object":"machine_to_machine_token","id":"mt_1xxxxxxxxxxxxx","subject":"mch_1xxxxxxxxxxxxx",
 "scopes":["mch_1xxxxxxxxxxxxx"],"claims":{"foo":"bar"},"token":"mt_secret_1xxxxxxxxxxxxx","revoked":false,
 "revocation_reason":null,"expired":false,"expiration":1753746916590,"created_at":1753743316590,"updated_at":1753743316590}"#;

fn bapi() -> Fake {
    Fake::with_responder(|_, _| ok_json(OPAQUE).into())
}

fn both_keys() -> ClientConfig {
    ClientConfig {
        jwt_key: Some(Secret::new(RSA2048_PUB)),
        ..secret_key_config("sk_route")
    }
}

fn call(
    fake: &Fake,
    config: &ClientConfig,
    opts: &JwtOptions,
    params: Value,
) -> Result<M2mToken, Error> {
    block_on(verify(fake, config, opts, &params))
}

#[test]
fn m2m_jwts_are_verified_locally_once_decoded() {
    let fake = bapi();
    let opts = JwtOptions::default();
    let t = JwtSigner::rsa2048().sign(&header(Some(CAT_M2M)), &m2m_payload());
    let r = call(
        &fake,
        &both_keys(),
        &opts,
        json!({"token": t, "clockSkewInMs": 0}),
    )
    .unwrap();
    assert_eq!(r.id, "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE");
    assert_eq!(fake.request_count(), 0);
    // The second time, the verified-token cache routes it without decoding and skips the signature.
    call(&fake, &both_keys(), &opts, json!({"token": t})).unwrap();
    assert_eq!((fake.request_count(), fake.verifier_calls.get()), (0, 1));
    // Per-call JWT options apply on the JWT path.
    let e = call(
        &fake,
        &both_keys(),
        &opts,
        json!({"token": t, "audience": ["mch_recv"]}),
    )
    .unwrap_err();
    assert_eq!(e.code(), "token-verification-failed");
}

#[test]
fn b_123_everything_else_goes_to_the_backend_api() {
    let user_jwt =
        JwtSigner::rsa2048().sign(&header(None), &json!({"sub": "user_1", "exp": T + 60}));
    for token in [
        "mt_secret_1xxxxxxxxxxxxx",
        user_jwt.as_str(),
        "aaa.bbb.ccc",
        "ak_x",
        "not a token",
    ] {
        let fake = bapi();
        let r = call(
            &fake,
            &both_keys(),
            &JwtOptions::default(),
            json!({"token": token}),
        )
        .unwrap();
        assert_eq!(r.id, "mt_1xxxxxxxxxxxxx", "{token}");
        let requests = fake.requests.borrow();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].method, Method::Post);
        assert_eq!(requests[0].url, "https://api.clerk.test/m2m_tokens/verify");
        assert_eq!(
            serde_json::from_str::<Value>(requests[0].body.as_deref().unwrap()).unwrap(),
            json!({"token": token})
        );
    }
}

#[test]
fn b_122_a_machine_key_only_client_cannot_verify_jwts() {
    let fake = bapi();
    let config = ClientConfig {
        machine_secret_key: Some(Secret::new("ak_only")),
        ..ClientConfig::default()
    };
    let t = JwtSigner::rsa2048().sign(&header(Some(CAT_M2M)), &m2m_payload());
    let e = call(&fake, &config, &JwtOptions::default(), json!({"token": t})).unwrap_err();
    match e {
        Error::Verification(v) => {
            assert!(v
                .message
                .starts_with("Failed to resolve JWK during verification. JWT-format"));
            assert_eq!(
                v.action,
                Some("Set the CLERK_JWT_KEY environment variable.")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.request_count(), 0);
}

#[test]
fn bad_params_are_invalid_arguments_before_any_request() {
    let t = JwtSigner::rsa2048().sign(&header(None), &m2m_payload());
    for params in [
        json!({"token": "mt_x", "audience": 5}),
        json!({"token": t, "skipJwksCache": "yes"}),
        json!({"token": t, "clockSkewInMs": "1"}),
        json!({"token": t, "tokn": 1}),
        json!({"token": t, "machineSecretKey": 5}),
    ] {
        let fake = bapi();
        let e = call(&fake, &both_keys(), &JwtOptions::default(), params.clone()).unwrap_err();
        assert_eq!(e.kind(), "TypeError", "{params}");
        assert_eq!(fake.request_count(), 0);
    }
    // Not an object: the Backend API path reports it.
    let fake = bapi();
    assert_eq!(
        call(&fake, &both_keys(), &JwtOptions::default(), json!("mt_x"))
            .unwrap_err()
            .kind(),
        "TypeError"
    );
}

#[test]
fn a_33_34_39_53_classification_of_signed_tokens() {
    let signer = JwtSigner::rsa2048();
    let m2m = signer.sign(&header(None), &m2m_payload());
    assert!(is_m2m_jwt(&m2m));
    assert_eq!(machine_token_type(&m2m), Some(TokenType::M2mToken));
    let oauth_header = json!({"alg": "RS256", "typ": "at+jwt", "kid": KID});
    for sub in [
        None,
        Some(json!(null)),
        Some(json!(123)),
        Some(json!({})),
        Some(json!("user_1")),
    ] {
        let mut payload = json!({"exp": T + 60});
        if let Some(sub) = sub {
            payload["sub"] = sub;
        }
        let t = signer.sign(&oauth_header, &payload);
        assert_eq!(
            machine_token_type(&t),
            Some(TokenType::OauthToken),
            "{payload}"
        );
        assert!(!is_m2m_jwt(&t));
    }
    let session = signer.sign(&header(None), &json!({"sub": "user_123"}));
    assert!(!is_m2m_jwt(&session));
    assert_eq!(machine_token_type(&session), None);
}
