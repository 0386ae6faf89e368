//! `ClientConfig::resolve` precedence and validation, and the URL/header/transport helpers of `http`.

mod m2m_support;

use clerk_m2m_core::http::{base_headers, check_transport, endpoint_url};
use clerk_m2m_core::retry::RetryPolicy;
use clerk_m2m_core::{ClientConfig, Error, Secret};
use m2m_support::*;
use serde_json::{json, Value};

fn resolve(options: Value, env: Value, process_env: Value) -> Result<ClientConfig, Error> {
    ClientConfig::resolve(&options, &env, &process_env)
}

fn exposed(s: &Option<Secret>) -> Option<&str> {
    s.as_ref().map(Secret::expose)
}

#[test]
fn defaults() {
    let c = resolve(Value::Null, Value::Null, Value::Null).unwrap();
    assert_eq!(c.api_url, "https://api.clerk.com");
    assert_eq!(c.api_version, "v1");
    assert_eq!(
        c.user_agent,
        format!("clerk-m2m-edge@{}", clerk_m2m_core::VERSION)
    );
    assert_eq!(c.timeout_ms, Some(30_000));
    assert!(!c.allow_insecure_http);
    assert_eq!(c.retry, RetryPolicy::default());
    assert_eq!(c.retry.max_attempts, 3);
    assert!(c.secret_key.is_none() && c.machine_secret_key.is_none() && c.jwt_key.is_none());
}

#[test]
fn precedence_explicit_then_env_then_process_env() {
    let all = |prefix: &str| {
        json!({
            "CLERK_SECRET_KEY": format!("sk_{prefix}"),
            "CLERK_MACHINE_SECRET_KEY": format!("ak_{prefix}"),
            "CLERK_JWT_KEY": format!("pem_{prefix}"),
            "CLERK_API_URL": format!("https://{prefix}.test"),
            "CLERK_API_VERSION": format!("v_{prefix}"),
        })
    };
    let explicit = json!({
        "secretKey": "sk_opt", "machineSecretKey": "ak_opt", "jwtKey": "pem_opt",
        "apiUrl": "https://opt.test", "apiVersion": "v_opt",
    });
    let c = resolve(explicit, all("env"), all("proc")).unwrap();
    assert_eq!(
        (
            exposed(&c.secret_key),
            exposed(&c.machine_secret_key),
            exposed(&c.jwt_key)
        ),
        (Some("sk_opt"), Some("ak_opt"), Some("pem_opt"))
    );
    assert_eq!(
        (c.api_url.as_str(), c.api_version.as_str()),
        ("https://opt.test", "v_opt")
    );

    let c = resolve(json!({}), all("env"), all("proc")).unwrap();
    assert_eq!(
        (
            exposed(&c.secret_key),
            exposed(&c.machine_secret_key),
            exposed(&c.jwt_key)
        ),
        (Some("sk_env"), Some("ak_env"), Some("pem_env"))
    );
    assert_eq!(
        (c.api_url.as_str(), c.api_version.as_str()),
        ("https://env.test", "v_env")
    );

    let c = resolve(json!({}), Value::Null, all("proc")).unwrap();
    assert_eq!(exposed(&c.secret_key), Some("sk_proc"));
    assert_eq!(c.api_url, "https://proc.test");
}

#[test]
fn empty_strings_and_nulls_are_skipped() {
    let c = resolve(
        json!({"secretKey": "", "machineSecretKey": null, "apiUrl": ""}),
        json!({"CLERK_SECRET_KEY": "", "CLERK_MACHINE_SECRET_KEY": "ak_env", "CLERK_API_URL": null}),
        json!({"CLERK_SECRET_KEY": "sk_proc", "CLERK_MACHINE_SECRET_KEY": "ak_proc", "CLERK_API_URL": ""}),
    )
    .unwrap();
    // `env` is the first source holding a secret key, so it supplies both (and has no instance key).
    assert_eq!(exposed(&c.secret_key), None);
    assert_eq!(exposed(&c.machine_secret_key), Some("ak_env"));
    assert_eq!(c.api_url, "https://api.clerk.com");
    let c = resolve(json!({"secretKey": ""}), json!({}), json!({})).unwrap();
    assert!(c.secret_key.is_none());
}

#[test]
fn the_first_source_holding_a_secret_key_supplies_both() {
    let ambient = json!({"CLERK_SECRET_KEY": "sk_proc", "CLERK_MACHINE_SECRET_KEY": "ak_proc"});
    fn keys(c: &ClientConfig) -> (Option<&str>, Option<&str>) {
        (exposed(&c.secret_key), exposed(&c.machine_secret_key))
    }

    // An explicit instance key: the ambient machine key would otherwise win every M2M call.
    let c = resolve(json!({"secretKey": "sk_opt"}), Value::Null, ambient.clone()).unwrap();
    assert_eq!(keys(&c), (Some("sk_opt"), None));
    assert_eq!(exposed(&c.m2m_bearer(None).cloned()), Some("sk_opt"));
    // An explicit machine key: the ambient instance key is not taken either.
    let c = resolve(
        json!({"machineSecretKey": "ak_opt"}),
        Value::Null,
        ambient.clone(),
    )
    .unwrap();
    assert_eq!(keys(&c), (None, Some("ak_opt")));
    // The same between `env` and `process.env`.
    let c = resolve(
        json!({}),
        json!({"CLERK_SECRET_KEY": "sk_env"}),
        ambient.clone(),
    )
    .unwrap();
    assert_eq!(keys(&c), (Some("sk_env"), None));
    // A source with neither key passes the choice on; other settings still merge field by field.
    let c = resolve(
        json!({"apiUrl": "https://opt.test", "jwtKey": "pem_opt"}),
        json!({"CLERK_API_VERSION": "v_env"}),
        ambient,
    )
    .unwrap();
    assert_eq!(keys(&c), (Some("sk_proc"), Some("ak_proc")));
    assert_eq!(
        (c.api_url.as_str(), c.api_version.as_str()),
        ("https://opt.test", "v_env")
    );
    assert_eq!(exposed(&c.jwt_key), Some("pem_opt"));
    // A public jwtKey from the environment still joins an explicit secret key.
    let c = resolve(
        json!({"secretKey": "sk_opt"}),
        json!({"CLERK_JWT_KEY": "pem_env"}),
        Value::Null,
    )
    .unwrap();
    assert_eq!(exposed(&c.jwt_key), Some("pem_env"));
    // The per-call machine key still wins over all of them.
    let per_call = Secret::new("ak_call");
    assert_eq!(
        c.m2m_bearer(Some(&per_call)).map(|k| k.expose()),
        Some("ak_call")
    );
}

#[test]
fn options_only_settings() {
    let c = resolve(
        json!({"userAgent": "@clerk/backend@0.0.0-test", "timeoutMs": 0, "allowInsecureHttp": true, "retry": false,
               "clockSkewInMs": 1000, "jwksCacheTtlMs": 5, "somethingElse": {}}),
        json!({"userAgent": "ignored", "CLERK_USER_AGENT": "ignored"}),
        Value::Null,
    )
    .unwrap();
    assert_eq!(c.user_agent, "@clerk/backend@0.0.0-test");
    assert_eq!(c.timeout_ms, None);
    assert!(c.allow_insecure_http);
    assert_eq!(c.retry, RetryPolicy::disabled());
    assert_eq!(
        resolve(json!({"timeoutMs": null}), Value::Null, Value::Null)
            .unwrap()
            .timeout_ms,
        None
    );
    assert_eq!(
        resolve(json!({"timeoutMs": 5000}), Value::Null, Value::Null)
            .unwrap()
            .timeout_ms,
        Some(5000)
    );
    assert_eq!(
        resolve(json!({"userAgent": ""}), Value::Null, Value::Null)
            .unwrap()
            .user_agent,
        clerk_m2m_core::default_user_agent()
    );
    let r = resolve(json!({"retry": {"maxAttempts": 5, "baseDelayMs": 50, "maxDelayMs": 1000, "budgetMs": 2000}}), Value::Null, Value::Null)
        .unwrap()
        .retry;
    assert_eq!(
        r,
        RetryPolicy {
            max_attempts: 5,
            base_delay_ms: 50,
            max_delay_ms: 1000,
            budget_ms: 2000
        }
    );
    assert_eq!(
        resolve(json!({"retry": true}), Value::Null, Value::Null)
            .unwrap()
            .retry,
        RetryPolicy::default()
    );
}

#[test]
fn wrong_types_name_the_option_and_never_the_value() {
    let cases: Vec<(Value, Value, Value, &str)> = vec![
        (json!("sk_live_LEAKME"), Value::Null, Value::Null, "options must be an object"),
        (json!({}), json!("sk_live_LEAKME"), Value::Null, "env must be an object"),
        (json!({}), Value::Null, json!(["sk_live_LEAKME"]), "process.env must be an object"),
        (json!({"secretKey": 123}), Value::Null, Value::Null, "secretKey must be a string"),
        (json!({"machineSecretKey": ["sk_live_LEAKME"]}), Value::Null, Value::Null, "machineSecretKey must be a string"),
        (json!({"jwtKey": {"k": "sk_live_LEAKME"}}), Value::Null, Value::Null, "jwtKey must be a string"),
        (json!({"apiUrl": 1}), Value::Null, Value::Null, "apiUrl must be a string"),
        (json!({"apiVersion": true}), Value::Null, Value::Null, "apiVersion must be a string"),
        (json!({"userAgent": 1}), Value::Null, Value::Null, "userAgent must be a string"),
        (json!({"userAgent": "a\nb"}), Value::Null, Value::Null, "userAgent must contain only printable ASCII characters"),
        (json!({"timeoutMs": "30000"}), Value::Null, Value::Null, "timeoutMs must be an integer between 0 and 2147483647 (0 or null: no timeout)"),
        (json!({"allowInsecureHttp": "yes"}), Value::Null, Value::Null, "allowInsecureHttp must be a boolean"),
        (json!({"retry": 3}), Value::Null, Value::Null, "retry must be a boolean or an object with maxAttempts, baseDelayMs, maxDelayMs and budgetMs"),
        (json!({"retry": {"maxAttempts": 0}}), Value::Null, Value::Null, "retry.maxAttempts must be an integer between 1 and 10"),
        (json!({"retry": {"maxAttempts": 11}}), Value::Null, Value::Null, "retry.maxAttempts must be an integer between 1 and 10"),
        (json!({"retry": {"budgetMs": -1}}), Value::Null, Value::Null, "retry.budgetMs must be an integer between 0 and 600000"),
        (json!({"retry": {"attempts": 2}}), Value::Null, Value::Null, "retry has an unknown option \"attempts\""),
        (json!({}), json!({"CLERK_SECRET_KEY": 5}), Value::Null, "env.CLERK_SECRET_KEY must be a string"),
        (json!({}), Value::Null, json!({"CLERK_MACHINE_SECRET_KEY": true}), "process.env.CLERK_MACHINE_SECRET_KEY must be a string"),
        (json!({"secretKey": "sk_live_LEAKME "}), Value::Null, Value::Null, "secretKey must contain only visible ASCII characters (no spaces, line breaks or other characters)"),
        (json!({}), json!({"CLERK_MACHINE_SECRET_KEY": "ak_LEAKME\r\n"}), Value::Null, "machineSecretKey must contain only visible ASCII characters (no spaces, line breaks or other characters)"),
    ];
    for (o, e, p, expected) in cases {
        let err = resolve(o.clone(), e, p).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{o}: {err:?}");
        assert_eq!(err.to_string(), expected, "{o}");
        assert!(!format!("{err:?}").contains("LEAKME"));
    }
}

#[test]
fn jwt_key_may_span_lines() {
    let pem = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n";
    let c = resolve(json!({}), json!({"CLERK_JWT_KEY": pem}), Value::Null).unwrap();
    assert_eq!(exposed(&c.jwt_key), Some(pem));
}

#[test]
fn bad_api_urls_are_configuration_errors_naming_api_url_only() {
    for url in [
        "api.clerk.com",
        "ftp://api.clerk.com",
        "https://",
        "https:///x",
        "https://x.test?y=1",
        "https://x.test#f",
        "https://user:sk_live_LEAKME@x.test",
        "https://x .test",
        "https://x.test:99999",
        "https://x.test:abc",
        "https://x.test:",
        "https://[::1",
        "https://[zz]",
        "https://x%2Etest",
        "https://x.test\\y",
        "https://\u{e9}.test",
        "//x.test",
        "javascript:alert(1)",
    ] {
        let err = resolve(json!({"apiUrl": url}), Value::Null, Value::Null).unwrap_err();
        let msg = configuration::<()>(Err(err.clone()));
        assert!(msg.starts_with("apiUrl "), "{url}: {msg}");
        assert!(
            !msg.contains("LEAKME") && !msg.contains(url),
            "{url}: {msg}"
        );
        assert_eq!(err.code(), "configuration-invalid");
    }
    for url in [
        "https://x.test",
        "http://localhost:8787",
        "https://[::1]:443/p",
        "https://x-y_z.test./a/b/",
    ] {
        assert!(
            resolve(json!({"apiUrl": url}), Value::Null, Value::Null).is_ok(),
            "{url}"
        );
    }
}

#[test]
fn base_headers_in_reference_order() {
    let c = config(None, None);
    assert_eq!(
        base_headers(&c, Some(&Secret::new("ak_1"))),
        expected_headers(Some("ak_1"))
    );
    assert_eq!(base_headers(&c, None), expected_headers(None));
}

#[test]
fn endpoint_url_joins_encodes_and_refuses_dots() {
    let c = ClientConfig {
        api_url: "https://x.test/p/".into(),
        ..ClientConfig::default()
    };
    assert_eq!(
        endpoint_url(&c, &["v1", "jwks"]).unwrap(),
        "https://x.test/p/v1/jwks"
    );
    assert_eq!(endpoint_url(&c, &[]).unwrap(), "https://x.test/p");
    assert_eq!(
        endpoint_url(&c, &["", "m2m_tokens", ""]).unwrap(),
        "https://x.test/p/m2m_tokens"
    );
    assert_eq!(
        endpoint_url(&c, &["a b", "ü", "x+y", "~._-"]).unwrap(),
        "https://x.test/p/a%20b/%C3%BC/x%2By/~._-"
    );
    assert_eq!(
        endpoint_url(&c, &["a.b", "...", "..a"]).unwrap(),
        "https://x.test/p/a.b/.../..a"
    );
    for seg in [
        ".",
        "..",
        "%2e",
        "%2E%2e",
        "a/..",
        "..\\a",
        "%252E%252E",
        "x%2F..",
        "x%5C.",
    ] {
        let err = endpoint_url(&c, &["m2m_tokens", seg]).unwrap_err();
        assert_eq!(
            err,
            Error::invalid_argument("path segments \".\" and \"..\" are not allowed"),
            "{seg}"
        );
    }
    let mut deep = "..".to_string();
    for _ in 0..12 {
        deep = deep.replace('%', "%25").replace('.', "%2E");
    }
    assert_eq!(
        endpoint_url(&c, &[&deep]).unwrap_err(),
        Error::invalid_argument("path segment has too many layers of percent-encoding")
    );
}

#[test]
fn check_transport_rules() {
    let strict = ClientConfig::default();
    let lax = ClientConfig {
        allow_insecure_http: true,
        ..ClientConfig::default()
    };
    for url in [
        "https://api.clerk.com/v1/jwks",
        "http://127.0.0.1/v1/jwks?x=1",
        "http://localhost/v1/jwks",
        "http://[::1]/x",
    ] {
        assert!(check_transport(&strict, url).is_ok(), "{url}");
    }
    let err = check_transport(&strict, "http://api.clerk.com/v1/jwks").unwrap_err();
    assert_eq!(
        err,
        Error::configuration("Refusing to send a Clerk secret (a key or a token) over plain http to api.clerk.com; use https or set allowInsecureHttp: true")
    );
    assert!(check_transport(&lax, "http://api.clerk.com/v1/jwks").is_ok());
    assert!(matches!(
        check_transport(&lax, "ftp://api.clerk.com"),
        Err(Error::Configuration { .. })
    ));
}
