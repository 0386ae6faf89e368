//! The M2M JWT pipeline against the reference: every row E1–E23 of §4.6 with its exact message and code,
//! and the scenarios of §7.A (14–17, 25–31, 46–51, 90–100) and §7.B (118–124) that apply to `m2m.verify`.
#![cfg(feature = "rust-crypto")]

mod jwt_common;

use clerk_m2m_core::jwt::{verify_m2m_jwt, JwtOptions, VerifyCallOptions};
use clerk_m2m_core::ports::TransportError;
use clerk_m2m_core::{ClientConfig, Error, M2mToken, Secret};
use jwt_common::*;
use serde_json::{json, Value};

const SUB: &str = "mch_2vYVtestTESTtestTESTtestTESTtest";

fn run(
    fake: &Fake,
    config: &ClientConfig,
    token: &str,
    call: &VerifyCallOptions,
) -> Result<M2mToken, Error> {
    block_on(verify_m2m_jwt(
        fake,
        config,
        &JwtOptions::default(),
        token,
        call,
    ))
}

/// Verifies with a `jwtKey`-only client (the 2048-bit fixture key) at time T.
fn local(token: &str) -> Result<M2mToken, Error> {
    run(
        &Fake::new(),
        &jwt_key_config(RSA2048_PUB),
        token,
        &VerifyCallOptions::default(),
    )
}

fn local_with(token: &str, call: VerifyCallOptions) -> Result<M2mToken, Error> {
    run(&Fake::new(), &jwt_key_config(RSA2048_PUB), token, &call)
}

fn sign(header: &Value, payload: &Value) -> String {
    JwtSigner::rsa2048().sign(header, payload)
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

fn verification(e: Error) -> clerk_m2m_core::VerificationError {
    match e {
        Error::Verification(v) => v,
        other => panic!("not a verification error: {other:?}"),
    }
}

fn expect_failed(r: Result<M2mToken, Error>, message: &str) {
    let v = verification(r.expect_err(message));
    assert_eq!(v.code.as_str(), "token-verification-failed", "{message}");
    assert_eq!(v.message, message);
    assert_eq!(v.status, None);
}

fn jwks_fake() -> Fake {
    Fake::serving(jwks_body(&[JwtSigner::rsa2048().jwk(KID, Some("RS256"))]))
}

// ---- §7.A 14, 15, 46, 49 and §7.B 118, 124: successful verifications ----

#[test]
fn a_14_jwks_path_fetches_v1_jwks_and_maps_the_token() {
    let fake = jwks_fake();
    let call = VerifyCallOptions {
        skip_jwks_cache: true,
        ..Default::default()
    };
    let t = run(
        &fake,
        &secret_key_config("sk_test_xxxxx"),
        &sign(&header(None), &m2m_payload()),
        &call,
    )
    .unwrap();
    assert_eq!(t.id, "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE");
    assert_eq!(t.subject, SUB);
    assert_eq!(t.scopes, ["mch_1xxxxx", "mch_2xxxxx"]);
    assert_eq!(fake.urls(), [JWKS_URL]);
}

#[test]
fn a_15_custom_claims_are_kept() {
    let payload = with(
        with(
            m2m_payload(),
            "permissions",
            json!(["read:users", "read:orders"]),
        ),
        "role",
        json!("service"),
    );
    let t = local(&sign(&header(Some(CAT_M2M)), &payload)).unwrap();
    assert_eq!(
        Value::Object(t.claims.unwrap()),
        json!({"aud": ["mch_1xxxxx", "mch_2xxxxx"], "scopes": "mch_1xxxxx mch_2xxxxx",
               "permissions": ["read:users", "read:orders"], "role": "service"})
    );
    assert_eq!(t.scopes, ["mch_1xxxxx", "mch_2xxxxx"]);
}

#[test]
fn claims_keep_the_payloads_key_order() {
    // As `JSON.parse` of the payload gives them (a duplicate key keeps its first place and its last value).
    let payload = r#"{"zz":1,"sub":"mch_2vYVtestTESTtestTESTtestTESTtest","role":{"y":1,"b":2},"exp":EXP,"aud":["mch_1xxxxx"],"iat":IAT,"role":{"y":3,"b":4},"a":0}"#
        .replace("EXP", &(T + 300).to_string())
        .replace("IAT", &T.to_string());
    let token = JwtSigner::rsa2048().sign_raw(&header(Some(CAT_M2M)), payload.as_bytes());
    let t = local(&token).unwrap();
    let claims = t.claims.unwrap();
    assert_eq!(
        claims.keys().collect::<Vec<_>>(),
        ["zz", "role", "aud", "a"]
    );
    assert_eq!(
        serde_json::to_string(&claims).unwrap(),
        r#"{"zz":1,"role":{"y":3,"b":4},"aud":["mch_1xxxxx"],"a":0}"#
    );
}

#[test]
fn a_25_and_b_118_result_mapping_through_the_pipeline() {
    let t = local(&sign(
        &header(Some(CAT_M2M)),
        &without(m2m_payload(), "scopes"),
    ))
    .unwrap();
    assert_eq!(t.scopes, ["mch_1xxxxx", "mch_2xxxxx"]);
    assert_eq!(
        Value::Object(t.claims.clone().unwrap()),
        json!({"aud": ["mch_1xxxxx", "mch_2xxxxx"]})
    );
    assert_eq!(
        (t.revoked, t.revocation_reason.clone(), t.expired),
        (false, None, false)
    );
    assert_eq!(t.expiration, Some((T as i64 + 300) * 1000));
    assert_eq!(
        (t.created_at, t.updated_at),
        (T as i64 * 1000, T as i64 * 1000)
    );
    assert_eq!(t.token, None);
    let json = t.to_public_json();
    assert_eq!(json["createdAt"], json!(1_666_648_250_000u64));
    // A minimal token: no kid, no typ, only sub/exp/iat.
    let minimal = sign(
        &json!({"alg": "RS256"}),
        &json!({"sub": "mch_x", "exp": T + 60, "iat": T}),
    );
    let t = local(&minimal).unwrap();
    assert_eq!((t.id.as_str(), t.scopes.len(), t.claims), ("", 0, None));
}

#[test]
fn a_46_49_with_and_without_the_m2m_category() {
    for cat in [Some(CAT_M2M), None] {
        let fake = jwks_fake();
        let t = run(
            &fake,
            &secret_key_config("sk_46"),
            &sign(&header(cat), &m2m_payload()),
            &Default::default(),
        );
        assert_eq!(t.unwrap().id, "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE");
        clerk_m2m_core::jwks::cache::clear();
    }
}

#[test]
fn b_124_jwks_request_headers_and_caching() {
    let fake = jwks_fake();
    let config = secret_key_config("sk_test_124");
    let token = sign(&header(Some(CAT_M2M)), &m2m_payload());
    run(&fake, &config, &token, &Default::default()).unwrap();
    {
        let requests = fake.requests.borrow();
        let r = &requests[0];
        assert_eq!(r.method.as_str(), "GET");
        assert_eq!(r.url, JWKS_URL);
        let h = |name: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(h("authorization").as_deref(), Some("Bearer sk_test_124"));
        assert_eq!(h("clerk-api-version").as_deref(), Some("2026-05-12"));
        assert_eq!(h("content-type").as_deref(), Some("application/json"));
        assert_eq!(h("user-agent"), Some(config.user_agent.clone()));
        assert_eq!(r.body, None);
        assert_eq!(r.timeout_ms, Some(5000));
    }
    // A second verification of another token makes no request.
    let other = sign(
        &header(Some(CAT_M2M)),
        &with(m2m_payload(), "jti", json!("mt_other")),
    );
    run(&fake, &config, &other, &Default::default()).unwrap();
    assert_eq!(fake.request_count(), 1);
    // An unknown kid makes one new request, then fails E4.
    let unknown = sign(
        &with(header(None), "kid", json!("ins_whatever")),
        &m2m_payload(),
    );
    let r = run(&fake, &config, &unknown, &Default::default());
    assert_eq!(fake.request_count(), 2);
    let message = verification(r.unwrap_err()).message;
    assert!(message.contains("kid='ins_whatever'") && !message.contains(KID));
}

#[test]
fn the_machine_secret_key_is_never_used_for_the_jwks() {
    let fake = jwks_fake();
    let config = ClientConfig {
        machine_secret_key: Some(Secret::new("ak_machine")),
        ..secret_key_config("sk_instance")
    };
    run(
        &fake,
        &config,
        &sign(&header(None), &m2m_payload()),
        &Default::default(),
    )
    .unwrap();
    let requests = fake.requests.borrow();
    let auth: Vec<_> = requests[0]
        .headers
        .iter()
        .filter(|(k, _)| k == "Authorization")
        .collect();
    assert_eq!(
        auth,
        [&("Authorization".to_owned(), "Bearer sk_instance".to_owned())]
    );
}

#[test]
fn jwt_key_takes_precedence_over_the_secret_key() {
    let fake = jwks_fake();
    let config = ClientConfig {
        jwt_key: Some(Secret::new(RSA2048_PUB)),
        ..secret_key_config("sk_both")
    };
    run(
        &fake,
        &config,
        &sign(&header(None), &m2m_payload()),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(fake.request_count(), 0);
}

// ---- E1: category ----

#[test]
fn e1_a_50_b_119_category_fails_before_any_key_work() {
    for cat in [
        json!("cl_B7d4PD111AAA"),
        json!("cl_B7d4PD222AAA"),
        json!("cl_some_future_unknown_cat"),
        json!("cl_I7d4PD111III"),
        json!(null),
        json!(""),
    ] {
        let fake = Fake::new();
        let token = sign(&with(header(None), "cat", cat.clone()), &m2m_payload());
        let v = verification(
            run(
                &fake,
                &secret_key_config("sk_e1"),
                &token,
                &Default::default(),
            )
            .unwrap_err(),
        );
        assert_eq!(
            (v.code.as_str(), v.message.as_str()),
            ("token-invalid", "Invalid M2M JWT category."),
            "{cat}"
        );
        assert_eq!(
            v.full_message(),
            "Invalid M2M JWT category. (code=token-invalid, status=n/a)"
        );
        assert_eq!(fake.request_count(), 0);
    }
    // Even with no key source at all, the category is reported first.
    let token = sign(&with(header(None), "cat", json!("x")), &m2m_payload());
    let v = verification(
        run(
            &Fake::new(),
            &ClientConfig::default(),
            &token,
            &Default::default(),
        )
        .unwrap_err(),
    );
    assert_eq!(v.code.as_str(), "token-invalid");
}

// ---- E2: no key source (§7.A 17, §7.B 122) ----

#[test]
fn e2_a_17_b_122_no_key_source() {
    let token = sign(&header(None), &m2m_payload());
    for config in [
        ClientConfig {
            api_url: API_URL.into(),
            ..ClientConfig::default()
        },
        ClientConfig {
            machine_secret_key: Some(Secret::new("ak_xxxxx")),
            ..ClientConfig::default()
        },
        ClientConfig {
            secret_key: Some(Secret::new("")),
            jwt_key: Some(Secret::new("")),
            ..ClientConfig::default()
        },
    ] {
        let fake = Fake::new();
        let v = verification(run(&fake, &config, &token, &Default::default()).unwrap_err());
        assert_eq!(v.code.as_str(), "token-verification-failed");
        assert!(v
            .message
            .starts_with("Failed to resolve JWK during verification. JWT-format M2M tokens"));
        assert!(
            v.message.contains("secretKey") && v.message.contains("jwtKey"),
            "{}",
            v.message
        );
        assert_eq!(
            v.action,
            Some("Set the CLERK_JWT_KEY environment variable.")
        );
        assert_eq!(fake.request_count(), 0);
    }
}

// ---- E3–E7: the JWKS endpoint ----

#[test]
fn e3_a_16_empty_jwks() {
    for body in [r#"{"keys":[]}"#, "{}", "[]"] {
        let fake = Fake::serving(body.to_owned());
        let call = VerifyCallOptions {
            skip_jwks_cache: true,
            ..Default::default()
        };
        expect_failed(
            run(
                &fake,
                &secret_key_config("sk_e3"),
                &sign(&header(None), &m2m_payload()),
                &call,
            ),
            "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com.",
        );
        assert_eq!(fake.request_count(), 1, "{body}");
    }
}

#[test]
fn e4_a_83_unknown_kid() {
    let fake = jwks_fake();
    let token = sign(
        &with(header(None), "kid", json!("ins_whatever")),
        &m2m_payload(),
    );
    expect_failed(
        run(&fake, &secret_key_config("sk_e4"), &token, &Default::default()),
        "Unable to find a signing key in JWKS that matches the kid='ins_whatever' of the provided session token. \
         Please make sure that the __session cookie or the HTTP authorization header contain a Clerk-generated session JWT.",
    );
    // A token without kid looks up `undefined`, as upstream.
    let token = sign(&without(header(None), "kid"), &m2m_payload());
    let message = verification(
        run(
            &fake,
            &secret_key_config("sk_e4b"),
            &token,
            &Default::default(),
        )
        .unwrap_err(),
    )
    .message;
    assert!(message.contains("kid='undefined'"));
}

#[test]
fn e5_b_124_clerk_key_invalid_is_not_retried() {
    let fake = Fake::with_responder(|_, _| {
        response(401, r#"{"errors":[{"code":"clerk_key_invalid","message":"The provided Clerk Secret Key is invalid."}]}"#).into()
    });
    let v = verification(
        run(
            &fake,
            &secret_key_config("sk_bad"),
            &sign(&header(None), &m2m_payload()),
            &Default::default(),
        )
        .unwrap_err(),
    );
    assert_eq!(v.code.as_str(), "token-verification-failed");
    assert_eq!(v.message, "The provided Clerk Secret Key is invalid.");
    assert_eq!(v.reason, "secret-key-invalid");
    assert_eq!(fake.request_count(), 1);
}

#[test]
fn e6_a_81_other_statuses() {
    // 503 is retried (3 attempts), then reported with the URL and code.
    let fake = Fake::with_responder(|_, _| response(503, "{}").into());
    let config = ClientConfig {
        secret_key: Some(Secret::new("sk_e6")),
        ..ClientConfig::default()
    };
    expect_failed(
        run(
            &fake,
            &config,
            &sign(&header(None), &m2m_payload()),
            &Default::default(),
        ),
        "Error loading Clerk JWKS from https://api.clerk.com/v1/jwks with code=503",
    );
    assert_eq!(fake.request_count(), 3);
    // 403 and 404 are final.
    for status in [403, 404] {
        let fake = Fake::with_responder(move |_, _| response(status, "<html>nope</html>").into());
        expect_failed(
            run(
                &fake,
                &secret_key_config(&format!("sk_e6_{status}")),
                &sign(&header(None), &m2m_payload()),
                &Default::default(),
            ),
            &format!("Error loading Clerk JWKS from {JWKS_URL} with code={status}"),
        );
        assert_eq!(fake.request_count(), 1);
    }
}

#[test]
fn e7_network_failure_keeps_the_message() {
    let fake = Fake::with_responder(|_, _| {
        Reply::Now(Err(TransportError::Network {
            message: "fetch failed".into(),
        }))
    });
    expect_failed(
        run(
            &fake,
            &secret_key_config("sk_e7"),
            &sign(&header(None), &m2m_payload()),
            &Default::default(),
        ),
        "fetch failed",
    );
    assert_eq!(fake.request_count(), 3);
}

// ---- E8, E9, E10, E11: header and signature (§7.A 47, 90, 91, 99; §7.B 120) ----

#[test]
fn e8_a_91_b_120_type() {
    assert!(local(&sign(
        &with(header(None), "typ", json!("JWT")),
        &m2m_payload()
    ))
    .is_ok());
    assert!(local(&sign(&without(header(None), "typ"), &m2m_payload())).is_ok());
    for (typ, shown) in [
        (json!("at+jwt"), "\"at+jwt\""),
        (json!("jwt"), "\"jwt\""),
        (json!(""), "\"\""),
        (json!("Aloha"), "\"Aloha\""),
        (json!(null), "null"),
    ] {
        expect_failed(
            local(&sign(&with(header(None), "typ", typ), &m2m_payload())),
            &format!("Invalid JWT type {shown}. Expected \"JWT\"."),
        );
    }
}

#[test]
fn e9_a_47_90_b_120_algorithm() {
    let payload = m2m_payload();
    // Unsigned (`alg: none`) with an empty signature.
    let unsigned = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"}).to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    // Like upstream's decoder, an empty signature segment still decodes; the algorithm fails.
    for token in [unsigned.clone(), format!("{unsigned}AA")] {
        expect_failed(
            local(&token),
            "Invalid JWT algorithm \"none\". Supported: RS256,RS384,RS512.",
        );
    }
    for alg in ["HS256", "ES256", "ES384", "ES512", "PS512", "Aloha", ""] {
        expect_failed(
            local(&sign(&with(header(None), "alg", json!(alg)), &payload)),
            &format!("Invalid JWT algorithm \"{alg}\". Supported: RS256,RS384,RS512."),
        );
    }
    expect_failed(
        local(&sign(&without(header(None), "alg"), &payload)),
        "Invalid JWT algorithm undefined. Supported: RS256,RS384,RS512.",
    );
}

#[test]
fn a_90_all_three_algorithms_verify_with_a_jwk_that_allows_them() {
    let signer = JwtSigner::rsa2048();
    for alg in ["RS256", "RS384", "RS512"] {
        for jwk_alg in [None, Some(alg)] {
            let jwk = signer.jwk(KID, jwk_alg).to_string();
            let token = signer.sign(&with(header(None), "alg", json!(alg)), &m2m_payload());
            let r = run(
                &Fake::new(),
                &jwt_key_config(&jwk),
                &token,
                &Default::default(),
            );
            assert!(r.is_ok(), "{alg} {jwk_alg:?}: {r:?}");
        }
    }
}

#[test]
fn e10_b_120_key_alg_mismatch_and_verifier_errors() {
    // The PEM-derived key is RS256-only, as upstream.
    for alg in ["RS384", "RS512"] {
        expect_failed(
            local(&sign(&with(header(None), "alg", json!(alg)), &m2m_payload())),
            "Error verifying JWT signature. Error: JWK \"alg\" does not match the requested algorithm",
        );
    }
    // A JWKS key tagged RS256 refuses an RS512 token (the token's alg never selects the key).
    let fake = jwks_fake();
    expect_failed(
        run(
            &fake,
            &secret_key_config("sk_e10"),
            &sign(&with(header(None), "alg", json!("RS512")), &m2m_payload()),
            &Default::default(),
        ),
        "Error verifying JWT signature. Error: JWK \"alg\" does not match the requested algorithm",
    );
    assert_eq!(fake.verifier_calls.get(), 0);
    // The verifier itself failing.
    let fake = Fake::new();
    *fake.verifier_error.borrow_mut() = Some("DataError: Invalid key".into());
    expect_failed(
        run(
            &fake,
            &jwt_key_config(RSA2048_PUB),
            &sign(&header(None), &m2m_payload()),
            &Default::default(),
        ),
        "Error verifying JWT signature. Error: DataError: Invalid key",
    );
}

#[test]
fn e11_a_99_b_120_bad_signatures() {
    let token = sign(&header(None), &m2m_payload());
    // Flip one bit of the signature.
    let (signed, sig) = token.rsplit_once('.').unwrap();
    let mut raw = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::decode_vec(sig).unwrap();
    raw[10] ^= 1;
    let tampered = format!("{signed}.{}", b64(&raw));
    expect_failed(local(&tampered), "JWT signature is invalid.");
    // A different payload under the original signature.
    let other = sign(
        &header(None),
        &with(m2m_payload(), "sub", json!("mch_evil")),
    );
    let forged = format!("{}.{sig}", other.rsplit_once('.').unwrap().0);
    expect_failed(local(&forged), "JWT signature is invalid.");
    // §7.A 99: bad signature and expired: the signature is reported.
    let expired = sign(&header(None), &with(m2m_payload(), "exp", json!(T - 100)));
    let (signed, _) = expired.rsplit_once('.').unwrap();
    let r = local(&format!("{signed}.{}", b64(&raw)));
    assert!(verification(r.unwrap_err()).message.contains("signature"));
    // §7.B 120: a 3072-bit token against the 2048-bit jwtKey.
    let big = JwtSigner::from_pem(RSA3072_KEY).sign(&header(None), &m2m_payload());
    expect_failed(local(&big), "JWT signature is invalid.");
    // Signed by another key of the same size.
    let other_key = JwtSigner::from_pem(RSA2048B_KEY).sign(&header(None), &m2m_payload());
    expect_failed(local(&other_key), "JWT signature is invalid.");
}

// ---- E12–E21: claims (§7.A 92–97, §7.B 120, 127) ----

#[test]
fn e12_a_97_subject() {
    let token = sign(&header(None), &without(m2m_payload(), "sub"));
    expect_failed(
        local(&token),
        "Subject claim (sub) is required and must be a string. Received undefined.",
    );
    let token = sign(&header(None), &with(m2m_payload(), "sub", json!(123)));
    expect_failed(
        local(&token),
        "Subject claim (sub) is required and must be a string. Received 123.",
    );
    assert!(local(&sign(&header(None), &with(m2m_payload(), "sub", json!("")))).is_ok());
}

#[test]
fn e13_e14_a_96_b_127_audience() {
    let aud = |a: &[&str]| VerifyCallOptions {
        audience: Some(a.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    };
    let token = |aud: Value| sign(&header(Some(CAT_M2M)), &with(m2m_payload(), "aud", aud));
    assert!(local_with(&token(json!(["mch_recv"])), aud(&["mch_recv"])).is_ok());
    expect_failed(
        local_with(&token(json!(["mch_other"])), aud(&["mch_recv"])),
        "Invalid JWT audience claim array (aud) [\"mch_other\"]. Is not included in \"[\"mch_recv\"]\".",
    );
    expect_failed(
        local_with(&token(json!("mch_other")), aud(&["mch_recv", "mch_x"])),
        "Invalid JWT audience claim (aud) \"mch_other\". Is not included in \"[\"mch_recv\",\"mch_x\"]\".",
    );
    assert!(local_with(&token(json!("mch_x")), aud(&["mch_recv", "mch_x"])).is_ok());
    // An empty audience does not check; the client-level audience applies when the call has none.
    assert!(local_with(&token(json!(["mch_other"])), aud(&[""])).is_ok());
    let opts = JwtOptions {
        audience: vec!["mch_recv".into()],
        ..JwtOptions::default()
    };
    let r = block_on(verify_m2m_jwt(
        &Fake::new(),
        &jwt_key_config(RSA2048_PUB),
        &opts,
        &token(json!(["mch_other"])),
        &Default::default(),
    ));
    assert!(r.is_err());
}

#[test]
fn e16_e17_a_48_92_95_b_120_expiry() {
    let exp = |v: Value| sign(&header(None), &with(m2m_payload(), "exp", v));
    expect_failed(
        local(&exp(json!("1666648550"))),
        "Invalid JWT expiry date claim (exp) \"1666648550\". Expected number.",
    );
    expect_failed(
        local(&sign(&header(None), &without(m2m_payload(), "exp"))),
        "Invalid JWT expiry date claim (exp) undefined. Expected number. A JWT without `exp` never verifies: mint \
         JWT-format tokens with `secondsUntilExpiration` (createToken), or give the machine a default token lifetime.",
    );
    // Expired 10 s ago fails, 4 s ago passes with the default skew.
    expect_failed(
        local(&exp(json!(T - 10))),
        "JWT is expired. Expiry date: Mon, 24 Oct 2022 21:50:40 GMT, Current date: Mon, 24 Oct 2022 21:50:50 GMT.",
    );
    let t = local(&exp(json!(T - 4))).unwrap();
    assert!(!t.expired);
    assert!(verification(local(&exp(json!(T - 100))).unwrap_err())
        .message
        .contains("expired"));
    let skew = |ms: f64| VerifyCallOptions {
        clock_skew_in_ms: Some(ms),
        ..Default::default()
    };
    assert!(local_with(&exp(json!(T)), skew(0.0)).is_err());
    assert!(local_with(&exp(json!(T)), skew(1000.0)).is_ok());
    assert!(local_with(&exp(json!(T - 5)), skew(6000.0)).is_ok());
    assert!(local_with(&exp(json!(T - 1)), skew(0.0)).is_err());
    assert!(local_with(&exp(json!(T - 3600)), skew(f64::INFINITY)).is_err());
    assert!(local_with(&exp(json!(T - 1)), skew(f64::NAN)).is_ok());
    assert!(local_with(&exp(json!(T - 60)), skew(f64::NAN)).is_err());
}

#[test]
fn e18_e19_e20_e21_a_93_94_b_120_not_before_and_issued_at() {
    let p = |k: &str, v: Value| sign(&header(None), &with(m2m_payload(), k, v));
    expect_failed(
        local(&p("nbf", json!("soon"))),
        "Invalid JWT not before date claim (nbf) \"soon\". Expected number.",
    );
    expect_failed(
        local(&p("nbf", json!(T + 60))),
        "JWT cannot be used prior to not before date claim (nbf). Not before date: Mon, 24 Oct 2022 21:51:50 GMT; Current date: Mon, 24 Oct 2022 21:50:50 GMT;",
    );
    expect_failed(
        local(&p("iat", json!({}))),
        "Invalid JWT issued at date claim (iat) {}. Expected number.",
    );
    expect_failed(
        local(&p("iat", json!(T + 60))),
        "JWT issued at date claim (iat) is in the future. Issued at date: Mon, 24 Oct 2022 21:51:50 GMT; Current date: Mon, 24 Oct 2022 21:50:50 GMT;",
    );
    assert!(local(&p("nbf", json!(T))).is_ok());
    assert!(local(&p("iat", json!(T + 5))).is_ok());
    let strict = VerifyCallOptions {
        clock_skew_in_ms: Some(0.0),
        ..Default::default()
    };
    assert!(local_with(&p("iat", json!(T + 5)), strict.clone()).is_err());
    assert!(local_with(&p("nbf", json!(T + 5)), strict).is_err());
}

// ---- E22, E23 and the result (§7.A 51, 100; §7.B 121) ----

#[test]
fn e22_a_51_100_decode_failures_are_token_invalid() {
    for (token, message) in [
        (
            "invalid.jwt.token",
            "Invalid JWT form. The header, payload, or signature could not be decoded.",
        ),
        (
            "aaa.bbb.ccc",
            "Invalid JWT form. The header, payload, or signature could not be decoded.",
        ),
        (
            "whatever",
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        ),
        (
            "",
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        ),
    ] {
        let v = verification(local(token).unwrap_err());
        assert_eq!(
            (v.code.as_str(), v.message.as_str()),
            ("token-invalid", message)
        );
    }
}

#[test]
fn e23_b_121_scopes() {
    let s = |v: Value| sign(&header(Some(CAT_M2M)), &with(m2m_payload(), "scopes", v));
    let v = verification(local(&s(json!(["a", "b"]))).unwrap_err());
    assert_eq!(v.code.as_str(), "token-invalid");
    assert_eq!(
        v.message,
        "Invalid JWT scopes claim. Expected a space-separated string."
    );
    assert_eq!(local(&s(json!(""))).unwrap().scopes, [""]);
    let aud_only = sign(
        &header(None),
        &with(without(m2m_payload(), "scopes"), "aud", json!("mch_b")),
    );
    assert_eq!(local(&aud_only).unwrap().scopes, ["mch_b"]);
    // Any `iss` is accepted (§4.2: not checked).
    assert!(local(&sign(
        &header(None),
        &with(m2m_payload(), "iss", json!("https://evil.example"))
    ))
    .is_ok());
}

#[test]
fn order_cat_then_key_then_typ_then_alg_then_signature_then_claims() {
    // typ and alg both bad: typ wins.
    let h = json!({"alg": "HS256", "typ": "at+jwt", "kid": KID});
    assert!(verification(local(&sign(&h, &m2m_payload())).unwrap_err())
        .message
        .starts_with("Invalid JWT type"));
    // Key resolution before typ: no key source → E2 although the typ is bad.
    let r = run(
        &Fake::new(),
        &ClientConfig::default(),
        &sign(&h, &m2m_payload()),
        &Default::default(),
    );
    assert!(verification(r.unwrap_err())
        .message
        .starts_with("Failed to resolve JWK during verification."));
    // Signature before claims: a good signature with bad claims reports the claims.
    let bad_claims = sign(&header(None), &with(m2m_payload(), "exp", json!("x")));
    assert!(verification(local(&bad_claims).unwrap_err())
        .message
        .contains("(exp)"));
}
