//! No error message and no `Debug` output ever contains a secret key or a token.

mod m2m_support;

use clerk_m2m_core::m2m::{create_token, list, revoke_token, verify_opaque};
use clerk_m2m_core::params::{CreateParams, ListParams, RevokeParams, VerifyParams};
use clerk_m2m_core::ports::TransportError;
use clerk_m2m_core::{ClientConfig, Error};
use m2m_support::*;
use serde_json::{json, Value};

const SK: &str = "sk_live_INSTANCESECRET";
const AK: &str = "ak_MACHINESECRET";
const PER_CALL: &str = "ak_PERCALLSECRET";
const TOKEN: &str = "mt_TOKENSECRET";
const PEM: &str = "-----BEGIN PUBLIC KEY-----PEMSECRET";

fn assert_clean(text: &str) {
    for secret in [
        "INSTANCESECRET",
        "MACHINESECRET",
        "PERCALLSECRET",
        "TOKENSECRET",
        "PEMSECRET",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into: {text}");
    }
}

fn check_err<T: std::fmt::Debug>(r: Result<T, Error>) {
    let e = r.unwrap_err();
    assert_clean(&format!("{e:?}"));
    assert_clean(&e.to_string());
    if let Error::Api(api) = &e {
        for entry in &api.errors {
            assert_clean(&entry.message);
        }
    }
}

#[test]
fn config_debug_is_redacted() {
    let c = ClientConfig::resolve(
        &json!({"secretKey": SK, "machineSecretKey": AK, "jwtKey": PEM}),
        &json!({"CLERK_SECRET_KEY": "sk_other_INSTANCESECRET"}),
        &Value::Null,
    )
    .unwrap();
    let debug = format!("{c:?}");
    assert_clean(&debug);
    assert!(debug.contains("redacted"));
    assert_clean(&format!("{:?}", c.clone()));
}

#[test]
fn params_debug_is_redacted() {
    assert_clean(&format!(
        "{:?}",
        ListParams::parse(&json!({"subject": "mch_1", "machineSecretKey": PER_CALL})).unwrap()
    ));
    assert_clean(&format!(
        "{:?}",
        CreateParams::parse(&json!({"machineSecretKey": PER_CALL})).unwrap()
    ));
    assert_clean(&format!(
        "{:?}",
        RevokeParams::parse(&json!({"m2mTokenId": "mt_1", "machineSecretKey": PER_CALL})).unwrap()
    ));
    assert_clean(&format!(
        "{:?}",
        VerifyParams::parse(&json!({"token": TOKEN, "machineSecretKey": PER_CALL})).unwrap()
    ));
}

#[test]
fn requests_debug_is_redacted() {
    let fake = Fake::with(vec![ok(&tok1())]);
    block_on(verify_opaque(
        &fake,
        &config(Some(SK), Some(AK)),
        &json!({"token": TOKEN, "machineSecretKey": PER_CALL}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(
        authorization(&req).as_deref(),
        Some("Bearer ak_PERCALLSECRET")
    );
    assert_clean(&format!("{req:?}"));
}

#[test]
fn validation_errors_never_echo_secrets() {
    let cfg = config(Some(SK), Some(AK));
    let fake = Fake::new();
    check_err(block_on(list(
        &fake,
        &cfg,
        &json!({"subject": "mch_1", "machineSecretKey": "ak_PERCALLSECRET x"}),
    )));
    check_err(block_on(list(
        &fake,
        &cfg,
        &json!({"subject": "mch_1", "machineSecretKey": ["ak_PERCALLSECRET"]}),
    )));
    check_err(block_on(create_token(
        &fake,
        &cfg,
        &json!({"machineSecretKey": "ak_PERCALLSECRET\n"}),
    )));
    check_err(block_on(revoke_token(
        &fake,
        &cfg,
        &json!({"m2mTokenId": "mt_TOKENSECRET/..", "machineSecretKey": PER_CALL}),
    )));
    check_err(block_on(revoke_token(
        &fake,
        &cfg,
        &json!({"m2mTokenId": "x_TOKENSECRET"}),
    )));
    check_err(block_on(verify_opaque(
        &fake,
        &cfg,
        &json!({"token": 1, "machineSecretKey": PER_CALL}),
    )));
    check_err(block_on(verify_opaque(
        &fake,
        &cfg,
        &json!({"token": TOKEN, "timeoutMs": "TOKENSECRET"}),
    )));
    check_err(ClientConfig::resolve(
        &json!({"secretKey": "sk_INSTANCESECRET\n"}),
        &Value::Null,
        &Value::Null,
    ));
    check_err(ClientConfig::resolve(
        &json!({"apiUrl": "https://x:INSTANCESECRET@h.test"}),
        &Value::Null,
        &Value::Null,
    ));
    check_err(ClientConfig::resolve(
        &json!({"apiUrl": "ftp://INSTANCESECRET"}),
        &Value::Null,
        &Value::Null,
    ));
    assert_eq!(fake.count(), 0);
}

#[test]
fn transport_and_response_errors_never_echo_secrets() {
    let cfg = config(Some(SK), Some(AK));
    let insecure = ClientConfig {
        api_url: "http://bapi.test".into(),
        ..cfg.clone()
    };
    check_err(block_on(verify_opaque(
        &Fake::new(),
        &insecure,
        &json!({"token": TOKEN}),
    )));
    let fake = Fake::with(vec![
        Err(TransportError::Network {
            message: "fetch failed".into(),
        }),
        Err(TransportError::Timeout { after_ms: 5 }),
        raw(
            401,
            "",
            &[("content-type", "application/json")],
            r#"{"errors":[{"code":"c","message":"m"}]}"#,
        ),
        ok(&json!({"id": 1})),
        raw(200, "OK", &[("content-type", "application/json")], "{bad"),
    ]);
    for _ in 0..5 {
        check_err(block_on(verify_opaque(
            &fake,
            &cfg,
            &json!({"token": TOKEN, "machineSecretKey": PER_CALL}),
        )));
    }
}
