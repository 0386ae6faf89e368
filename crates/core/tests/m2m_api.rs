//! The four Backend API operations against a scripted transport: reference §7.A scenarios 1–13 and
//! 18–24, §7.B 102–117 (with our documented deviations asserted explicitly), exact bytes on the wire, and
//! the error mapping of §1.7.

mod m2m_support;

use clerk_m2m_core::m2m::{create_token, list, revoke_token, verify_opaque};
use clerk_m2m_core::ports::{Method, TransportError};
use clerk_m2m_core::{ApiError, ApiErrorMeta, ClientConfig, Error};
use m2m_support::*;
use serde_json::{json, Value};

fn list_body() -> Value {
    let mut second = tok("mt_2xxxxxxxxxxxxx");
    second["revoked"] = json!(true);
    let mut first = tok1();
    first.as_object_mut().unwrap().remove("token");
    second.as_object_mut().unwrap().remove("token");
    json!({ "m2m_tokens": [first, second], "total_count": 2 })
}

fn assert_tok1(t: &clerk_m2m_core::M2mToken) {
    assert_eq!(t.id, "mt_1xxxxxxxxxxxxx");
    assert_eq!(t.subject, "mch_1xxxxxxxxxxxxx");
    assert_eq!(t.scopes, vec!["mch_1xxxxxxxxxxxxx", "mch_2xxxxxxxxxxxxx"]);
    assert_eq!(t.claims, json!({"foo": "bar"}).as_object().cloned());
    assert!(!t.revoked);
    assert_eq!(t.revocation_reason, None);
    assert!(!t.expired);
    assert_eq!(t.expiration, Some(1753746916590));
    assert_eq!(t.created_at, 1753743316590);
    assert_eq!(t.updated_at, 1753743316590);
}

// ---- §7.A createToken -------------------------------------------------------------------------------

#[test]
fn a01_create_with_client_machine_key() {
    let fake = Fake::with(vec![json_response(201, "Created", &tok1())]);
    let t = block_on(create_token(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"secondsUntilExpiration": 3600, "minRemainingTtlSeconds": 240}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.clerk.test/m2m_tokens");
    assert_eq!(req.headers, expected_headers(Some("ak_xxxxx")));
    assert_eq!(
        req.body.as_deref(),
        Some(
            r#"{"seconds_until_expiration":3600,"claims":null,"min_remaining_ttl_seconds":240,"token_format":"opaque"}"#
        )
    );
    assert_tok1(&t);
    assert_eq!(t.token.as_deref(), Some("mt_secret_1xxxxxxxxxxxxx"));
}

#[test]
fn a02_create_with_per_call_machine_key_on_keyless_client() {
    let fake = Fake::with(vec![json_response(201, "Created", &tok1())]);
    let t = block_on(create_token(
        &fake,
        &config(None, None),
        &json!({"machineSecretKey": "ak_xxxxx", "secondsUntilExpiration": 3600, "minRemainingTtlSeconds": 240}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(authorization(&req).as_deref(), Some("Bearer ak_xxxxx"));
    assert_eq!(body_json(&req)["min_remaining_ttl_seconds"], json!(240));
    assert!(
        !req.body.unwrap().contains("machine"),
        "the key never goes into the body"
    );
    assert_eq!(t.id, "mt_1xxxxxxxxxxxxx");
    assert_eq!(t.token.as_deref(), Some("mt_secret_1xxxxxxxxxxxxx"));
}

#[test]
fn a03_create_with_instance_key_is_rejected_by_server() {
    let msg = "The provided Machine Secret Key is invalid. Make sure that your Machine Secret Key is correct.";
    let fake = Fake::with(vec![json_response(
        401,
        "Unauthorized",
        &json!({"errors": [{"code": "machine_secret_key_invalid", "message": msg}]}),
    )]);
    let e = api_err(block_on(create_token(
        &fake,
        &config(Some("sk_xxxxx"), None),
        &Value::Null,
    )));
    assert_eq!(
        authorization(&fake.only_request()).as_deref(),
        Some("Bearer sk_xxxxx")
    );
    assert_eq!(e.status, Some(401));
    assert_eq!(e.errors[0].code, "machine_secret_key_invalid");
    assert_eq!(e.errors[0].message, msg);
}

#[test]
fn a04_create_jwt_format() {
    let mut body = tok1();
    body["token"] = json!("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtY2hfMSJ9.c2ln");
    let fake = Fake::with(vec![json_response(201, "Created", &body)]);
    let t = block_on(create_token(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"tokenFormat": "jwt"}),
    ))
    .unwrap();
    assert_eq!(
        body_json(&fake.only_request())["token_format"],
        json!("jwt")
    );
    let token = t.token.unwrap();
    assert_eq!(token.split('.').count(), 3);
    assert!(token.split('.').all(|s| !s.is_empty()));
    assert_eq!(t.id, "mt_1xxxxxxxxxxxxx");
    assert_eq!(t.scopes.len(), 2);
}

#[test]
fn a05_create_jwt_with_claims() {
    let claims = json!({"role": "service", "tier": "gold"});
    let mut body = tok1();
    body["claims"] = claims.clone();
    let fake = Fake::with(vec![json_response(201, "Created", &body)]);
    let t = block_on(create_token(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"tokenFormat": "jwt", "claims": claims}),
    ))
    .unwrap();
    let sent = body_json(&fake.only_request());
    assert_eq!(sent["token_format"], json!("jwt"));
    assert_eq!(sent["claims"], claims);
    assert_eq!(t.claims, claims.as_object().cloned());
}

#[test]
fn key_order_is_the_callers_in_the_body_and_the_servers_in_the_result() {
    // Unsorted on purpose: `JSON.stringify` keeps insertion order, and so must the body and the result.
    let claims =
        json!({"role": "service", "nested_key": {"z": 1, "a": [{"y": true, "b": null}]}, "aa": 0});
    let mut body = tok1();
    body["claims"] = json!({"zeta": 1, "alpha": {"omega": 2, "beta": 3}});
    let fake = Fake::with(vec![json_response(201, "Created", &body)]);
    let t = block_on(create_token(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"claims": claims, "tokenFormat": "jwt"}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().body.as_deref(),
        Some(concat!(
            r#"{"seconds_until_expiration":null,"claims":{"role":"service","nested_key":{"z":1,"a":[{"y":true,"b":null}]},"aa":0},"#,
            r#""token_format":"jwt"}"#
        ))
    );
    let text = t.to_public_json_text();
    assert!(
        text.contains(r#""claims":{"zeta":1,"alpha":{"omega":2,"beta":3}}"#),
        "{text}"
    );
}

#[test]
fn a06_create_opaque_format() {
    let fake = Fake::with(vec![json_response(201, "Created", &tok1())]);
    let t = block_on(create_token(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"tokenFormat": "opaque"}),
    ))
    .unwrap();
    assert_eq!(
        body_json(&fake.only_request())["token_format"],
        json!("opaque")
    );
    let token = t.token.unwrap();
    assert!(token.starts_with("mt_secret_") && token.len() > 3);
}

#[test]
fn a07_create_format_defaults_to_opaque() {
    let fake = Fake::with(vec![json_response(201, "Created", &tok1())]);
    block_on(create_token(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"secondsUntilExpiration": 3600}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().body.as_deref(),
        Some(r#"{"seconds_until_expiration":3600,"claims":null,"token_format":"opaque"}"#)
    );
}

// ---- §7.A revokeToken ---------------------------------------------------------------------------------

#[test]
fn a08_revoke_with_machine_key() {
    let fake = Fake::with(vec![ok(&revoked_tok("revoked by test"))]);
    let t = block_on(revoke_token(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"m2mTokenId": "mt_1xxxxxxxxxxxxx", "revocationReason": "revoked by test"}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "https://api.clerk.test/m2m_tokens/mt_1xxxxxxxxxxxxx/revoke"
    );
    assert_eq!(req.headers, expected_headers(Some("ak_xxxxx")));
    assert_eq!(
        req.body.as_deref(),
        Some(r#"{"revocation_reason":"revoked by test"}"#)
    );
    assert!(t.revoked);
    assert_eq!(t.token, None);
    assert_eq!(t.revocation_reason.as_deref(), Some("revoked by test"));
    assert_eq!(t.scopes, vec!["mch_1xxxxxxxxxxxxx", "mch_2xxxxxxxxxxxxx"]);
    assert_eq!(t.claims, json!({"foo": "bar"}).as_object().cloned());
}

#[test]
fn a09_revoke_with_instance_key() {
    let fake = Fake::with(vec![ok(&revoked_tok("revoked by test"))]);
    let t = block_on(revoke_token(
        &fake,
        &config(Some("sk_xxxxx"), None),
        &json!({"m2mTokenId": "mt_1xxxxxxxxxxxxx", "revocationReason": "revoked by test"}),
    ))
    .unwrap();
    assert_eq!(
        authorization(&fake.only_request()).as_deref(),
        Some("Bearer sk_xxxxx")
    );
    assert!(t.revoked);
    assert_eq!(t.token, None);
    assert_eq!(t.revocation_reason.as_deref(), Some("revoked by test"));
}

fn missing_auth_401() -> Result<clerk_m2m_core::ports::HttpResponse, TransportError> {
    json_response(
        401,
        "Unauthorized",
        &json!({"error": "Unauthorized", "message": "Missing Authorization header"}),
    )
}

#[test]
fn a10_revoke_without_keys_sends_no_authorization() {
    let fake = Fake::with(vec![missing_auth_401()]);
    let e = api_err(block_on(revoke_token(
        &fake,
        &config(None, None),
        &json!({"m2mTokenId": "mt_1xxxxxxxxxxxxx"}),
    )));
    let req = fake.only_request();
    assert_eq!(authorization(&req), None);
    assert_eq!(req.headers, expected_headers(None));
    assert_eq!(e.status, Some(401));
    assert_eq!(e.errors, vec![], "an error body without `errors` gives []");
}

// ---- §7.A verify (opaque) -----------------------------------------------------------------------------

#[test]
fn a11_verify_with_machine_key() {
    let fake = Fake::with(vec![ok(&tok1())]);
    let t = block_on(verify_opaque(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"token": "mt_secret_1xxxxxxxxxxxxx"}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.clerk.test/m2m_tokens/verify");
    assert_eq!(req.headers, expected_headers(Some("ak_xxxxx")));
    assert_eq!(
        req.body.as_deref(),
        Some(r#"{"token":"mt_secret_1xxxxxxxxxxxxx"}"#)
    );
    assert_tok1(&t);
    assert_eq!(t.token.as_deref(), Some("mt_secret_1xxxxxxxxxxxxx"));
}

#[test]
fn a12_verify_with_instance_key() {
    let fake = Fake::with(vec![ok(&tok1())]);
    let t = block_on(verify_opaque(
        &fake,
        &config(Some("sk_xxxxx"), None),
        &json!({"token": "mt_secret_1xxxxxxxxxxxxx"}),
    ))
    .unwrap();
    assert_eq!(
        authorization(&fake.only_request()).as_deref(),
        Some("Bearer sk_xxxxx")
    );
    assert_tok1(&t);
}

#[test]
fn a13_verify_without_keys_rejects_with_401() {
    let fake = Fake::with(vec![missing_auth_401()]);
    let e = api_err(block_on(verify_opaque(
        &fake,
        &config(None, None),
        &json!({"token": "mt_secret_1xxxxxxxxxxxxx"}),
    )));
    assert_eq!(authorization(&fake.only_request()), None);
    assert_eq!(e.status, Some(401));
}

// ---- §7.A list ----------------------------------------------------------------------------------------

#[test]
fn a18_list_with_machine_key() {
    let fake = Fake::with(vec![ok(&list_body())]);
    let page = block_on(list(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"subject": "mch_1xxxxxxxxxxxxx", "limit": 10}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        "https://api.clerk.test/m2m_tokens?subject=mch_1xxxxxxxxxxxxx&limit=10"
    );
    assert_eq!(req.headers, expected_headers(Some("ak_xxxxx")));
    assert_eq!(req.body, None);
    assert_eq!(page.data.len(), 2);
    assert_eq!(page.data[0].id, "mt_1xxxxxxxxxxxxx");
    assert_eq!(page.data[1].id, "mt_2xxxxxxxxxxxxx");
    assert!(page.data[1].revoked);
    assert_eq!(page.data[0].token, None);
    assert_eq!(page.total_count, 2);
}

#[test]
fn a19_list_with_instance_key() {
    let fake = Fake::with(vec![ok(&list_body())]);
    let page = block_on(list(
        &fake,
        &config(Some("sk_xxxxx"), None),
        &json!({"subject": "mch_1xxxxxxxxxxxxx"}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(authorization(&req).as_deref(), Some("Bearer sk_xxxxx"));
    assert_eq!(
        req.url,
        "https://api.clerk.test/m2m_tokens?subject=mch_1xxxxxxxxxxxxx"
    );
    assert_eq!((page.data.len(), page.total_count), (2, 2));
}

#[test]
fn a20_list_revoked_filter() {
    let fake = Fake::with(vec![ok(&list_body())]);
    block_on(list(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"subject": "mch_1xxxxxxxxxxxxx", "revoked": true}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().url,
        "https://api.clerk.test/m2m_tokens?subject=mch_1xxxxxxxxxxxxx&revoked=true"
    );
}

#[test]
fn a21_list_expired_filter() {
    let fake = Fake::with(vec![ok(&list_body())]);
    block_on(list(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"subject": "mch_1xxxxxxxxxxxxx", "expired": true}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().url,
        "https://api.clerk.test/m2m_tokens?subject=mch_1xxxxxxxxxxxxx&expired=true"
    );
}

#[test]
fn a22_list_pagination() {
    let fake = Fake::with(vec![ok(&list_body())]);
    let page = block_on(list(
        &fake,
        &config(None, Some("ak_xxxxx")),
        &json!({"subject": "mch_1xxxxxxxxxxxxx", "limit": 5, "offset": 10}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().url,
        "https://api.clerk.test/m2m_tokens?subject=mch_1xxxxxxxxxxxxx&limit=5&offset=10"
    );
    assert_eq!(page.total_count, 2);
}

#[test]
fn a23_list_with_per_call_key_keeps_it_out_of_the_query() {
    let fake = Fake::with(vec![ok(&list_body())]);
    let page = block_on(list(
        &fake,
        &config(None, None),
        &json!({"machineSecretKey": "ak_xxxxx", "subject": "mch_1xxxxxxxxxxxxx"}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(authorization(&req).as_deref(), Some("Bearer ak_xxxxx"));
    assert_eq!(
        req.url,
        "https://api.clerk.test/m2m_tokens?subject=mch_1xxxxxxxxxxxxx"
    );
    assert!(!req.url.contains("machine") && !req.url.contains("ak_"));
    assert_eq!((page.data.len(), page.total_count), (2, 2));
}

#[test]
fn a24_list_without_keys_rejects_with_401() {
    let fake = Fake::with(vec![missing_auth_401()]);
    let e = api_err(block_on(list(
        &fake,
        &config(None, None),
        &json!({"subject": "mch_1xxxxxxxxxxxxx"}),
    )));
    assert_eq!(authorization(&fake.only_request()), None);
    assert_eq!(e.status, Some(401));
    assert_eq!(fake.count(), 1, "401 is not retried");
}

// ---- §1.3 key precedence ------------------------------------------------------------------------------

#[test]
fn key_precedence_per_call_then_client_machine_then_instance_then_none() {
    type Keys<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let cases: [Keys; 7] = [
        (
            Some("ak_call"),
            Some("sk_i"),
            Some("ak_m"),
            Some("Bearer ak_call"),
        ),
        (Some("ak_call"), None, None, Some("Bearer ak_call")),
        (None, Some("sk_i"), Some("ak_m"), Some("Bearer ak_m")),
        (Some(""), Some("sk_i"), Some("ak_m"), Some("Bearer ak_m")),
        (None, Some("sk_i"), None, Some("Bearer sk_i")),
        (None, Some("sk_i"), Some(""), Some("Bearer sk_i")),
        (None, None, None, None),
    ];
    for (per_call, sk, ak, expected) in cases {
        let cfg = config(sk, ak);
        let with_key = |mut params: Value| {
            if let Some(k) = per_call {
                params["machineSecretKey"] = json!(k);
            }
            params
        };
        let fake = Fake::with(vec![
            ok(&list_body()),
            json_response(201, "Created", &tok1()),
            ok(&tok1()),
            ok(&tok1()),
        ]);
        block_on(list(&fake, &cfg, &with_key(json!({"subject": "mch_1"})))).unwrap();
        block_on(create_token(&fake, &cfg, &with_key(json!({})))).unwrap();
        block_on(revoke_token(
            &fake,
            &cfg,
            &with_key(json!({"m2mTokenId": "mt_1"})),
        ))
        .unwrap();
        block_on(verify_opaque(
            &fake,
            &cfg,
            &with_key(json!({"token": "mt_x"})),
        ))
        .unwrap();
        let requests = fake.requests.borrow();
        assert_eq!(requests.len(), 4);
        for r in requests.iter() {
            assert_eq!(
                authorization(r).as_deref(),
                expected,
                "{per_call:?} {sk:?} {ak:?} {}",
                r.url
            );
        }
    }
}

#[test]
fn per_call_null_machine_key_falls_back_to_client_key() {
    let fake = Fake::with(vec![ok(&tok1())]);
    block_on(verify_opaque(
        &fake,
        &config(Some("sk_i"), None),
        &json!({"token": "mt_x", "machineSecretKey": null}),
    ))
    .unwrap();
    assert_eq!(
        authorization(&fake.only_request()).as_deref(),
        Some("Bearer sk_i")
    );
}

// ---- §7.B observed behaviour ----------------------------------------------------------------------------

#[test]
fn b102_list_query_drops_falsy_values_and_uses_per_call_key() {
    let fake = Fake::with(vec![ok(&list_body())]);
    block_on(list(
        &fake,
        &config(Some("sk_i"), Some("ak_client")),
        &json!({"subject": "mch_1", "revoked": false, "expired": true, "offset": 5, "machineSecretKey": "ak_percall"}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(
        req.url,
        "https://api.clerk.test/m2m_tokens?subject=mch_1&expired=true&offset=5"
    );
    assert_eq!(req.headers, expected_headers(Some("ak_percall")));
    assert_eq!(req.body, None);
}

#[test]
fn b102_deviation_limit_zero_is_rejected_instead_of_dropped() {
    let fake = Fake::new();
    let msg = invalid(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1", "limit": 0}),
    )));
    assert_eq!(msg, "limit must be an integer between 1 and 100");
    assert_eq!(fake.count(), 0);
}

#[test]
fn b102_offset_zero_and_expired_false_are_not_sent() {
    let fake = Fake::with(vec![ok(&list_body())]);
    block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1", "offset": 0, "expired": false, "revoked": null}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().url,
        "https://api.clerk.test/m2m_tokens?subject=mch_1"
    );
}

#[test]
fn list_query_is_form_urlencoded() {
    let fake = Fake::with(vec![ok(&list_body())]);
    block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch a&b=c/d~é*"}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().url,
        "https://api.clerk.test/m2m_tokens?subject=mch+a%26b%3Dc%2Fd%7E%C3%A9*"
    );
}

#[test]
fn list_query_parameter_order_is_fixed() {
    let fake = Fake::with(vec![ok(&list_body())]);
    block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"offset": 20, "limit": 100, "expired": true, "revoked": true, "subject": "mch_1"}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().url,
        "https://api.clerk.test/m2m_tokens?subject=mch_1&revoked=true&expired=true&limit=100&offset=20"
    );
}

#[test]
fn b103_create_default_body() {
    let fake = Fake::with(vec![json_response(201, "Created", &tok1())]);
    block_on(create_token(
        &fake,
        &config(Some("sk_i"), Some("ak_client")),
        &Value::Null,
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(
        req.body.as_deref(),
        Some(r#"{"seconds_until_expiration":null,"claims":null,"token_format":"opaque"}"#)
    );
    assert_eq!(req.headers, expected_headers(Some("ak_client")));
    // `{}` is the same as no params.
    let fake = Fake::with(vec![json_response(201, "Created", &tok1())]);
    block_on(create_token(
        &fake,
        &config(None, Some("ak_client")),
        &json!({}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().body.as_deref(),
        Some(r#"{"seconds_until_expiration":null,"claims":null,"token_format":"opaque"}"#)
    );
}

#[test]
fn b104_create_full_body_bytes() {
    let fake = Fake::with(vec![json_response(201, "Created", &tok1())]);
    let mut claims = serde_json::Map::new();
    claims.insert("userId".into(), json!(1));
    claims.insert("nested_key".into(), json!({"innerKey": 2}));
    block_on(create_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"claims": claims, "minRemainingTtlSeconds": null, "secondsUntilExpiration": 60, "tokenFormat": "jwt"}),
    ))
    .unwrap();
    // Top-level order is always the reference's. Claims keep the caller's order when serde_json's Map does
    // (feature `preserve_order`); otherwise they come out sorted (documented deviation, same JSON value).
    let expected = if map_preserves_order() {
        r#"{"seconds_until_expiration":60,"claims":{"userId":1,"nested_key":{"innerKey":2}},"min_remaining_ttl_seconds":null,"token_format":"jwt"}"#
    } else {
        r#"{"seconds_until_expiration":60,"claims":{"nested_key":{"innerKey":2},"userId":1},"min_remaining_ttl_seconds":null,"token_format":"jwt"}"#
    };
    assert_eq!(fake.only_request().body.as_deref(), Some(expected));
}

#[test]
fn create_body_writes_numbers_and_strings_like_json_stringify() {
    let fake = Fake::with(vec![json_response(201, "Created", &tok1())]);
    // A JS number can reach us as a float: integral ones must not print as `1.0`.
    let claims = json!({"f": 1.0, "g": 0.5, "h": -0.0, "i": 1e21, "j": 1e-7, "k": 123456.789, "s": "a\"b\\c\n\u{1}é", "n": null, "a": [true, false, 2.0]});
    block_on(create_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"claims": claims}),
    ))
    .unwrap();
    let body = fake.only_request().body.unwrap();
    for fragment in [
        r#""f":1"#,
        r#""g":0.5"#,
        r#""h":0"#,
        r#""i":1e+21"#,
        r#""j":1e-7"#,
        r#""k":123456.789"#,
        r#""s":"a\"b\\c\n\u0001é""#,
        r#""n":null"#,
        r#""a":[true,false,2]"#,
    ] {
        assert!(body.contains(fragment), "{fragment} not in {body}");
    }
    assert_eq!(
        body_json(&fake.only_request())["claims"]["s"],
        json!("a\"b\\c\n\u{1}é")
    );
}

#[test]
fn create_body_min_remaining_ttl_only_when_given() {
    let fake = Fake::with(vec![
        json_response(201, "Created", &tok1()),
        json_response(201, "Created", &tok1()),
    ]);
    block_on(create_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"minRemainingTtlSeconds": 0}),
    ))
    .unwrap();
    block_on(create_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"secondsUntilExpiration": null, "claims": null}),
    ))
    .unwrap();
    let requests = fake.requests.borrow();
    assert_eq!(
        requests[0].body.as_deref(),
        Some(
            r#"{"seconds_until_expiration":null,"claims":null,"min_remaining_ttl_seconds":0,"token_format":"opaque"}"#
        )
    );
    assert_eq!(
        requests[1].body.as_deref(),
        Some(r#"{"seconds_until_expiration":null,"claims":null,"token_format":"opaque"}"#)
    );
}

#[test]
fn b105_revoke_default_reason_is_null() {
    let fake = Fake::with(vec![ok(&revoked_tok("x"))]);
    block_on(revoke_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"m2mTokenId": "mt_1"}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().body.as_deref(),
        Some(r#"{"revocation_reason":null}"#)
    );
    let fake = Fake::with(vec![ok(&revoked_tok("x"))]);
    block_on(revoke_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"m2mTokenId": "mt_1", "revocationReason": null}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().body.as_deref(),
        Some(r#"{"revocation_reason":null}"#)
    );
}

#[test]
fn b106_verify_body_and_keys() {
    let fake = Fake::with(vec![ok(&tok1())]);
    block_on(verify_opaque(
        &fake,
        &config(Some("sk_i"), None),
        &json!({"token": "mt_abc"}),
    ))
    .unwrap();
    let req = fake.only_request();
    assert_eq!(req.body.as_deref(), Some(r#"{"token":"mt_abc"}"#));
    assert_eq!(authorization(&req).as_deref(), Some("Bearer sk_i"));
    let fake = Fake::with(vec![ok(&tok1())]);
    block_on(verify_opaque(
        &fake,
        &config(None, None),
        &json!({"token": "mt_abc"}),
    ))
    .unwrap();
    assert_eq!(authorization(&fake.only_request()), None);
}

#[test]
fn b107_deviation_empty_id_is_a_type_error_before_any_request() {
    for params in [
        json!({"m2mTokenId": ""}),
        json!({}),
        json!({"m2mTokenId": null}),
        json!({"m2mTokenId": "mt_"}),
    ] {
        let fake = Fake::new();
        let msg = invalid(block_on(revoke_token(
            &fake,
            &config(None, Some("ak")),
            &params,
        )));
        assert_eq!(msg, "m2mTokenId must be a string starting with \"mt_\"");
        assert_eq!(fake.count(), 0);
    }
}

#[test]
fn b108_dot_segments_are_refused_before_any_request() {
    for id in [
        "..",
        ".",
        "mt_/..",
        "mt_\\..",
        "mt_/%2e%2E",
        "mt_/%252e%252e",
        "mt_/./x",
    ] {
        let fake = Fake::new();
        let msg = invalid(block_on(revoke_token(
            &fake,
            &config(None, Some("ak")),
            &json!({"m2mTokenId": id}),
        )));
        assert!(
            msg.contains("m2mTokenId") || msg.contains("\".\" and \"..\""),
            "{id}: {msg}"
        );
        assert_eq!(fake.count(), 0, "{id}");
    }
    let fake = Fake::new();
    let msg = invalid(block_on(revoke_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"m2mTokenId": "mt_/.."}),
    )));
    assert_eq!(msg, "path segments \".\" and \"..\" are not allowed");
}

#[test]
fn b109_deviation_ids_are_percent_encoded() {
    let fake = Fake::with(vec![ok(&revoked_tok("x"))]);
    block_on(revoke_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"m2mTokenId": "mt_a/b?c#d"}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().url,
        "https://api.clerk.test/m2m_tokens/mt_a%2Fb%3Fc%23d/revoke"
    );
    let fake = Fake::with(vec![ok(&revoked_tok("x"))]);
    block_on(revoke_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"m2mTokenId": "mt_ é%..~"}),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().url,
        "https://api.clerk.test/m2m_tokens/mt_%20%C3%A9%25..~/revoke"
    );
}

#[test]
fn b110_list_total_count_and_deviation_without_it() {
    let mut body = list_body();
    body["total_count"] = json!(7);
    let fake = Fake::with(vec![ok(&body)]);
    let page = block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    ))
    .unwrap();
    assert_eq!((page.data.len(), page.total_count), (2, 7));

    // Deviation: no `total_count` still gives a page (the reference returns a bare array).
    body.as_object_mut().unwrap().remove("total_count");
    let fake = Fake::with(vec![ok(&body)]);
    let page = block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    ))
    .unwrap();
    assert_eq!((page.data.len(), page.total_count), (2, 2));
    assert_eq!(page.to_public_json()["totalCount"], json!(2));
}

#[test]
fn list_accepts_data_shape_and_bare_arrays() {
    let items = list_body()["m2m_tokens"].clone();
    let fake = Fake::with(vec![
        ok(&json!({"data": items, "total_count": 9})),
        ok(&items),
    ]);
    let page = block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    ))
    .unwrap();
    assert_eq!((page.data.len(), page.total_count), (2, 9));
    let page = block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    ))
    .unwrap();
    assert_eq!((page.data.len(), page.total_count), (2, 2));
}

#[test]
fn b111_deviation_json_with_charset_is_decoded() {
    let fake = Fake::with(vec![raw(
        200,
        "OK",
        &[("content-type", "application/json; charset=utf-8")],
        &tok1().to_string(),
    )]);
    let t = block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"}),
    ))
    .unwrap();
    assert_tok1(&t);
    let fake = Fake::with(vec![raw(
        200,
        "OK",
        &[("Content-Type", "Application/JSON;charset=UTF-8")],
        &tok1().to_string(),
    )]);
    assert!(block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"})
    ))
    .is_ok());
}

#[test]
fn b112_deviation_missing_object_field_is_accepted() {
    let mut body = tok1();
    body.as_object_mut().unwrap().remove("object");
    body["last_used_at"] = json!(1753743316590_i64);
    let fake = Fake::with(vec![ok(&body)]);
    let t = block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"}),
    ))
    .unwrap();
    assert_tok1(&t);
}

#[test]
fn b113_error_mapping_with_trace_retry_after_and_meta() {
    let body = json!({
        "errors": [{"code": "machine_secret_key_invalid", "message": "bad", "long_message": "long bad", "meta": {"param_name": "p", "other": 1}}],
        "clerk_trace_id": "trace1",
    });
    let fake = Fake::with(vec![raw(
        401,
        "Unauthorized",
        &[
            ("content-type", "application/json"),
            ("cf-ray", "ray123"),
            ("retry-after", "7"),
        ],
        &body.to_string(),
    )]);
    let e = api_err(block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"}),
    )));
    assert_eq!(e.message, "Unauthorized");
    assert_eq!(e.status, Some(401));
    assert_eq!(e.status_text, "Unauthorized");
    assert_eq!(e.clerk_trace_id, "trace1");
    assert_eq!(e.retry_after, Some(7));
    assert_eq!(
        e.errors,
        vec![ApiError {
            code: "machine_secret_key_invalid".into(),
            message: "bad".into(),
            long_message: Some("long bad".into()),
            meta: Some(ApiErrorMeta {
                param_name: Some("p".into()),
                ..ApiErrorMeta::default()
            }),
        }]
    );
    let err = Error::Api(e);
    assert_eq!(
        (err.kind(), err.code()),
        ("ClerkAPIResponseError", "api_response_error")
    );
}

#[test]
fn error_meta_keeps_exactly_the_reference_keys() {
    let body = json!({"errors": [{"code": "c", "message": "m", "meta": {
        "param_name": "p", "session_id": "sess_1", "email_addresses": ["a@b.c"], "identifiers": ["x", "y"],
        "zxcvbn": {"score": 1}, "plan": {"id": "pl"}, "is_plan_upgrade_possible": true,
        "seats_quantity_to_add": 2, "seats_quantity": 3.5, "ignored": "z"}}]});
    let fake = Fake::with(vec![json_response(422, "Unprocessable Entity", &body)]);
    let e = api_err(block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"}),
    )));
    assert_eq!(
        e.errors[0].meta,
        Some(ApiErrorMeta {
            param_name: Some("p".into()),
            session_id: Some("sess_1".into()),
            email_addresses: Some(vec!["a@b.c".into()]),
            identifiers: Some(vec!["x".into(), "y".into()]),
            zxcvbn: Some(json!({"score": 1})),
            plan: Some(json!({"id": "pl"})),
            is_plan_upgrade_possible: Some(true),
            seats_quantity_to_add: Some(2.0),
            seats_quantity: Some(3.5),
        })
    );
    assert_eq!(e.errors[0].long_message, None);
}

#[test]
fn b113_factory_72_to_75_trace_id_and_retry_after_variants() {
    // 72: body trace id wins over cf-ray.
    let body = json!({"errors": [{"code": "whatever_error", "message": "whatever error", "long_message": "some long message", "meta": {"param_name": "some param"}}], "clerk_trace_id": "trace_id_123"});
    let fake = Fake::with(vec![raw(
        422,
        "Unprocessable Entity",
        &[("content-type", "application/json"), ("cf-ray", "other")],
        &body.to_string(),
    )]);
    let e = api_err(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    )));
    assert_eq!(
        (e.clerk_trace_id.as_str(), e.status),
        ("trace_id_123", Some(422))
    );
    assert_eq!(
        e.errors[0].long_message.as_deref(),
        Some("some long message")
    );
    // 73: cf-ray when the body has none.
    let fake = Fake::with(vec![raw(
        500,
        "Internal Server Error",
        &[
            ("content-type", "application/json"),
            ("cf-ray", "mock_cf_ray"),
        ],
        r#"{"errors":[]}"#,
    )]);
    let cfg = ClientConfig {
        retry: clerk_m2m_core::retry::RetryPolicy::disabled(),
        ..config(None, Some("ak"))
    };
    let e = api_err(block_on(list(&fake, &cfg, &json!({"subject": "mch_1"}))));
    assert_eq!(e.clerk_trace_id, "mock_cf_ray");
    // 74/75: numeric Retry-After only.
    for (header, expected) in [
        ("123", Some(123)),
        ("abc", None),
        (" 12", Some(12)),
        ("5.9", Some(5)),
        ("-5", None),
        ("", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
    ] {
        let fake = Fake::with(vec![raw(
            429,
            "Too Many Requests",
            &[("retry-after", header)],
            "",
        )]);
        let e = api_err(block_on(create_token(
            &fake,
            &config(None, Some("ak")),
            &Value::Null,
        )));
        assert_eq!(e.retry_after, expected, "{header:?}");
    }
}

#[test]
fn b114_non_json_error_body() {
    let fake = Fake::with(vec![raw(
        502,
        "Bad Gateway",
        &[("content-type", "text/html"), ("cf-ray", "ray9")],
        "<html>bad gateway</html>",
    )]);
    let e = api_err(block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"}),
    )));
    assert_eq!(
        (e.message.as_str(), e.status, e.clerk_trace_id.as_str()),
        ("Bad Gateway", Some(502), "ray9")
    );
    assert_eq!(e.errors, vec![]);
    assert_eq!(e.retry_after, None);
}

#[test]
fn deviation_empty_status_text_gives_reason_phrase() {
    for (status, expected) in [
        (401, "Unauthorized"),
        (429, "Too Many Requests"),
        (502, "Bad Gateway"),
        (404, "Not Found"),
        (599, "HTTP 599"),
        (418, "HTTP 418"),
    ] {
        let fake = Fake::with(vec![raw(
            status,
            "",
            &[("content-type", "application/json")],
            r#"{"errors":[]}"#,
        )]);
        let e = api_err(block_on(create_token(
            &fake,
            &config(None, Some("ak")),
            &Value::Null,
        )));
        assert_eq!(e.message, expected);
        assert_eq!(e.status_text, "");
        assert_eq!(e.status, Some(status));
    }
}

#[test]
fn error_bodies_that_are_not_usable_give_empty_errors() {
    for body in [
        r#"{"errors":null}"#,
        r#"{"errors":"x"}"#,
        r#"{"error":"Unauthorized","message":"m"}"#,
        "not json",
        "[1,2]",
        "",
    ] {
        let fake = Fake::with(vec![raw(
            400,
            "Bad Request",
            &[("content-type", "application/json")],
            body,
        )]);
        let e = api_err(block_on(create_token(
            &fake,
            &config(None, Some("ak")),
            &Value::Null,
        )));
        assert_eq!((e.status, e.errors.clone()), (Some(400), vec![]), "{body}");
        assert_eq!(e.message, "Bad Request");
    }
    // Malformed entries keep their position with empty strings.
    let fake = Fake::with(vec![json_response(
        400,
        "Bad Request",
        &json!({"errors": [1, {"code": 5, "message": "m"}]}),
    )]);
    let e = api_err(block_on(create_token(
        &fake,
        &config(None, Some("ak")),
        &Value::Null,
    )));
    assert_eq!(e.errors.len(), 2);
    assert_eq!(
        (e.errors[1].code.as_str(), e.errors[1].message.as_str()),
        ("", "m")
    );
}

#[test]
fn b115_invalid_json_in_2xx() {
    let fake = Fake::with(vec![raw(
        200,
        "OK",
        &[("content-type", "application/json")],
        "{'",
    )]);
    let e = api_err(block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"}),
    )));
    assert_eq!(e.status, None);
    assert_eq!(e.clerk_trace_id, "");
    assert_eq!(e.message, "Unexpected response from the Clerk Backend API");
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.errors[0].code, "unexpected_error");
    assert_eq!(
        e.errors[0].message,
        serde_json::from_str::<Value>("{'").unwrap_err().to_string()
    );
    assert_eq!(e.errors[0].meta, None);
}

#[test]
fn b116_network_failure() {
    let fake = Fake::with(vec![Err(TransportError::Network {
        message: "fetch failed".into(),
    })]);
    let e = api_err(block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"}),
    )));
    assert_eq!(e.status, None);
    assert_eq!(e.status_text, "");
    assert_eq!(e.clerk_trace_id, "");
    // Where the request went (the origin only) and what to check; the runtime's message as the reference has it.
    assert_eq!(
        e.message,
        "Clerk Backend API request to https://api.clerk.test failed: fetch failed. Check apiUrl (CLERK_API_URL) \
         and that this runtime can reach that host."
    );
    assert!(
        e.network_failure,
        "a binding attaches the runtime's error as `cause`"
    );
    assert_eq!(
        e.errors,
        vec![ApiError {
            code: "unexpected_error".into(),
            message: "fetch failed".into(),
            long_message: None,
            meta: None
        }]
    );
    let fake = Fake::with(vec![Err(TransportError::Network {
        message: String::new(),
    })]);
    let e = api_err(block_on(create_token(
        &fake,
        &config(None, Some("ak")),
        &Value::Null,
    )));
    assert_eq!(e.errors[0].message, "Unexpected error");
    assert!(e
        .message
        .starts_with("Clerk Backend API request to https://api.clerk.test failed: Unexpected error. Check apiUrl"));
}

#[test]
fn b117_deviation_empty_api_url_means_default_and_bad_urls_are_configuration_errors() {
    let c = ClientConfig::resolve(&json!({"apiUrl": ""}), &Value::Null, &Value::Null).unwrap();
    assert_eq!(c.api_url, "https://api.clerk.com");
    let msg = configuration(ClientConfig::resolve(
        &json!({"apiUrl": "not a url"}),
        &Value::Null,
        &Value::Null,
    ));
    assert!(msg.starts_with("apiUrl "), "{msg}");
    // A config built by hand with a bad URL fails at call time, before any request.
    let fake = Fake::new();
    let cfg = ClientConfig {
        api_url: String::new(),
        ..config(None, Some("ak"))
    };
    configuration(block_on(verify_opaque(
        &fake,
        &cfg,
        &json!({"token": "mt_abc"}),
    )));
    assert_eq!(fake.count(), 0);
}

// ---- response decoding ---------------------------------------------------------------------------------

#[test]
fn strict_decoding_of_token_fields() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "subject",
            Value::Null,
            "invalid type for field `subject`: expected a string",
        ),
        (
            "id",
            json!(5),
            "invalid type for field `id`: expected a string",
        ),
        (
            "revoked",
            json!("no"),
            "invalid type for field `revoked`: expected a boolean",
        ),
        (
            "scopes",
            json!("mch_1"),
            "invalid type for field `scopes`: expected an array of strings",
        ),
        (
            "scopes",
            json!([1]),
            "invalid type for field `scopes`: expected an array of strings",
        ),
        (
            "claims",
            json!([1]),
            "invalid type for field `claims`: expected an object or null",
        ),
        (
            "created_at",
            json!("1753743316590"),
            "invalid type for field `created_at`: expected an integer timestamp in ms",
        ),
        (
            "updated_at",
            json!(1.5),
            "invalid type for field `updated_at`: expected an integer timestamp in ms",
        ),
        (
            "expiration",
            json!(true),
            "invalid type for field `expiration`: expected an integer timestamp in ms or null",
        ),
        (
            "revocation_reason",
            json!(1),
            "invalid type for field `revocation_reason`: expected a string or null",
        ),
        (
            "object",
            json!("user"),
            "field `object` is not \"machine_to_machine_token\"",
        ),
    ];
    for (field, value, expected) in cases {
        let mut body = tok1();
        body[field] = value;
        let fake = Fake::with(vec![ok(&body)]);
        let e = api_err(block_on(verify_opaque(
            &fake,
            &config(None, Some("ak")),
            &json!({"token": "mt_abc"}),
        )));
        assert_eq!(e.status, Some(200), "{field}");
        assert_eq!(e.message, "Unexpected response from the Clerk Backend API");
        assert_eq!(e.errors[0].code, "unexpected_error");
        assert_eq!(e.errors[0].message, expected);
    }
    for field in [
        "id",
        "subject",
        "revoked",
        "expired",
        "created_at",
        "updated_at",
    ] {
        let mut body = tok1();
        body.as_object_mut().unwrap().remove(field);
        let fake = Fake::with(vec![ok(&body)]);
        let e = api_err(block_on(verify_opaque(
            &fake,
            &config(None, Some("ak")),
            &json!({"token": "mt_abc"}),
        )));
        assert_eq!(e.errors[0].message, format!("missing field `{field}`"));
    }
}

#[test]
fn lenient_optional_fields() {
    let mut body = tok1();
    let o = body.as_object_mut().unwrap();
    for f in [
        "scopes",
        "claims",
        "revocation_reason",
        "expiration",
        "token",
        "object",
    ] {
        o.remove(f);
    }
    let fake = Fake::with(vec![ok(&body)]);
    let t = block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"}),
    ))
    .unwrap();
    assert_eq!(
        (
            t.scopes.len(),
            t.claims.clone(),
            t.expiration,
            t.token.clone()
        ),
        (0, None, None, None)
    );
    // Timestamps that arrive as integral floats are fine.
    let mut body = tok1();
    body["created_at"] = json!(1753743316590.0);
    let fake = Fake::with(vec![ok(&body)]);
    assert_eq!(
        block_on(verify_opaque(
            &fake,
            &config(None, Some("ak")),
            &json!({"token": "mt_abc"})
        ))
        .unwrap()
        .created_at,
        1753743316590
    );
}

#[test]
fn create_requires_token_in_the_response() {
    let mut body = tok1();
    body.as_object_mut().unwrap().remove("token");
    let fake = Fake::with(vec![json_response(201, "Created", &body)]);
    let e = api_err(block_on(create_token(
        &fake,
        &config(None, Some("ak")),
        &Value::Null,
    )));
    assert_eq!(
        (e.status, e.errors[0].message.as_str()),
        (Some(201), "missing field `token`")
    );
}

#[test]
fn list_names_the_bad_item() {
    let mut body = list_body();
    body["m2m_tokens"][1]
        .as_object_mut()
        .unwrap()
        .remove("subject");
    let fake = Fake::with(vec![ok(&body)]);
    let e = api_err(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    )));
    assert_eq!(
        e.errors[0].message,
        "m2m_tokens[1]: missing field `subject`"
    );
    let fake = Fake::with(vec![ok(&json!({"total_count": 1}))]);
    let e = api_err(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    )));
    assert_eq!(e.errors[0].message, "missing field `m2m_tokens`");
    let fake = Fake::with(vec![ok(&json!({"m2m_tokens": [], "total_count": -1}))]);
    let e = api_err(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    )));
    assert_eq!(
        e.errors[0].message,
        "invalid type for field `total_count`: expected a non-negative integer"
    );
}

#[test]
fn status_204_and_non_json_success_are_unexpected() {
    let fake = Fake::with(vec![raw(204, "No Content", &[], "")]);
    let e = api_err(block_on(revoke_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"m2mTokenId": "mt_1"}),
    )));
    assert_eq!(
        (e.status, e.message.as_str()),
        (Some(204), "Unexpected response from the Clerk Backend API")
    );
    assert_eq!(e.errors[0].code, "unexpected_error");
    let fake = Fake::with(vec![raw(
        200,
        "OK",
        &[("content-type", "text/plain"), ("cf-ray", "r1")],
        &tok1().to_string(),
    )]);
    let e = api_err(block_on(verify_opaque(
        &fake,
        &config(None, Some("ak")),
        &json!({"token": "mt_abc"}),
    )));
    assert_eq!((e.status, e.clerk_trace_id.as_str()), (Some(200), "r1"));
    assert_eq!(
        e.errors[0].message,
        "expected a JSON response (content-type application/json)"
    );
}

// ---- timeouts and aborts ---------------------------------------------------------------------------------

#[test]
fn timeout_is_taken_from_the_call_then_the_client() {
    let fake = Fake::with(vec![ok(&tok1()), ok(&tok1()), ok(&tok1()), ok(&tok1())]);
    let cfg = config(None, Some("ak"));
    block_on(verify_opaque(&fake, &cfg, &json!({"token": "mt_abc"}))).unwrap();
    block_on(verify_opaque(
        &fake,
        &cfg,
        &json!({"token": "mt_abc", "timeoutMs": 1500}),
    ))
    .unwrap();
    block_on(verify_opaque(
        &fake,
        &cfg,
        &json!({"token": "mt_abc", "timeoutMs": 0}),
    ))
    .unwrap();
    let no_timeout = ClientConfig {
        timeout_ms: None,
        ..cfg.clone()
    };
    block_on(verify_opaque(
        &fake,
        &no_timeout,
        &json!({"token": "mt_abc"}),
    ))
    .unwrap();
    let timeouts: Vec<Option<u32>> = fake
        .requests
        .borrow()
        .iter()
        .map(|r| r.timeout_ms)
        .collect();
    assert_eq!(timeouts, vec![Some(30_000), Some(1500), None, None]);
}

#[test]
fn timeout_maps_to_request_timeout_error() {
    let fake = Fake::with(vec![Err(TransportError::Timeout { after_ms: 1500 })]);
    let e = api_err(block_on(create_token(
        &fake,
        &config(None, Some("ak")),
        &json!({"timeoutMs": 1500}),
    )));
    assert_eq!(e.status, None);
    assert_eq!(
        e.message,
        "Clerk Backend API request timed out after 1500 ms"
    );
    assert_eq!(
        e.errors,
        vec![ApiError {
            code: "request_timeout".into(),
            message: "Clerk Backend API request timed out after 1500 ms".into(),
            long_message: None,
            meta: None
        }]
    );
    assert_eq!(fake.count(), 1);
}

#[test]
fn abort_maps_to_aborted() {
    let cfg = config(None, Some("ak"));
    let fake = Fake::with(vec![Err(TransportError::Aborted)]);
    assert_eq!(
        block_on(verify_opaque(&fake, &cfg, &json!({"token": "mt_abc"}))),
        Err(Error::Aborted)
    );
    let fake = Fake::with(vec![Err(TransportError::Aborted)]);
    assert_eq!(
        block_on(list(&fake, &cfg, &json!({"subject": "mch_1"}))),
        Err(Error::Aborted)
    );
    assert_eq!(fake.count(), 1, "an abort is never retried");
}

// ---- transport security ----------------------------------------------------------------------------------

#[test]
fn insecure_http_is_refused_for_secrets_before_any_request() {
    let cfg = ClientConfig {
        api_url: "http://bapi.internal:8080/x".into(),
        ..config(Some("sk_live_SECRET"), None)
    };
    let fake = Fake::new();
    let msg = configuration(block_on(list(&fake, &cfg, &json!({"subject": "mch_1"}))));
    assert_eq!(msg, "Refusing to send a Clerk secret (a key or a token) over plain http to bapi.internal; use https or set allowInsecureHttp: true");
    configuration(block_on(create_token(&fake, &cfg, &Value::Null)));
    configuration(block_on(revoke_token(
        &fake,
        &cfg,
        &json!({"m2mTokenId": "mt_1"}),
    )));
    configuration(block_on(verify_opaque(
        &fake,
        &cfg,
        &json!({"token": "mt_abc"}),
    )));
    // A token in the body is a secret too, even without a key.
    let keyless = ClientConfig {
        secret_key: None,
        ..cfg.clone()
    };
    configuration(block_on(verify_opaque(
        &fake,
        &keyless,
        &json!({"token": "mt_abc"}),
    )));
    assert_eq!(fake.count(), 0);
    // Without any secret the request goes out (and the server answers 401).
    let fake = Fake::with(vec![missing_auth_401()]);
    api_err(block_on(list(
        &fake,
        &keyless,
        &json!({"subject": "mch_1"}),
    )));
    assert_eq!(
        fake.only_request().url,
        "http://bapi.internal:8080/x/m2m_tokens?subject=mch_1"
    );
    // allowInsecureHttp opts out.
    let allowed = ClientConfig {
        allow_insecure_http: true,
        ..cfg
    };
    let fake = Fake::with(vec![ok(&tok1())]);
    block_on(verify_opaque(&fake, &allowed, &json!({"token": "mt_abc"}))).unwrap();
    assert_eq!(
        fake.only_request().url,
        "http://bapi.internal:8080/x/m2m_tokens/verify"
    );
}

#[test]
fn insecure_http_loopback_exceptions() {
    for url in [
        "http://127.0.0.1:8787",
        "http://127.9.8.7",
        "http://localhost:3000/",
        "http://LOCALHOST",
        "http://[::1]:8080",
        "http://[0:0:0:0:0:0:0:1]",
    ] {
        let cfg = ClientConfig {
            api_url: url.into(),
            ..config(Some("sk_x"), None)
        };
        let fake = Fake::with(vec![ok(&tok1())]);
        block_on(verify_opaque(&fake, &cfg, &json!({"token": "mt_abc"})))
            .unwrap_or_else(|e| panic!("{url}: {e:?}"));
    }
    for (url, host) in [
        ("http://128.0.0.1", "128.0.0.1"),
        ("http://localhost.evil.test", "localhost.evil.test"),
        ("http://127.0.0.1.evil.test", "127.0.0.1.evil.test"),
        ("http://[::2]", "[::2]"),
        ("http://0.0.0.0", "0.0.0.0"),
        ("http://10.0.0.1", "10.0.0.1"),
    ] {
        let cfg = ClientConfig {
            api_url: url.into(),
            ..config(Some("sk_x"), None)
        };
        let fake = Fake::new();
        let msg = configuration(block_on(verify_opaque(
            &fake,
            &cfg,
            &json!({"token": "mt_abc"}),
        )));
        assert!(msg.contains(&format!(" to {host};")), "{url}: {msg}");
        assert_eq!(fake.count(), 0);
    }
}

#[test]
fn api_url_prefix_and_trailing_slashes() {
    for (api_url, expected) in [
        (
            "https://x.test/bapi",
            "https://x.test/bapi/m2m_tokens/verify",
        ),
        (
            "https://x.test/bapi/",
            "https://x.test/bapi/m2m_tokens/verify",
        ),
        (
            "https://x.test//bapi//v//",
            "https://x.test/bapi/v/m2m_tokens/verify",
        ),
        ("https://x.test", "https://x.test/m2m_tokens/verify"),
        (
            "HTTPS://X.test:8443///",
            "https://X.test:8443/m2m_tokens/verify",
        ),
    ] {
        let cfg = ClientConfig {
            api_url: api_url.into(),
            ..config(None, Some("ak"))
        };
        let fake = Fake::with(vec![ok(&tok1())]);
        block_on(verify_opaque(&fake, &cfg, &json!({"token": "mt_abc"}))).unwrap();
        assert_eq!(fake.only_request().url, expected, "{api_url}");
        assert!(!fake.only_request().url.contains("/v1/"));
    }
}
