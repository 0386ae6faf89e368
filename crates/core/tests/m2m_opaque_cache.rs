//! The opaque-token single flight and caches (`crate::opaque_cache`) through `m2m.verify`: one request for
//! N concurrent identical verifications, negative answers (404) cached until their TTL, transient failures
//! and key errors never cached, the positive cache off by default, the bounded size, and the SHA-256.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod m2m_support;

use std::cell::Cell;
use std::future::{pending, poll_fn};
use std::task::Poll;

use clerk_m2m_core::jwt::JwtOptions;
use clerk_m2m_core::opaque_cache::{cache_key, MAX_ENTRIES};
use clerk_m2m_core::ports::{
    Clock, HttpClient, HttpRequest, HttpResponse, RsaAlgorithm, RsaPublicKey, SignatureVerifier,
    Timer, TransportError,
};
use clerk_m2m_core::verify::verify;
use clerk_m2m_core::{Error, M2mToken};
use futures::executor::block_on;
use futures::future::join_all;
use m2m_support::*;
use serde_json::{json, Value};

/// [`Fake`], but each request yields once before it is answered (so concurrent callers overlap), and a
/// sleep never ends unless `sleep_polls` says after how many polls it does.
struct Slow {
    fake: Fake,
    sleep_polls: Cell<Option<u32>>,
}

impl Slow {
    fn new() -> Self {
        Self {
            fake: Fake::new(),
            sleep_polls: Cell::new(None),
        }
    }
}

async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

impl HttpClient for Slow {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        yield_once().await;
        self.fake.send(request).await
    }
}

impl Clock for Slow {
    fn now_ms(&self) -> u64 {
        self.fake.now_ms()
    }
}

/// No cache shared with other isolates.
impl clerk_m2m_core::ports::SharedCache for Slow {}

impl Timer for Slow {
    async fn sleep(&self, ms: u32) {
        match self.sleep_polls.get() {
            None => pending::<()>().await,
            Some(n) => {
                for _ in 0..n {
                    yield_once().await;
                }
                self.fake.sleep(ms).await;
            }
        }
    }
}

impl SignatureVerifier for Slow {
    async fn verify_rsa(
        &self,
        _: RsaAlgorithm,
        _: &RsaPublicKey,
        _: &[u8],
        _: &[u8],
    ) -> Result<bool, String> {
        panic!("no JWT in these tests")
    }
}

fn options(v: Value) -> JwtOptions {
    JwtOptions::from_client_options(&v).unwrap()
}

fn not_found() -> Result<HttpResponse, TransportError> {
    json_response(
        404,
        "Not Found",
        &json!({"errors": [{"code": "resource_not_found", "message": "not found"}],
                "clerk_trace_id": "trace_1"}),
    )
}

fn run(p: &Slow, o: &JwtOptions, params: Value) -> Result<M2mToken, Error> {
    block_on(verify(p, &config(Some("sk_test_x"), None), o, &params))
}

fn flood(p: &Slow, o: &JwtOptions, token: &str, n: usize) -> Vec<Result<M2mToken, Error>> {
    let config = config(Some("sk_test_x"), None);
    let params = json!({ "token": token });
    block_on(join_all((0..n).map(|_| verify(p, &config, o, &params))))
}

#[test]
fn thirty_concurrent_identical_unknown_tokens_make_one_request_and_share_the_error() {
    let p = Slow::new();
    p.fake.push(not_found());
    let o = options(json!({ "opaqueNegativeCacheTtlMs": 0 }));
    let results = flood(&p, &o, "mt_unknown", 30);
    assert_eq!(p.fake.count(), 1);
    let first = results[0].clone().unwrap_err();
    assert_eq!(api_err::<()>(Err(first.clone())).status, Some(404));
    assert!(results.iter().all(|r| r.as_ref().unwrap_err() == &first));
}

#[test]
fn twenty_concurrent_identical_valid_tokens_make_one_request_and_share_the_token() {
    let p = Slow::new();
    p.fake.push(ok(&tok1()));
    let o = JwtOptions::default();
    let results = flood(&p, &o, "mt_valid", 20);
    assert_eq!(p.fake.count(), 1);
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap().id == "mt_1xxxxxxxxxxxxx"));
    // Positive cache off by default: the next verification asks again.
    p.fake.push(ok(&tok1()));
    run(&p, &o, json!({ "token": "mt_valid" })).unwrap();
    assert_eq!(p.fake.count(), 2);
}

#[test]
fn concurrent_transient_failures_are_shared_but_not_cached() {
    let p = Slow::new();
    p.fake
        .push(json_response(503, "Service Unavailable", &json!({})));
    let results = flood(&p, &JwtOptions::default(), "mt_x", 10);
    assert_eq!(p.fake.count(), 1);
    assert!(results.iter().all(|r| r.is_err()));
}

#[test]
fn different_tokens_or_keys_do_not_share() {
    let p = Slow::new();
    for _ in 0..3 {
        p.fake.push(not_found());
    }
    let o = JwtOptions::default();
    let config = config(Some("sk_test_x"), None);
    let a = json!({ "token": "mt_a" });
    let b = json!({ "token": "mt_b" });
    let a_other_key = json!({ "token": "mt_a", "machineSecretKey": "ak_other" });
    let results = block_on(join_all([
        verify(&p, &config, &o, &a),
        verify(&p, &config, &o, &b),
        verify(&p, &config, &o, &a_other_key),
    ]));
    assert_eq!(p.fake.count(), 3);
    assert!(results.iter().all(|r| r.is_err()));
    assert_ne!(cache_key("mt_a", Some("k")), cache_key("mt_a", None));
    assert_ne!(cache_key("mt_ak", None), cache_key("mt_a", Some("k")));
}

#[test]
fn a_404_is_cached_negatively_as_the_same_error_until_the_ttl() {
    let p = Slow::new();
    p.fake.push(not_found());
    let o = JwtOptions::default();
    let params = json!({ "token": "mt_unknown" });
    let first = run(&p, &o, params.clone()).unwrap_err();
    p.fake.now.set(p.fake.now.get() + 59_999);
    assert_eq!(run(&p, &o, params.clone()).unwrap_err(), first);
    assert_eq!(p.fake.count(), 1, "answered from the negative cache");
    p.fake.now.set(p.fake.now.get() + 1);
    p.fake.push(ok(&tok1()));
    run(&p, &o, params).unwrap();
    assert_eq!(p.fake.count(), 2, "the entry expired after 60 s");
}

#[test]
fn the_negative_ttl_is_an_option_and_zero_disables_it() {
    let p = Slow::new();
    let o = options(json!({ "opaqueNegativeCacheTtlMs": 1000 }));
    p.fake.push(not_found());
    run(&p, &o, json!({ "token": "mt_u" })).unwrap_err();
    p.fake.now.set(p.fake.now.get() + 999);
    run(&p, &o, json!({ "token": "mt_u" })).unwrap_err();
    assert_eq!(p.fake.count(), 1);
    p.fake.now.set(p.fake.now.get() + 1);
    p.fake.push(not_found());
    run(&p, &o, json!({ "token": "mt_u" })).unwrap_err();
    assert_eq!(p.fake.count(), 2);

    let p = Slow::new();
    let o = options(json!({ "opaqueNegativeCacheTtlMs": 0 }));
    p.fake.push(not_found());
    p.fake.push(not_found());
    run(&p, &o, json!({ "token": "mt_u" })).unwrap_err();
    run(&p, &o, json!({ "token": "mt_u" })).unwrap_err();
    assert_eq!(p.fake.count(), 2);
}

#[test]
fn transient_failures_and_key_errors_are_never_cached() {
    let failures: Vec<Result<HttpResponse, TransportError>> = vec![
        json_response(500, "Internal Server Error", &json!({})),
        json_response(502, "Bad Gateway", &json!({})),
        json_response(429, "Too Many Requests", &json!({})),
        json_response(
            401,
            "Unauthorized",
            &json!({"errors": [{"code": "authentication_invalid", "message": "bad key"}]}),
        ),
        json_response(
            403,
            "Forbidden",
            &json!({"errors": [{"code": "machine_secret_key_invalid", "message": "bad key"}]}),
        ),
        Err(TransportError::Network {
            message: "fetch failed".into(),
        }),
        Err(TransportError::Timeout { after_ms: 1000 }),
    ];
    for failure in failures {
        let p = Slow::new();
        let o = JwtOptions::default();
        let label = format!("{failure:?}");
        p.fake.push(failure);
        run(&p, &o, json!({ "token": "mt_t" })).unwrap_err();
        p.fake.push(ok(&tok1()));
        run(&p, &o, json!({ "token": "mt_t" })).unwrap();
        assert_eq!(p.fake.count(), 2, "{label} was cached");
    }
}

#[test]
fn the_positive_cache_is_opt_in_and_expires() {
    let p = Slow::new();
    let o = options(json!({ "opaqueTokenCacheTtlMs": 1000 }));
    p.fake.push(ok(&tok1()));
    let first = run(&p, &o, json!({ "token": "mt_v" })).unwrap();
    p.fake.now.set(p.fake.now.get() + 999);
    assert_eq!(run(&p, &o, json!({ "token": "mt_v" })).unwrap(), first);
    assert_eq!(p.fake.count(), 1);
    p.fake.now.set(p.fake.now.get() + 1);
    p.fake.push(ok(&tok1()));
    run(&p, &o, json!({ "token": "mt_v" })).unwrap();
    assert_eq!(p.fake.count(), 2);
}

#[test]
fn the_positive_cache_never_outlives_the_token_expiration() {
    let p = Slow::new();
    let o = options(json!({ "opaqueTokenCacheTtlMs": 600_000 }));
    let mut token = tok1();
    token["expiration"] = json!(p.fake.now.get() + 10);
    p.fake.push(ok(&token));
    run(&p, &o, json!({ "token": "mt_v" })).unwrap();
    p.fake.now.set(p.fake.now.get() + 10);
    p.fake.push(not_found());
    run(&p, &o, json!({ "token": "mt_v" })).unwrap_err();
    assert_eq!(p.fake.count(), 2);
}

#[test]
fn a_waiter_stops_waiting_after_the_bound_and_sends_itself() {
    let p = Slow::new();
    p.sleep_polls.set(Some(0));
    p.fake.push(not_found());
    p.fake.push(not_found());
    let o = options(json!({ "opaqueNegativeCacheTtlMs": 0 }));
    let results = flood(&p, &o, "mt_u", 2);
    assert_eq!(
        p.fake.count(),
        2,
        "the bound elapsed before the first answer"
    );
    assert!(results.iter().all(|r| r.is_err()));
    assert_eq!(
        p.fake.sleeps(),
        [5_000],
        "capped at 5 s below the 30 s request timeout"
    );
    // A shorter request timeout is the bound.
    let p = Slow::new();
    p.sleep_polls.set(Some(0));
    p.fake.push(not_found());
    p.fake.push(not_found());
    let params = json!({ "token": "mt_u", "timeoutMs": 700 });
    let config = config(Some("sk_test_x"), None);
    block_on(join_all((0..2).map(|_| verify(&p, &config, &o, &params))));
    assert_eq!(p.fake.sleeps(), [700]);
}

#[test]
fn the_cache_is_bounded_and_drops_the_oldest() {
    let p = Slow::new();
    let o = JwtOptions::default();
    for i in 0..=MAX_ENTRIES {
        p.fake.push(not_found());
        run(&p, &o, json!({ "token": format!("mt_{i}") })).unwrap_err();
    }
    assert_eq!(o.opaque.len(), MAX_ENTRIES);
    let sent = p.fake.count();
    run(&p, &o, json!({ "token": format!("mt_{MAX_ENTRIES}") })).unwrap_err();
    assert_eq!(p.fake.count(), sent, "the newest is cached");
    p.fake.push(not_found());
    run(&p, &o, json!({ "token": "mt_0" })).unwrap_err();
    assert_eq!(p.fake.count(), sent + 1, "the oldest was dropped");
}

#[test]
fn option_errors_name_the_option() {
    for key in ["opaqueNegativeCacheTtlMs", "opaqueTokenCacheTtlMs"] {
        for bad in [json!(-1), json!(1.5), json!("10"), json!(true)] {
            let e = JwtOptions::from_client_options(&json!({ key: bad })).unwrap_err();
            assert_eq!(e.kind(), "TypeError");
            assert!(e.message().starts_with(key), "{}", e.message());
        }
    }
}
