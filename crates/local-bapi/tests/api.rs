//! The Clerk routes: authorisation, validation, list, reuse, revoke, verify, JWTs, rotation, time travel.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn start_up_info_is_seeded_and_well_formed() {
    let a = Bapi::start(11).await;
    let b = Bapi::start(11).await;
    let c = Bapi::start(12).await;
    let strip = |info: &clerk_local_bapi::ServerInfo| {
        let mut v = serde_json::to_value(info).unwrap();
        v["url"] = Value::Null;
        v
    };
    assert_eq!(
        strip(&a.info),
        strip(&b.info),
        "same seed, same ids and keys"
    );
    assert_ne!(strip(&a.info), strip(&c.info));
    assert!(a.info.url.starts_with("http://127.0.0.1:"));
    assert!(a.info.secret_key.starts_with("sk_test_"));
    assert!(a.info.kid.starts_with("ins_"));
    let names: Vec<&str> = a.info.machines.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["machine-a", "machine-b", "machine-c"]);
    for m in &a.info.machines {
        assert!(is_machine_id(&m.id), "{}", m.id);
        assert!(m.secret_key.starts_with("ak_"));
    }
    assert_eq!(a.info.machines[0].scopes, [a.id(1)]);
    assert_eq!(a.info.machines[1].scopes, [a.id(0)]);
    assert!(a.info.machines[2].scopes.is_empty());
    // Same seed, same RSA key.
    assert_eq!(a.jwks().await, b.jwks().await);
    assert_eq!(a.jwks().await["keys"][0]["kid"], a.info.kid.as_str());
}

#[tokio::test]
async fn refuses_non_loopback_hosts() {
    let err = clerk_local_bapi::serve(clerk_local_bapi::Config {
        host: "0.0.0.0".parse().unwrap(),
        ..Default::default()
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn create_needs_a_machine_secret_key() {
    let s = Bapi::start(1).await;
    let body = Some("{}");
    for auth in [
        Some(s.sk()),
        None,
        Some("ak_unknown"),
        Some("sk_test_unknown"),
    ] {
        let res = s.call("POST", "/m2m_tokens", auth, body).await;
        let err = res.clerk_error(401, "machine_secret_key_invalid");
        assert_eq!(
            err["message"],
            "The provided Machine Secret Key is invalid. Make sure that your Machine Secret Key is correct."
        );
    }
}

#[tokio::test]
async fn list_revoke_verify_reject_missing_and_unknown_keys() {
    let s = Bapi::start(1).await;
    let list = format!("/m2m_tokens?subject={}", s.id(0));
    let revoke = format!("/m2m_tokens/mt_{}/revoke", "0".repeat(32));
    let routes = [
        ("GET", list.as_str(), None),
        ("POST", revoke.as_str(), Some("{}")),
        ("POST", "/m2m_tokens/verify", Some(r#"{"token":"mt_x"}"#)),
    ];
    for (method, path, body) in routes {
        let err = s
            .call(method, path, None, body)
            .await
            .clerk_error(401, "clerk_key_invalid");
        assert_eq!(err["message"], "The provided Clerk Secret Key is invalid.");
        s.call(method, path, Some("sk_test_nope"), body)
            .await
            .clerk_error(401, "clerk_key_invalid");
        s.call(method, path, Some("ak_nope"), body)
            .await
            .clerk_error(401, "machine_secret_key_invalid");
    }
}

#[tokio::test]
async fn jwks_needs_the_instance_key() {
    let s = Bapi::start(1).await;
    for auth in [None, Some(s.key(0)), Some("sk_test_nope")] {
        for path in ["/v1/jwks", "/jwks"] {
            s.call("GET", path, auth, None)
                .await
                .clerk_error(401, "clerk_key_invalid");
        }
    }
    let jwks = s.jwks().await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(
        s.call("GET", "/jwks", Some(s.sk()), None).await.json(),
        jwks
    );
}

#[tokio::test]
async fn opaque_token_shape() {
    let s = Bapi::start(1).await;
    let before = s.admin("GET", "/clock", json!({})).await.json()["now_ms"]
        .as_i64()
        .unwrap();
    let res = s
        .call(
            "POST",
            "/v1/m2m_tokens",
            Some(s.key(0)),
            Some(r#"{"seconds_until_expiration":60,"claims":{"k":"v"},"token_format":"opaque"}"#),
        )
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let t = res.json();
    assert_eq!(t["object"], "machine_to_machine_token");
    assert!(is_token_id(t["id"].as_str().unwrap()));
    let secret = t["token"].as_str().unwrap();
    assert!(
        secret.starts_with("mt_")
            && secret.len() == 35
            && secret[3..].bytes().all(|b| b.is_ascii_alphanumeric())
    );
    assert_eq!(t["subject"], s.id(0));
    assert_eq!(t["scopes"], json!([s.id(1)]));
    assert_eq!(t["claims"], json!({"k": "v"}));
    assert_eq!(t["revoked"], false);
    assert_eq!(t["revocation_reason"], Value::Null);
    assert_eq!(t["expired"], false);
    assert_eq!(t["last_used_at"], Value::Null);
    let created = t["created_at"].as_i64().unwrap();
    assert!(created >= before && created - before < 5_000);
    assert_eq!(t["updated_at"], created);
    assert_eq!(t["expiration"], created + 60_000);
    // Defaults: never expires, no claims.
    let t = s
        .create(0, json!({"seconds_until_expiration": null, "claims": null}))
        .await;
    assert_eq!(t["expiration"], Value::Null);
    assert_eq!(t["claims"], Value::Null);
    let t = s.create(2, json!({})).await;
    assert_eq!(t["scopes"], json!([]));
    // Fractional seconds are allowed (type number).
    let t = s.create(0, json!({"seconds_until_expiration": 1.5})).await;
    assert_eq!(
        t["expiration"].as_i64().unwrap() - t["created_at"].as_i64().unwrap(),
        1500
    );
}

#[tokio::test]
async fn body_validation() {
    let s = Bapi::start(1).await;
    let create = |body: &'static str| s.call("POST", "/m2m_tokens", Some(s.key(0)), Some(body));
    let cases = [
        (r#"{"bogus":1}"#, "form_param_unknown", Some("bogus")),
        (
            r#"{"token_format":"pem"}"#,
            "form_param_value_invalid",
            Some("token_format"),
        ),
        (
            r#"{"token_format":null}"#,
            "form_param_format_invalid",
            Some("token_format"),
        ),
        (
            r#"{"seconds_until_expiration":0}"#,
            "form_param_value_invalid",
            Some("seconds_until_expiration"),
        ),
        (
            r#"{"seconds_until_expiration":-5}"#,
            "form_param_value_invalid",
            Some("seconds_until_expiration"),
        ),
        (
            r#"{"seconds_until_expiration":"60"}"#,
            "form_param_format_invalid",
            Some("seconds_until_expiration"),
        ),
        (
            r#"{"claims":[1]}"#,
            "form_param_format_invalid",
            Some("claims"),
        ),
        (
            r#"{"claims":"x"}"#,
            "form_param_format_invalid",
            Some("claims"),
        ),
        (
            r#"{"min_remaining_ttl_seconds":1.5}"#,
            "form_param_format_invalid",
            Some("min_remaining_ttl_seconds"),
        ),
        (
            r#"{"min_remaining_ttl_seconds":-1}"#,
            "form_param_value_invalid",
            Some("min_remaining_ttl_seconds"),
        ),
        (
            r#"{"min_remaining_ttl_seconds":true}"#,
            "form_param_format_invalid",
            Some("min_remaining_ttl_seconds"),
        ),
        (
            r#"{"seconds_until_expiration":60,"min_remaining_ttl_seconds":60}"#,
            "form_param_value_invalid",
            Some("min_remaining_ttl_seconds"),
        ),
        (r#"{"#, "request_body_invalid", None),
        (r#"[1,2]"#, "request_body_invalid", None),
        (r#""str""#, "request_body_invalid", None),
    ];
    for (body, code, param) in cases {
        let err = create(body).await.clerk_error(400, code);
        assert_eq!(err["meta"]["param_name"].as_str(), param, "{body}");
    }
    let verify =
        |body: &'static str| s.call("POST", "/m2m_tokens/verify", Some(s.sk()), Some(body));
    for (body, code, param) in [
        ("{}", "form_param_missing", Some("token")),
        (r#"{"token":5}"#, "form_param_format_invalid", Some("token")),
        (
            r#"{"token":"x","extra":1}"#,
            "form_param_unknown",
            Some("extra"),
        ),
        ("nope", "request_body_invalid", None),
    ] {
        let err = verify(body).await.clerk_error(400, code);
        assert_eq!(err["meta"]["param_name"].as_str(), param, "{body}");
    }
    let t = s.create(0, json!({})).await;
    let path = format!("/m2m_tokens/{}/revoke", t["id"].as_str().unwrap());
    for (path, body, code, param) in [
        (
            "/m2m_tokens/mt_123/revoke",
            "{}",
            "form_param_format_invalid",
            Some("m2m_token_id"),
        ),
        (
            "/m2m_tokens/verify/revoke",
            "{}",
            "form_param_format_invalid",
            Some("m2m_token_id"),
        ),
        (
            path.as_str(),
            r#"{"revocation_reason":5}"#,
            "form_param_format_invalid",
            Some("revocation_reason"),
        ),
        (
            path.as_str(),
            r#"{"reason":"x"}"#,
            "form_param_unknown",
            Some("reason"),
        ),
        (path.as_str(), "{x", "request_body_invalid", None),
    ] {
        let err = s
            .call("POST", path, Some(s.sk()), Some(body))
            .await
            .clerk_error(400, code);
        assert_eq!(err["meta"]["param_name"].as_str(), param, "{path} {body}");
    }
    // Nothing above revoked the token.
    assert_eq!(
        s.verify(s.sk(), t["token"].as_str().unwrap()).await.status,
        200
    );
}

#[tokio::test]
async fn list_query_validation() {
    let s = Bapi::start(1).await;
    let a = s.id(0).to_owned();
    for (query, code, param) in [
        (String::new(), "form_param_missing", "subject"),
        ("subject=".into(), "form_param_missing", "subject"),
        (
            "subject=mch_short".into(),
            "form_param_format_invalid",
            "subject",
        ),
        (
            format!("subject={a}&limit=0"),
            "form_param_value_invalid",
            "limit",
        ),
        (
            format!("subject={a}&limit=101"),
            "form_param_value_invalid",
            "limit",
        ),
        (
            format!("subject={a}&limit=ten"),
            "form_param_format_invalid",
            "limit",
        ),
        (
            format!("subject={a}&limit=2.5"),
            "form_param_format_invalid",
            "limit",
        ),
        (
            format!("subject={a}&offset=-1"),
            "form_param_value_invalid",
            "offset",
        ),
        (
            format!("subject={a}&revoked=yes"),
            "form_param_format_invalid",
            "revoked",
        ),
        (
            format!("subject={a}&expired=1"),
            "form_param_format_invalid",
            "expired",
        ),
    ] {
        let err = s.list(s.sk(), &query).await.clerk_error(400, code);
        assert_eq!(err["meta"]["param_name"], param, "{query}");
    }
    let ok = s
        .list(
            s.sk(),
            &format!("subject={a}&limit=100&offset=0&revoked=false&expired=true&unknown=1"),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
}

#[tokio::test]
async fn list_filters_pagination_and_order() {
    let s = Bapi::start(1).await;
    let a = s.id(0).to_owned();
    let mut ids = Vec::new();
    for i in 0..6 {
        // Distinct created_at values, regardless of how fast this runs.
        s.set_clock(i * 1000).await;
        let ttl = if i == 1 { json!(5) } else { Value::Null };
        let t = s
            .create(
                0,
                json!({"seconds_until_expiration": ttl, "claims": {"n": i}}),
            )
            .await;
        ids.push(t["id"].as_str().unwrap().to_owned());
    }
    s.create(1, json!({})).await; // B's token never shows up under A.
    s.set_clock(10_000).await; // token 1 has expired
    let revoked = s
        .call(
            "POST",
            &format!("/m2m_tokens/{}/revoke", ids[3]),
            Some(s.key(0)),
            Some(r#"{"revocation_reason":"r"}"#),
        )
        .await;
    assert_eq!(revoked.status, 200);
    let page = |query: String| {
        let s = &s;
        async move {
            let res = s.list(s.key(0), &query).await;
            assert_eq!(res.status, 200, "{}", res.text());
            let body = res.json();
            let got: Vec<String> = body["m2m_tokens"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
                .collect();
            for t in body["m2m_tokens"].as_array().unwrap() {
                assert!(t.get("token").is_none(), "list never returns secrets");
            }
            (got, body["total_count"].as_u64().unwrap())
        }
    };
    let id = |i: usize| ids[i].clone();
    assert_eq!(
        page(format!("subject={a}")).await,
        (vec![id(5), id(4), id(2), id(0)], 4)
    );
    assert_eq!(
        page(format!("subject={a}&revoked=true")).await,
        (vec![id(5), id(4), id(3), id(2), id(0)], 5)
    );
    assert_eq!(
        page(format!("subject={a}&expired=true")).await,
        (vec![id(5), id(4), id(2), id(1), id(0)], 5)
    );
    assert_eq!(
        page(format!("subject={a}&expired=true&revoked=true"))
            .await
            .1,
        6
    );
    assert_eq!(
        page(format!("subject={a}&limit=2&offset=1")).await,
        (vec![id(4), id(2)], 4)
    );
    assert_eq!(page(format!("subject={a}&offset=10")).await, (vec![], 4));
    // Default limit is 10.
    for _ in 0..12 {
        s.create(0, json!({})).await;
    }
    let (got, total) = page(format!("subject={a}")).await;
    assert_eq!((got.len(), total), (10, 16));
    // The flags are computed at response time.
    let body = s
        .list(
            s.sk(),
            &format!("subject={a}&expired=true&revoked=true&limit=100"),
        )
        .await
        .json();
    for t in body["m2m_tokens"].as_array().unwrap() {
        assert_eq!(t["expired"], t["id"] == id(1).as_str());
        assert_eq!(t["revoked"], t["id"] == id(3).as_str());
    }
    // Scope of keys: a machine lists only its own tokens; the instance key any machine's.
    s.list(s.key(1), &format!("subject={a}"))
        .await
        .clerk_error(403, "resource_forbidden");
    let b_list = s.list(s.sk(), &format!("subject={}", s.id(1))).await.json();
    assert_eq!(b_list["total_count"], 1);
    s.list(s.sk(), &format!("subject=mch_{}", "z".repeat(27)))
        .await
        .clerk_error(404, "resource_not_found");
    // With and without /v1.
    let v1 = s
        .call(
            "GET",
            &format!("/v1/m2m_tokens?subject={a}"),
            Some(s.sk()),
            None,
        )
        .await;
    assert_eq!(v1.json()["total_count"], 16);
}

#[tokio::test]
async fn min_remaining_ttl_reuses_live_opaque_tokens() {
    let s = Bapi::start(1).await;
    let first = s.create(0, json!({"seconds_until_expiration": 100, "claims": {"a": 1}, "min_remaining_ttl_seconds": 50})).await;
    let again = s.create(0, json!({"seconds_until_expiration": 100, "claims": {"a": 1}, "min_remaining_ttl_seconds": 50})).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        again["token"], first["token"],
        "the reused token comes with its secret"
    );
    // Without the parameter, always a new token.
    let fresh = s
        .create(
            0,
            json!({"seconds_until_expiration": 100, "claims": {"a": 1}}),
        )
        .await;
    assert_ne!(fresh["id"], first["id"]);
    // The newest matching token is the one reused.
    let reused = s.create(0, json!({"seconds_until_expiration": 100, "claims": {"a": 1}, "min_remaining_ttl_seconds": 50})).await;
    assert_eq!(reused["id"], fresh["id"]);
    // Different claims or machine: no reuse.
    let other = s.create(0, json!({"seconds_until_expiration": 100, "claims": {"a": 2}, "min_remaining_ttl_seconds": 50})).await;
    assert_ne!(other["id"], fresh["id"]);
    let b = s.create(1, json!({"seconds_until_expiration": 100, "claims": {"a": 1}, "min_remaining_ttl_seconds": 50})).await;
    assert_ne!(b["id"], fresh["id"]);
    // 60 s later 40 s remain: not enough for 50, enough for 30.
    s.set_clock(60_000).await;
    let short = s.create(0, json!({"seconds_until_expiration": 100, "claims": {"a": 1}, "min_remaining_ttl_seconds": 30})).await;
    assert_eq!(short["id"], fresh["id"]);
    let long = s.create(0, json!({"seconds_until_expiration": 100, "claims": {"a": 1}, "min_remaining_ttl_seconds": 50})).await;
    assert_ne!(long["id"], fresh["id"]);
    // Revoked tokens are not reused.
    let id = long["id"].as_str().unwrap();
    s.call(
        "POST",
        &format!("/m2m_tokens/{id}/revoke"),
        Some(s.sk()),
        Some("{}"),
    )
    .await;
    let after = s.create(0, json!({"seconds_until_expiration": 100, "claims": {"a": 1}, "min_remaining_ttl_seconds": 50})).await;
    assert_ne!(after["id"], long["id"]);
    assert_ne!(after["id"], fresh["id"], "fresh has 40 s left");
    // Never-expiring tokens satisfy any minimum; any minimum is allowed without a lifetime.
    let forever = s
        .create(2, json!({"min_remaining_ttl_seconds": 1_000_000}))
        .await;
    let forever2 = s
        .create(2, json!({"min_remaining_ttl_seconds": 1_000_000}))
        .await;
    assert_eq!(forever["id"], forever2["id"]);
    // JWTs are never reused.
    let j1 = s.create(0, json!({"token_format": "jwt", "seconds_until_expiration": 100, "min_remaining_ttl_seconds": 1})).await;
    let j2 = s.create(0, json!({"token_format": "jwt", "seconds_until_expiration": 100, "min_remaining_ttl_seconds": 1})).await;
    assert_ne!(j1["id"], j2["id"]);
    // Strictly below the lifetime, also the machine's default TTL.
    let m = s
        .admin(
            "POST",
            "/machines",
            json!({"name": "ttl", "default_token_ttl": 30}),
        )
        .await
        .json();
    let key = m["secretKey"].as_str().unwrap();
    let res = s
        .call(
            "POST",
            "/m2m_tokens",
            Some(key),
            Some(r#"{"min_remaining_ttl_seconds":30}"#),
        )
        .await;
    res.clerk_error(400, "form_param_value_invalid");
    let res = s
        .call(
            "POST",
            "/m2m_tokens",
            Some(key),
            Some(r#"{"min_remaining_ttl_seconds":29}"#),
        )
        .await;
    assert_eq!(res.status, 201);
    let t = res.json();
    assert_eq!(
        t["expiration"].as_i64().unwrap() - t["created_at"].as_i64().unwrap(),
        30_000
    );
}

#[tokio::test]
async fn revoke_rules() {
    let s = Bapi::start(1).await;
    let t = s.create(0, json!({"claims": {"c": 1}})).await;
    let id = t["id"].as_str().unwrap();
    let path = format!("/m2m_tokens/{id}/revoke");
    // Another machine cannot see it.
    s.call("POST", &path, Some(s.key(1)), Some("{}"))
        .await
        .clerk_error(404, "resource_not_found");
    let res = s
        .call(
            "POST",
            &path,
            Some(s.key(0)),
            Some(r#"{"revocation_reason":"rotated"}"#),
        )
        .await;
    assert_eq!(res.status, 200);
    let r = res.json();
    assert_eq!(r["revoked"], true);
    assert_eq!(r["revocation_reason"], "rotated");
    assert_eq!(r["claims"], json!({"c": 1}));
    assert!(r.get("token").is_none());
    // Revoking again changes nothing.
    let again = s
        .call(
            "POST",
            &format!("/v1{path}"),
            Some(s.sk()),
            Some(r#"{"revocation_reason":"other"}"#),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["revocation_reason"], "rotated");
    // The instance key revokes any machine's token; a null reason is fine.
    let t2 = s.create(1, json!({})).await;
    let res = s
        .call(
            "POST",
            &format!("/m2m_tokens/{}/revoke", t2["id"].as_str().unwrap()),
            Some(s.sk()),
            Some(r#"{"revocation_reason":null}"#),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["revocation_reason"], Value::Null);
    let unknown = format!("/m2m_tokens/mt_{}/revoke", "a".repeat(32));
    s.call("POST", &unknown, Some(s.sk()), Some("{}"))
        .await
        .clerk_error(404, "resource_not_found");
    // Revoked tokens fail verification.
    s.verify(s.key(1), t["token"].as_str().unwrap())
        .await
        .clerk_error(404, "resource_not_found");
}

#[tokio::test]
async fn verify_rules() {
    let s = Bapi::start(1).await;
    let t = s.create(0, json!({"claims": {"x": true}})).await; // A's token, scopes [B]
    let secret = t["token"].as_str().unwrap();
    let res = s.verify(s.key(1), secret).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let v = res.json();
    assert_eq!(v["id"], t["id"]);
    assert_eq!(v["subject"], s.id(0));
    assert_eq!(v["claims"], json!({"x": true}));
    assert!(
        v.get("token").is_none(),
        "the verify schema has no token field"
    );
    assert!(v["last_used_at"].as_i64().unwrap() >= t["created_at"].as_i64().unwrap());
    // Not in scope: A itself, C. Then the instance key.
    s.verify(s.key(0), secret)
        .await
        .clerk_error(404, "resource_not_found");
    s.verify(s.key(2), secret)
        .await
        .clerk_error(404, "resource_not_found");
    assert_eq!(s.verify(s.sk(), secret).await.status, 200);
    s.verify(s.sk(), "mt_doesnotexist")
        .await
        .clerk_error(404, "resource_not_found");
    s.verify(s.sk(), "")
        .await
        .clerk_error(404, "resource_not_found");
    // B's token is for A.
    let tb = s.create(1, json!({})).await;
    assert_eq!(
        s.verify(s.key(0), tb["token"].as_str().unwrap())
            .await
            .status,
        200
    );
    s.verify(s.key(1), tb["token"].as_str().unwrap())
        .await
        .clerk_error(404, "resource_not_found");
    // The /v1 path too.
    let body = json!({ "token": secret }).to_string();
    assert_eq!(
        s.call("POST", "/v1/m2m_tokens/verify", Some(s.key(1)), Some(&body))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn jwt_minting() {
    let s = Bapi::start(1).await;
    let before = s.admin("GET", "/clock", json!({})).await.json()["now_ms"]
        .as_i64()
        .unwrap()
        / 1000;
    let t = s
        .create(
            0,
            json!({"token_format": "jwt", "seconds_until_expiration": 120,
                   "claims": {"role": "svc", "sub": "evil", "iss": "evil", "exp": 1, "nested": {"k": [1]}}}),
        )
        .await;
    let jwt = t["token"].as_str().unwrap();
    let (header, payload) = jwt_parts(jwt);
    assert_eq!(
        header,
        json!({"alg": "RS256", "typ": "JWT", "kid": s.info.kid, "cat": "cl_B7d4PD333AAA"})
    );
    assert_eq!(payload["iss"], s.info.url);
    assert_eq!(payload["sub"], s.id(0));
    assert_eq!(payload["jti"], t["id"]);
    assert!(is_token_id(t["id"].as_str().unwrap()));
    assert_eq!(payload["aud"], json!([s.id(1)]));
    assert_eq!(payload["scopes"], s.id(1));
    let iat = payload["iat"].as_i64().unwrap();
    assert!(iat >= before && iat - before < 5);
    assert_eq!(payload["nbf"], iat);
    assert_eq!(payload["exp"], iat + 120);
    assert_eq!(payload["role"], "svc");
    assert_eq!(payload["nested"], json!({"k": [1]}));
    assert_eq!(t["created_at"], iat * 1000);
    assert_eq!(t["expiration"], (iat + 120) * 1000);
    assert_eq!(t["claims"]["role"], "svc");
    assert!(verify_with_jwks(jwt, &s.jwks().await));
    // A tampered token does not verify.
    let (head, sig) = jwt.rsplit_once('.').unwrap();
    let mut bad_sig = sig.to_owned();
    bad_sig.replace_range(0..1, if sig.starts_with('A') { "B" } else { "A" });
    assert!(!verify_with_jwks(
        &format!("{head}.{bad_sig}"),
        &s.jwks().await
    ));
    // Not stored: not listed, not revocable.
    assert_eq!(
        s.list(s.sk(), &format!("subject={}", s.id(0))).await.json()["total_count"],
        0
    );
    let path = format!("/m2m_tokens/{}/revoke", t["id"].as_str().unwrap());
    s.call("POST", &path, Some(s.sk()), Some("{}"))
        .await
        .clerk_error(404, "resource_not_found");
    // BAPI verify accepts it for a machine in scope.
    let v = s.verify(s.key(1), jwt).await;
    assert_eq!(v.status, 200, "{}", v.text());
    let v = v.json();
    assert_eq!(v["id"], t["id"]);
    assert_eq!(v["subject"], s.id(0));
    assert_eq!(v["scopes"], json!([s.id(1)]));
    assert_eq!(v["claims"], json!({"role": "svc", "nested": {"k": [1]}}));
    s.verify(s.key(2), jwt)
        .await
        .clerk_error(404, "resource_not_found");
    s.verify(s.sk(), &format!("{head}.{bad_sig}"))
        .await
        .clerk_error(404, "resource_not_found");
    // No lifetime: no exp. A machine without scopes: no aud, no scopes claim.
    let t = s.create(2, json!({"token_format": "jwt"})).await;
    let (_, payload) = jwt_parts(t["token"].as_str().unwrap());
    assert!(
        payload.get("exp").is_none()
            && payload.get("aud").is_none()
            && payload.get("scopes").is_none()
    );
    assert_eq!(t["expiration"], Value::Null);
    assert_eq!(t["claims"], Value::Null);
}

#[tokio::test]
async fn key_rotation() {
    let s = Bapi::start(1).await;
    let old_kid = s.info.kid.clone();
    let old_jwt = s
        .create(
            0,
            json!({"token_format": "jwt", "seconds_until_expiration": 600}),
        )
        .await;
    let old_jwt = old_jwt["token"].as_str().unwrap().to_owned();
    let r = s
        .admin("POST", "/rotate-key", json!({"drop_old": false}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = r.json();
    let new_kid = r["kid"].as_str().unwrap().to_owned();
    assert_eq!(r["previous"], old_kid);
    assert_ne!(new_kid, old_kid);
    assert!(new_kid.starts_with("ins_"));
    let jwks = s.jwks().await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);
    let new_jwt = s
        .create(
            0,
            json!({"token_format": "jwt", "seconds_until_expiration": 600}),
        )
        .await;
    let new_jwt = new_jwt["token"].as_str().unwrap().to_owned();
    assert_eq!(jwt_parts(&new_jwt).0["kid"], new_kid);
    assert!(verify_with_jwks(&new_jwt, &jwks));
    assert!(verify_with_jwks(&old_jwt, &jwks));
    assert_eq!(s.verify(s.key(1), &old_jwt).await.status, 200);
    assert_eq!(
        s.admin("GET", "/info", json!({})).await.json()["kid"],
        new_kid
    );
    let keys = s.admin("GET", "/keys", json!({})).await.json();
    assert_eq!(keys["current"]["kid"], new_kid);
    assert!(keys["current"]["pem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(keys["previous"][0]["kid"], old_kid);
    // Rotate again and drop the old keys: only the newest is published.
    let r = s
        .admin("POST", "/rotate-key", json!({"drop_old": true}))
        .await
        .json();
    assert_eq!(r["previous"], new_kid);
    let jwks = s.jwks().await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kid"], r["kid"]);
    assert!(!verify_with_jwks(&old_jwt, &jwks));
    s.verify(s.key(1), &old_jwt)
        .await
        .clerk_error(404, "resource_not_found");
    // Keep one previous key, then drop it explicitly.
    s.admin("POST", "/rotate-key", json!({})).await;
    assert_eq!(s.jwks().await["keys"].as_array().unwrap().len(), 2);
    let dropped = s.admin("POST", "/drop-old-keys", json!({})).await.json();
    assert_eq!(dropped["dropped"].as_array().unwrap().len(), 1);
    assert_eq!(s.jwks().await["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn time_travel() {
    let s = Bapi::start(1).await;
    let opaque = s.create(0, json!({"seconds_until_expiration": 10})).await;
    let jwt = s
        .create(
            0,
            json!({"token_format": "jwt", "seconds_until_expiration": 10}),
        )
        .await;
    let secret = opaque["token"].as_str().unwrap();
    assert_eq!(s.verify(s.key(1), secret).await.status, 200);
    s.set_clock(11_000).await;
    let clock = s.admin("GET", "/clock", json!({})).await.json();
    assert_eq!(clock["offset_ms"], 11_000);
    s.verify(s.key(1), secret)
        .await
        .clerk_error(404, "resource_not_found");
    s.verify(s.key(1), jwt["token"].as_str().unwrap())
        .await
        .clerk_error(404, "resource_not_found");
    let a = s.id(0).to_owned();
    assert_eq!(
        s.list(s.sk(), &format!("subject={a}")).await.json()["total_count"],
        0
    );
    let listed = s
        .list(s.sk(), &format!("subject={a}&expired=true"))
        .await
        .json();
    assert_eq!(listed["m2m_tokens"][0]["expired"], true);
    // New tokens carry the shifted time.
    let later = s.create(0, json!({"token_format": "jwt"})).await;
    let (_, payload) = jwt_parts(later["token"].as_str().unwrap());
    assert!(payload["iat"].as_i64().unwrap() * 1000 >= clock["now_ms"].as_i64().unwrap() - 1000);
    // advance_ms adds; back to the present: valid again.
    let c = s
        .admin("POST", "/clock", json!({"advance_ms": -11_000}))
        .await
        .json();
    assert_eq!(c["offset_ms"], 0);
    assert_eq!(s.verify(s.key(1), secret).await.status, 200);
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let s = Bapi::start(1).await;
    s.call("GET", "/v1/users", Some(s.sk()), None)
        .await
        .clerk_error(404, "resource_not_found");
    s.call("DELETE", "/m2m_tokens", Some(s.sk()), None)
        .await
        .clerk_error(405, "method_not_allowed");
    s.call("GET", "/m2m_tokens/verify", Some(s.sk()), None)
        .await
        .clerk_error(405, "method_not_allowed");
}
