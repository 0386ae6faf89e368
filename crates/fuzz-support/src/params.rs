//! The `params` target.

use clerk_m2m_core::__private;
use clerk_m2m_core::config::{ClientConfig, Secret};
use clerk_m2m_core::jwt::{JwtOptions, VerifyCallOptions};
use clerk_m2m_core::params::{CreateParams, ListParams, RevokeParams, VerifyParams};
use clerk_m2m_core::retry::RetryPolicy;
use clerk_m2m_core::wire;
use serde_json::{json, Value};

use crate::checks::{check_error, check_request, check_retry, check_token, start};
use crate::executor::block_on;
use crate::fake::{json_response, token_json, Fake, Verdict};
use crate::{FIXTURE_PUBLIC_PEM, REFERENCE_NOW_MS};

/// Parameter and option parsing on any JSON value (non-JSON input is skipped): the four calls' params,
/// `timeoutMs`, `ClientConfig::resolve` (the value as options, env or process env; an array of three as
/// all three), the retry option, JWT options, then the four operations and `verify` over a fake transport,
/// with checks on every request built.
pub fn params(data: &[u8]) {
    start(data);
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let mut values = vec![value.clone()];
    if let Value::Array(items) = &value {
        values.extend(items.iter().take(8).cloned());
    }
    for v in &values {
        params_one(v);
    }
    if let Value::Array(items) = &value {
        if let [options, env, process_env] = items.as_slice() {
            resolve(options, env, process_env);
        }
    }
}

fn params_one(v: &Value) {
    let _ = clerk_m2m_core::params::as_safe_integer(v);
    if let Err(e) = clerk_m2m_core::params::parse_timeout(v) {
        check_error(&e);
    }
    if let Value::Object(map) = v {
        for key in map.keys() {
            let _ = __private::quote_key(key);
        }
    }
    if let Value::String(s) = v {
        if clerk_m2m_core::params::check_key_chars("key", s).is_ok() {
            assert!(s.bytes().all(|b| (0x21..=0x7e).contains(&b)));
        }
    }

    match ListParams::parse(v) {
        Ok(p) => {
            let q = wire::list_query(&p);
            assert!(
                q.bytes().all(|b| b.is_ascii_graphic()),
                "list query not form-encoded: {q}"
            );
        }
        Err(e) => check_error(&e),
    }
    match CreateParams::parse(v) {
        Ok(p) => {
            let body = wire::create_body(&p);
            assert!(
                serde_json::from_str::<Value>(&body).is_ok_and(|b| b.is_object()),
                "create body is not a JSON object: {body}"
            );
        }
        Err(e) => check_error(&e),
    }
    match RevokeParams::parse(v) {
        Ok(p) => {
            let body = wire::revoke_body(p.revocation_reason.as_deref());
            assert!(
                serde_json::from_str::<Value>(&body).is_ok(),
                "revoke body: {body}"
            );
        }
        Err(e) => check_error(&e),
    }
    match VerifyParams::parse(v) {
        Ok(p) => {
            let body = wire::verify_body(p.token.expose());
            assert!(
                serde_json::from_str::<Value>(&body).is_ok(),
                "verify body: {body}"
            );
        }
        Err(e) => check_error(&e),
    }
    if let Err(e) = VerifyCallOptions::from_params(v) {
        check_error(&e);
    }
    if let Err(e) = JwtOptions::from_client_options(v) {
        check_error(&e);
    }
    match RetryPolicy::from_option(v) {
        Ok(policy) => check_retry(&policy),
        Err(e) => check_error(&e),
    }

    resolve(v, &Value::Null, &Value::Null);
    resolve(&Value::Null, v, &Value::Null);
    resolve(&Value::Null, &Value::Null, v);

    // The operations over a fake transport, with a usable client and the value as params.
    let config = ClientConfig {
        api_url: "https://api.clerk.test/v".to_owned(),
        secret_key: Some(Secret::new("sk_test_fuzz_secret")),
        machine_secret_key: Some(Secret::new("ak_fuzz_machine")),
        jwt_key: Some(Secret::new(FIXTURE_PUBLIC_PEM)),
        ..ClientConfig::default()
    };
    operations(&config, v);
}

fn resolve(options: &Value, env: &Value, process_env: &Value) {
    let config = match ClientConfig::resolve(options, env, process_env) {
        Ok(c) => c,
        Err(e) => {
            check_error(&e);
            return;
        }
    };
    let _ = format!("{config:?}");
    check_retry(&config.retry);
    match clerk_m2m_core::http::endpoint_url(&config, &["m2m_tokens", "mt_1", "revoke"]) {
        Ok(url) => {
            let _ = clerk_m2m_core::http::check_transport(&config, &url);
        }
        Err(e) => panic!("resolve accepted an apiUrl that endpoint_url refuses: {e}"),
    }
    let headers = clerk_m2m_core::http::base_headers(&config, config.m2m_bearer(None));
    for (name, value) in &headers {
        assert!(
            value.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "header {name} has a value that is not printable ASCII"
        );
    }
    operations(
        &config,
        &json!({"subject": "mch_1", "m2mTokenId": "mt_1", "token": "mt_1"}),
    );
}

fn operations(config: &ClientConfig, v: &Value) {
    let fake = Fake::new(REFERENCE_NOW_MS, Verdict::Valid);
    let page = json!({"data": [token_json()], "total_count": 1});
    let list_fake = Fake {
        other: Ok(json_response(200, &page.to_string())),
        ..Fake::new(REFERENCE_NOW_MS, Verdict::Valid)
    };
    match block_on(clerk_m2m_core::m2m::list(&list_fake, config, v)) {
        Ok(p) => p.data.iter().for_each(check_token),
        Err(e) => check_error(&e),
    }
    let results = [
        block_on(clerk_m2m_core::m2m::create_token(&fake, config, v)),
        block_on(clerk_m2m_core::m2m::revoke_token(&fake, config, v)),
        block_on(clerk_m2m_core::m2m::verify_opaque(&fake, config, v)),
    ];
    clerk_m2m_core::jwks::cache::clear();
    let opts = JwtOptions::default();
    let verified = block_on(clerk_m2m_core::verify::verify(&fake, config, &opts, v));
    for r in results.iter().chain([&verified]) {
        match r {
            Ok(t) => check_token(t),
            Err(e) => check_error(e),
        }
    }
    for request in list_fake.requests().iter().chain(fake.requests().iter()) {
        check_request(request);
    }
}
