//! Shared fakes for the M2M tests: a scripted transport implementing `HttpClient + Clock + Timer`, a tiny
//! executor, and the reference's fixtures (spec §7 conventions).
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use clerk_m2m_core::ports::{Clock, HttpClient, HttpRequest, HttpResponse, Timer, TransportError};
use clerk_m2m_core::{ClientConfig, Error, Secret};
use serde_json::{json, Value};

pub const API_URL: &str = "https://api.clerk.test";
pub const UA: &str = "@clerk/backend@0.0.0-test";

struct NoopWake;
impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Polls a future to completion. The fakes never return `Pending`, so this never spins for long.
pub fn block_on<F: Future>(f: F) -> F::Output {
    let waker = Waker::from(Arc::new(NoopWake));
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// A scripted transport: records every request, answers from a queue, and keeps a fake clock that
/// `sleep` and each request's `latency_ms` move forward.
pub struct Fake {
    pub requests: RefCell<Vec<HttpRequest>>,
    responses: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
    pub now: Cell<u64>,
    pub sleeps: RefCell<Vec<u32>>,
    pub latency_ms: Cell<u64>,
}

impl Fake {
    pub fn new() -> Self {
        Self {
            requests: RefCell::new(Vec::new()),
            responses: RefCell::new(VecDeque::new()),
            now: Cell::new(1_700_000_000_000),
            sleeps: RefCell::new(Vec::new()),
            latency_ms: Cell::new(0),
        }
    }

    pub fn with(responses: Vec<Result<HttpResponse, TransportError>>) -> Self {
        let fake = Self::new();
        fake.responses.borrow_mut().extend(responses);
        fake
    }

    pub fn push(&self, r: Result<HttpResponse, TransportError>) {
        self.responses.borrow_mut().push_back(r);
    }

    pub fn count(&self) -> usize {
        self.requests.borrow().len()
    }

    pub fn only_request(&self) -> HttpRequest {
        let requests = self.requests.borrow();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request: {requests:?}"
        );
        requests[0].clone()
    }

    pub fn sleeps(&self) -> Vec<u32> {
        self.sleeps.borrow().clone()
    }
}

impl HttpClient for Fake {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.requests.borrow_mut().push(request);
        self.now.set(self.now.get() + self.latency_ms.get());
        self.responses.borrow_mut().pop_front().unwrap_or_else(|| {
            Err(TransportError::Network {
                message: "no scripted response".into(),
            })
        })
    }
}

impl Clock for Fake {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
}

/// No cache shared with other isolates.
impl clerk_m2m_core::ports::SharedCache for Fake {}

impl Timer for Fake {
    async fn sleep(&self, ms: u32) {
        self.sleeps.borrow_mut().push(ms);
        self.now.set(self.now.get() + u64::from(ms));
    }
}

/// A response with a body and `content-type: application/json`.
pub fn json_response(
    status: u16,
    status_text: &str,
    body: &Value,
) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status,
        status_text: status_text.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string(),
    })
}

pub fn ok(body: &Value) -> Result<HttpResponse, TransportError> {
    json_response(200, "OK", body)
}

pub fn raw(
    status: u16,
    status_text: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status,
        status_text: status_text.into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.into(),
    })
}

/// The reference's opaque fixture `TOK` with the given id.
pub fn tok(id: &str) -> Value {
    json!({
        "object": "machine_to_machine_token",
        "id": id,
        "subject": "mch_1xxxxxxxxxxxxx",
        "scopes": ["mch_1xxxxxxxxxxxxx", "mch_2xxxxxxxxxxxxx"],
        "claims": {"foo": "bar"},
        "token": "mt_secret_1xxxxxxxxxxxxx",
        "revoked": false,
        "revocation_reason": null,
        "expired": false,
        "expiration": 1753746916590_i64,
        "created_at": 1753743316590_i64,
        "updated_at": 1753743316590_i64,
    })
}

pub fn tok1() -> Value {
    tok("mt_1xxxxxxxxxxxxx")
}

/// `TOK` as the revoke endpoint answers: revoked, with a reason and without `token`.
pub fn revoked_tok(reason: &str) -> Value {
    let mut t = tok1();
    let o = t.as_object_mut().unwrap();
    o.remove("token");
    o.insert("revoked".into(), json!(true));
    o.insert("revocation_reason".into(), json!(reason));
    t
}

pub fn config(secret_key: Option<&str>, machine_secret_key: Option<&str>) -> ClientConfig {
    ClientConfig {
        secret_key: secret_key.map(Secret::new),
        machine_secret_key: machine_secret_key.map(Secret::new),
        api_url: API_URL.into(),
        user_agent: UA.into(),
        ..ClientConfig::default()
    }
}

/// The headers a BAPI request must carry, in order.
pub fn expected_headers(bearer: Option<&str>) -> Vec<(String, String)> {
    let mut h = vec![
        ("Clerk-API-Version".to_string(), "2026-05-12".to_string()),
        ("User-Agent".to_string(), UA.to_string()),
    ];
    if let Some(key) = bearer {
        h.push(("Authorization".to_string(), format!("Bearer {key}")));
    }
    h.push(("Content-Type".to_string(), "application/json".to_string()));
    h
}

pub fn authorization(request: &HttpRequest) -> Option<String> {
    request
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.clone())
}

pub fn body_json(request: &HttpRequest) -> Value {
    serde_json::from_str(request.body.as_deref().expect("request has a body"))
        .expect("body is JSON")
}

/// The `ApiResponseError` inside an `Error::Api`, or a panic naming what came instead.
pub fn api_err<T: std::fmt::Debug>(r: Result<T, Error>) -> clerk_m2m_core::ApiResponseError {
    match r {
        Err(Error::Api(e)) => e,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

/// The message of an `Error::InvalidArgument`, or a panic naming what came instead.
pub fn invalid<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Err(Error::InvalidArgument { message }) => message,
        other => panic!("expected Error::InvalidArgument, got {other:?}"),
    }
}

/// The message of an `Error::Configuration`, or a panic naming what came instead.
pub fn configuration<T: std::fmt::Debug>(r: Result<T, Error>) -> String {
    match r {
        Err(Error::Configuration { message }) => message,
        other => panic!("expected Error::Configuration, got {other:?}"),
    }
}

/// Whether serde_json's `Map` keeps insertion order in this build (the `preserve_order` feature).
pub fn map_preserves_order() -> bool {
    let mut m = serde_json::Map::new();
    m.insert("b".into(), Value::Null);
    m.insert("a".into(), Value::Null);
    m.keys().next().map(String::as_str) == Some("b")
}
