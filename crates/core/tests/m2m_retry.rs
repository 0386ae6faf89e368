//! The list retry policy: table tests for `retry::decide`, and the retry loop of `m2m::list` (POSTs are
//! never retried).

mod m2m_support;

use clerk_m2m_core::m2m::{create_token, list, revoke_token, verify_opaque};
use clerk_m2m_core::ports::TransportError;
use clerk_m2m_core::retry::{decide, is_retryable, Decision, Jitter, Outcome, RetryPolicy};
use clerk_m2m_core::ClientConfig;
use m2m_support::*;
use serde_json::{json, Value};

fn status(status: u16) -> Outcome {
    Outcome::Status {
        status,
        retry_after_secs: None,
    }
}

fn after(status: u16, secs: u32) -> Outcome {
    Outcome::Status {
        status,
        retry_after_secs: Some(secs),
    }
}

#[test]
fn decide_table() {
    let p = RetryPolicy::default(); // 3 attempts, 200 ms base, 5 s cap, 10 s budget
    let wide = RetryPolicy {
        max_attempts: 10,
        ..p
    };
    let off = RetryPolicy::disabled();
    let cases: Vec<(&RetryPolicy, u32, Outcome, u64, f64, Decision)> = vec![
        // final outcomes
        (&p, 1, status(200), 0, 0.0, Decision::Stop),
        (&p, 1, status(201), 0, 0.0, Decision::Stop),
        (&p, 1, status(400), 0, 0.0, Decision::Stop),
        (&p, 1, status(401), 0, 0.0, Decision::Stop),
        (&p, 1, status(403), 0, 0.0, Decision::Stop),
        (&p, 1, status(404), 0, 0.0, Decision::Stop),
        (&p, 1, status(409), 0, 0.0, Decision::Stop),
        (&p, 1, status(422), 0, 0.0, Decision::Stop),
        (&p, 1, after(400, 1), 0, 0.0, Decision::Stop),
        (&p, 1, status(501), 0, 0.0, Decision::Stop),
        (&p, 1, status(505), 0, 0.0, Decision::Stop),
        // retryable, equal jitter: step/2 + jitter × step/2
        (&p, 1, status(429), 0, 0.0, Decision::RetryAfter(100)),
        (&p, 1, status(500), 0, 0.5, Decision::RetryAfter(150)),
        (&p, 1, status(502), 0, 0.999, Decision::RetryAfter(199)),
        (&p, 2, status(503), 0, 0.0, Decision::RetryAfter(200)),
        (&p, 2, status(504), 0, 0.999, Decision::RetryAfter(399)),
        (&p, 1, Outcome::Network, 0, 0.0, Decision::RetryAfter(100)),
        (&p, 1, Outcome::Timeout, 0, 0.0, Decision::RetryAfter(100)),
        // attempts exhausted
        (&p, 3, status(503), 0, 0.0, Decision::Stop),
        (&p, 4, Outcome::Network, 0, 0.0, Decision::Stop),
        (&off, 1, status(503), 0, 0.0, Decision::Stop),
        // cap at 5 s
        (&wide, 6, status(503), 0, 0.0, Decision::RetryAfter(2500)),
        (&wide, 9, status(503), 0, 0.999, Decision::RetryAfter(4997)),
        // Retry-After honoured within the budget, else stop
        (&p, 1, after(429, 2), 0, 0.9, Decision::RetryAfter(2000)),
        (&p, 1, after(429, 0), 0, 0.9, Decision::RetryAfter(0)),
        (&p, 1, after(503, 10), 0, 0.0, Decision::RetryAfter(10_000)),
        (&p, 1, after(429, 11), 0, 0.0, Decision::Stop),
        (&p, 1, after(429, 9), 1500, 0.0, Decision::Stop),
        (&p, 1, after(429, 60), 0, 0.0, Decision::Stop),
        (&p, 1, after(429, u32::MAX), 0, 0.0, Decision::Stop),
        // budget
        (&p, 1, status(503), 9_950, 0.0, Decision::Stop),
        (&p, 1, status(503), 9_900, 0.0, Decision::RetryAfter(100)),
        (&p, 1, status(503), 10_000, 0.0, Decision::Stop),
        (&p, 1, Outcome::Timeout, 30_000, 0.0, Decision::Stop),
        // odd jitter values are clamped
        (&p, 1, status(503), 0, f64::NAN, Decision::RetryAfter(100)),
        (&p, 1, status(503), 0, 7.0, Decision::RetryAfter(200)),
        (&p, 1, status(503), 0, -1.0, Decision::RetryAfter(100)),
    ];
    for (policy, attempt, outcome, elapsed, jitter, expected) in cases {
        assert_eq!(
            decide(policy, attempt, &outcome, elapsed, jitter),
            expected,
            "{attempt} {outcome:?} {elapsed} {jitter}"
        );
    }
    assert!(is_retryable(&status(429)) && !is_retryable(&status(408)));
}

#[test]
fn jitter_is_deterministic_in_range_and_seed_sensitive() {
    let mut a = Jitter::from_seed(1_700_000_000_000);
    let mut b = Jitter::from_seed(1_700_000_000_000);
    let mut c = Jitter::from_seed(1_700_000_000_001);
    let xs: Vec<f64> = (0..1000).map(|_| a.next_f64()).collect();
    let ys: Vec<f64> = (0..1000).map(|_| b.next_f64()).collect();
    let zs: Vec<f64> = (0..1000).map(|_| c.next_f64()).collect();
    assert_eq!(xs, ys);
    assert_ne!(xs, zs);
    assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    assert!((0.4..0.6).contains(&mean), "{mean}");
    let mut zero = Jitter::from_seed(0);
    assert!((0..10).map(|_| zero.next_f64()).any(|x| x > 0.0));
}

fn list_ok() -> Value {
    json!({"m2m_tokens": [tok1()], "total_count": 1})
}

#[test]
fn list_honours_retry_after_on_429() {
    let fake = Fake::with(vec![
        raw(429, "Too Many Requests", &[("retry-after", "1")], ""),
        ok(&list_ok()),
    ]);
    let page = block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    ))
    .unwrap();
    assert_eq!(page.total_count, 1);
    assert_eq!(fake.count(), 2);
    assert_eq!(fake.sleeps(), vec![1000]);
    let requests = fake.requests.borrow();
    assert_eq!(requests[0], requests[1], "the retry sends the same request");
}

#[test]
fn list_retries_503_up_to_max_attempts_with_backoff() {
    let busy = || {
        raw(
            503,
            "Service Unavailable",
            &[("content-type", "application/json")],
            r#"{"errors":[{"code":"busy","message":"busy"}]}"#,
        )
    };
    let fake = Fake::with(vec![busy(), busy(), busy(), ok(&list_ok())]);
    let e = api_err(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    )));
    assert_eq!(fake.count(), 3);
    assert_eq!((e.status, e.errors[0].code.as_str()), (Some(503), "busy"));
    let sleeps = fake.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!((100..200).contains(&sleeps[0]), "{sleeps:?}");
    assert!((200..400).contains(&sleeps[1]), "{sleeps:?}");

    let cfg = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 5,
            ..RetryPolicy::default()
        },
        ..config(None, Some("ak"))
    };
    let fake = Fake::with(vec![busy(), busy(), busy(), ok(&list_ok())]);
    assert!(block_on(list(&fake, &cfg, &json!({"subject": "mch_1"}))).is_ok());
    assert_eq!(fake.count(), 4);
}

#[test]
fn list_retries_network_errors_and_timeouts() {
    let fake = Fake::with(vec![
        Err(TransportError::Network {
            message: "fetch failed".into(),
        }),
        Err(TransportError::Timeout { after_ms: 100 }),
        ok(&list_ok()),
    ]);
    assert!(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"})
    ))
    .is_ok());
    assert_eq!(fake.count(), 3);
    // When attempts run out, the last failure is reported.
    let fake = Fake::with(vec![
        Err(TransportError::Network {
            message: "a".into(),
        }),
        Err(TransportError::Network {
            message: "b".into(),
        }),
        Err(TransportError::Timeout { after_ms: 100 }),
    ]);
    let e = api_err(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    )));
    assert_eq!(e.errors[0].code, "request_timeout");
}

#[test]
fn list_does_not_retry_other_4xx_or_disabled_policy_or_long_retry_after() {
    let fake = Fake::with(vec![
        json_response(400, "Bad Request", &json!({"errors": []})),
        ok(&list_ok()),
    ]);
    assert_eq!(
        api_err(block_on(list(
            &fake,
            &config(None, Some("ak")),
            &json!({"subject": "mch_1"})
        )))
        .status,
        Some(400)
    );
    assert_eq!(fake.count(), 1);
    assert!(fake.sleeps().is_empty());

    let cfg = ClientConfig {
        retry: RetryPolicy::disabled(),
        ..config(None, Some("ak"))
    };
    let fake = Fake::with(vec![
        raw(503, "Service Unavailable", &[], ""),
        ok(&list_ok()),
    ]);
    assert_eq!(
        api_err(block_on(list(&fake, &cfg, &json!({"subject": "mch_1"})))).status,
        Some(503)
    );
    assert_eq!(fake.count(), 1);

    let fake = Fake::with(vec![
        raw(429, "Too Many Requests", &[("retry-after", "60")], ""),
        ok(&list_ok()),
    ]);
    let e = api_err(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    )));
    assert_eq!(
        (e.status, e.retry_after, fake.count()),
        (Some(429), Some(60), 1)
    );
}

#[test]
fn list_stops_when_the_budget_is_spent() {
    // Each attempt takes 6 s: after the first one only 4 s of the 10 s budget remain, after the second none.
    let fake = Fake::with(vec![
        raw(503, "", &[], ""),
        raw(503, "", &[], ""),
        ok(&list_ok()),
    ]);
    fake.latency_ms.set(6_000);
    let e = api_err(block_on(list(
        &fake,
        &config(None, Some("ak")),
        &json!({"subject": "mch_1"}),
    )));
    assert_eq!(
        (e.status, e.message.as_str()),
        (Some(503), "Service Unavailable")
    );
    assert_eq!(fake.count(), 2);
}

#[test]
fn posts_are_never_retried() {
    let cfg = ClientConfig {
        retry: RetryPolicy {
            max_attempts: 10,
            ..RetryPolicy::default()
        },
        ..config(None, Some("ak"))
    };
    let failures = || {
        vec![
            raw(503, "Service Unavailable", &[("retry-after", "0")], ""),
            Err(TransportError::Network {
                message: "fetch failed".into(),
            }),
            raw(429, "Too Many Requests", &[("retry-after", "0")], ""),
        ]
    };
    for failure in failures() {
        let fake = Fake::with(vec![
            failure.clone(),
            json_response(201, "Created", &tok1()),
        ]);
        assert!(block_on(create_token(&fake, &cfg, &Value::Null)).is_err());
        assert_eq!(fake.count(), 1);
        let fake = Fake::with(vec![failure.clone(), ok(&tok1())]);
        assert!(block_on(revoke_token(&fake, &cfg, &json!({"m2mTokenId": "mt_1"}))).is_err());
        assert_eq!(fake.count(), 1);
        let fake = Fake::with(vec![failure, ok(&tok1())]);
        assert!(block_on(verify_opaque(&fake, &cfg, &json!({"token": "mt_abc"}))).is_err());
        assert_eq!(fake.count(), 1);
        assert!(fake.sleeps().is_empty());
    }
}
