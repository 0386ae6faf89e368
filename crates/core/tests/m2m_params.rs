//! Every parameter validation error of the four calls: an `InvalidArgument` naming the parameter, raised
//! before any request.

mod m2m_support;

use clerk_m2m_core::m2m::{create_token, list, revoke_token, verify_opaque};
use clerk_m2m_core::params::{CreateParams, ListParams, RevokeParams, TokenFormat, VerifyParams};
use m2m_support::*;
use serde_json::{json, Value};

const LIMIT: &str = "limit must be an integer between 1 and 100";
const OFFSET: &str = "offset must be an integer between 0 and 9007199254740991";
const TIMEOUT: &str =
    "timeoutMs must be an integer between 0 and 2147483647 (0 or null: no timeout)";
const KEY_CHARS: &str =
    "machineSecretKey must contain only visible ASCII characters (no spaces, line breaks or other characters)";

fn list_err(params: Value) -> String {
    let fake = Fake::new();
    let msg = invalid(block_on(list(&fake, &config(None, Some("ak")), &params)));
    assert_eq!(fake.count(), 0);
    msg
}

fn create_err(params: Value) -> String {
    let fake = Fake::new();
    let msg = invalid(block_on(create_token(
        &fake,
        &config(None, Some("ak")),
        &params,
    )));
    assert_eq!(fake.count(), 0);
    msg
}

fn revoke_err(params: Value) -> String {
    let fake = Fake::new();
    let msg = invalid(block_on(revoke_token(
        &fake,
        &config(None, Some("ak")),
        &params,
    )));
    assert_eq!(fake.count(), 0);
    msg
}

fn verify_err(params: Value) -> String {
    let fake = Fake::new();
    let msg = invalid(block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &params,
    )));
    assert_eq!(fake.count(), 0);
    msg
}

#[test]
fn list_params_errors() {
    let cases: Vec<(Value, &str)> = vec![
        (Value::Null, "m2m.list params must be an object"),
        (json!("mch_1"), "m2m.list params must be an object"),
        (json!([]), "m2m.list params must be an object"),
        (json!({}), "subject must be a non-empty string"),
        (json!({"subject": ""}), "subject must be a non-empty string"),
        (
            json!({"subject": null}),
            "subject must be a non-empty string",
        ),
        (json!({"subject": 5}), "subject must be a non-empty string"),
        (
            json!({"subject": "mch_1", "revoked": "true"}),
            "revoked must be a boolean",
        ),
        (
            json!({"subject": "mch_1", "expired": 1}),
            "expired must be a boolean",
        ),
        (json!({"subject": "mch_1", "limit": 0}), LIMIT),
        (json!({"subject": "mch_1", "limit": 101}), LIMIT),
        (json!({"subject": "mch_1", "limit": -1}), LIMIT),
        (json!({"subject": "mch_1", "limit": 2.5}), LIMIT),
        (json!({"subject": "mch_1", "limit": "10"}), LIMIT),
        (json!({"subject": "mch_1", "offset": -1}), OFFSET),
        (json!({"subject": "mch_1", "offset": 0.5}), OFFSET),
        (json!({"subject": "mch_1", "offset": 1e300}), OFFSET),
        (json!({"subject": "mch_1", "offset": "0"}), OFFSET),
        (
            json!({"subject": "mch_1", "machineSecretKey": 1}),
            "machineSecretKey must be a string",
        ),
        (
            json!({"subject": "mch_1", "machineSecretKey": "ak x"}),
            KEY_CHARS,
        ),
        (
            json!({"subject": "mch_1", "machineSecretKey": "ak_x\n"}),
            KEY_CHARS,
        ),
        (json!({"subject": "mch_1", "timeoutMs": -1}), TIMEOUT),
        (
            json!({"subject": "mch_1", "timeoutMs": 2147483648_i64}),
            TIMEOUT,
        ),
        (json!({"subject": "mch_1", "timeoutMs": 1.5}), TIMEOUT),
        (json!({"subject": "mch_1", "timeoutMs": "100"}), TIMEOUT),
        (
            json!({"subject": "mch_1", "subjet": "x"}),
            "m2m.list got an unknown parameter \"subjet\"",
        ),
        (
            json!({"subject": "mch_1", "tokenFormat": "jwt"}),
            "m2m.list got an unknown parameter \"tokenFormat\"",
        ),
    ];
    for (params, expected) in cases {
        assert_eq!(list_err(params.clone()), expected, "{params}");
    }
}

#[test]
fn list_params_accepts_integral_floats_nulls_and_common_keys() {
    let p = ListParams::parse(&json!({
        "subject": "mch_1", "limit": 100.0, "offset": 9007199254740991_i64, "revoked": null,
        "expired": false, "machineSecretKey": "", "timeoutMs": null, "signal": {}
    }))
    .unwrap();
    assert_eq!(p.limit, Some(100));
    assert_eq!(p.offset, Some(9_007_199_254_740_991));
    assert_eq!((p.revoked, p.expired), (None, Some(false)));
    assert_eq!(p.machine_secret_key, None);
    assert_eq!(p.timeout_ms, Some(None));
    assert_eq!(
        ListParams::parse(&json!({"subject": "mch_1", "limit": 1}))
            .unwrap()
            .limit,
        Some(1)
    );
}

#[test]
fn create_params_errors() {
    let seconds =
        "secondsUntilExpiration must be null or an integer between 1 and 9007199254740991";
    let min = "minRemainingTtlSeconds must be null or an integer between 0 and 9007199254740991";
    let format = "tokenFormat must be \"opaque\" or \"jwt\"";
    let cases: Vec<(Value, &str)> = vec![
        (
            json!("opaque"),
            "m2m.createToken params must be an object or undefined",
        ),
        (
            json!([]),
            "m2m.createToken params must be an object or undefined",
        ),
        (
            json!(true),
            "m2m.createToken params must be an object or undefined",
        ),
        (json!({"tokenFormat": "JWT"}), format),
        (json!({"tokenFormat": ""}), format),
        (json!({"tokenFormat": null}), format),
        (json!({"tokenFormat": 1}), format),
        (json!({"secondsUntilExpiration": 0}), seconds),
        (json!({"secondsUntilExpiration": -5}), seconds),
        (json!({"secondsUntilExpiration": 1.5}), seconds),
        (json!({"secondsUntilExpiration": "60"}), seconds),
        (
            json!({"claims": []}),
            "claims must be a plain object or null",
        ),
        (
            json!({"claims": "x"}),
            "claims must be a plain object or null",
        ),
        (
            json!({"claims": 1}),
            "claims must be a plain object or null",
        ),
        (json!({"minRemainingTtlSeconds": -1}), min),
        (json!({"minRemainingTtlSeconds": 0.5}), min),
        (json!({"minRemainingTtlSeconds": "240"}), min),
        (
            json!({"secondsUntilExpiration": 240, "minRemainingTtlSeconds": 240}),
            "minRemainingTtlSeconds must be less than secondsUntilExpiration",
        ),
        (
            json!({"machineSecretKey": ["ak"]}),
            "machineSecretKey must be a string",
        ),
        (json!({"machineSecretKey": "ak\u{e9}"}), KEY_CHARS),
        (json!({"timeoutMs": -5}), TIMEOUT),
        (
            json!({"scopes": ["mch_1"]}),
            "m2m.createToken got an unknown parameter \"scopes\"",
        ),
        (
            json!({"seconds_until_expiration": 60}),
            "m2m.createToken got an unknown parameter \"seconds_until_expiration\"",
        ),
    ];
    for (params, expected) in cases {
        assert_eq!(create_err(params.clone()), expected, "{params}");
    }
}

#[test]
fn create_params_defaults_and_values() {
    let p = CreateParams::parse(&Value::Null).unwrap();
    assert_eq!(p, CreateParams::default());
    let p = CreateParams::parse(&json!({"secondsUntilExpiration": 1, "minRemainingTtlSeconds": 0, "tokenFormat": "jwt", "claims": {}})).unwrap();
    assert_eq!(p.seconds_until_expiration, Some(1));
    assert_eq!(p.min_remaining_ttl_seconds, Some(Some(0)));
    assert_eq!(p.token_format, TokenFormat::Jwt);
    assert_eq!(p.claims, Some(serde_json::Map::new()));
    let p = CreateParams::parse(
        &json!({"minRemainingTtlSeconds": null, "secondsUntilExpiration": null}),
    )
    .unwrap();
    assert_eq!(
        (p.min_remaining_ttl_seconds, p.seconds_until_expiration),
        (Some(None), None)
    );
    // minRemainingTtlSeconds alone is not compared (the server applies the machine's default TTL).
    assert!(CreateParams::parse(&json!({"minRemainingTtlSeconds": 999999})).is_ok());
}

#[test]
fn revoke_params_errors() {
    let id = "m2mTokenId must be a string starting with \"mt_\"";
    let cases: Vec<(Value, &str)> = vec![
        (Value::Null, "m2m.revokeToken params must be an object"),
        (json!("mt_1"), "m2m.revokeToken params must be an object"),
        (json!({}), id),
        (json!({"m2mTokenId": ""}), id),
        (json!({"m2mTokenId": "mt_"}), id),
        (json!({"m2mTokenId": "ak_1"}), id),
        (json!({"m2mTokenId": "MT_1"}), id),
        (json!({"m2mTokenId": 1}), id),
        (
            json!({"m2mTokenId": "mt_1", "revocationReason": 5}),
            "revocationReason must be a string or null",
        ),
        (
            json!({"m2mTokenId": "mt_1", "revocationReason": {}}),
            "revocationReason must be a string or null",
        ),
        (
            json!({"m2mTokenId": "mt_1", "machineSecretKey": false}),
            "machineSecretKey must be a string",
        ),
        (json!({"m2mTokenId": "mt_1", "timeoutMs": true}), TIMEOUT),
        (
            json!({"m2mTokenId": "mt_1", "reason": "x"}),
            "m2m.revokeToken got an unknown parameter \"reason\"",
        ),
        (
            json!({"id": "mt_1"}),
            "m2m.revokeToken got an unknown parameter \"id\"",
        ),
    ];
    for (params, expected) in cases {
        assert_eq!(revoke_err(params.clone()), expected, "{params}");
    }
    let p = RevokeParams::parse(&json!({"m2mTokenId": "mt_1", "revocationReason": ""})).unwrap();
    assert_eq!(p.revocation_reason.as_deref(), Some(""));
}

#[test]
fn verify_params_errors() {
    let token = "token must be a non-empty string";
    let cases: Vec<(Value, &str)> = vec![
        (json!("mt_abc"), "m2m.verify params must be an object"),
        (Value::Null, "m2m.verify params must be an object"),
        (json!({}), token),
        (json!({"token": ""}), token),
        (json!({"token": null}), token),
        (json!({"token": 5}), token),
        (
            json!({"token": "mt_abc", "machineSecretKey": 5}),
            "machineSecretKey must be a string",
        ),
        (json!({"token": "mt_abc", "timeoutMs": -1}), TIMEOUT),
        (
            json!({"token": "mt_abc", "secretKey": "sk"}),
            "m2m.verify got an unknown parameter \"secretKey\"",
        ),
    ];
    for (params, expected) in cases {
        assert_eq!(verify_err(params.clone()), expected, "{params}");
    }
}

#[test]
fn verify_params_let_jwt_options_through() {
    let p = VerifyParams::parse(&json!({
        "token": "mt_abc", "audience": ["mch_a"], "clockSkewInMs": 1000, "skipJwksCache": true,
        "timeoutMs": 10, "signal": null, "machineSecretKey": "ak_1"
    }))
    .unwrap();
    assert_eq!(p.token.expose(), "mt_abc");
    assert_eq!(p.timeout_ms, Some(Some(10)));
    assert_eq!(p.machine_secret_key.unwrap().expose(), "ak_1");
}

#[test]
fn unknown_key_names_are_quoted_and_shortened() {
    let long = "x".repeat(200);
    let msg = verify_err(json!({"token": "mt_abc", long.clone(): 1}));
    assert!(msg.len() < 140, "{msg}");
    assert!(msg.ends_with('…'));
    let msg = verify_err(json!({"token": "mt_abc", "a\"b\n": 1}));
    assert_eq!(msg, "m2m.verify got an unknown parameter \"a\\\"b\\n\"");
}
