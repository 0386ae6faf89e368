//! Shared helpers of the `jwt_*` tests: fixture keys, a JWT signer, and a fake platform (scripted HTTP,
//! request log, manual clock and timer, counting verifier over `RustCryptoVerifier`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod wycheproof;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use base64ct::{Base64UrlUnpadded, Encoding};
use clerk_m2m_core::ports::{
    Clock, HttpClient, HttpRequest, HttpResponse, RsaAlgorithm, RsaPublicKey, SharedCache,
    SignatureVerifier, Timer, TransportError,
};
use clerk_m2m_core::rust_crypto::RustCryptoVerifier;
use clerk_m2m_core::{ClientConfig, Secret};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};
use sha2::{Sha256, Sha384, Sha512};

/// The frozen time of the reference's JWT fixtures, in seconds.
pub const T: u64 = 1_666_648_250;
/// The fixture kid.
pub const KID: &str = "ins_2GIoQhbUpy0hX7B2cVkuTMinXoD";
/// The M2M category.
pub const CAT_M2M: &str = "cl_B7d4PD333AAA";
/// The conformance suite's Backend API URL.
pub const API_URL: &str = "https://api.clerk.test";
/// Its JWKS URL.
pub const JWKS_URL: &str = "https://api.clerk.test/v1/jwks";

pub const RSA1024_KEY: &str = include_str!("../fixtures/rsa1024.key.pem");
pub const RSA1024_PUB: &str = include_str!("../fixtures/rsa1024.pub.pem");
pub const RSA2048_KEY: &str = include_str!("../fixtures/rsa2048.key.pem");
pub const RSA2048_PUB: &str = include_str!("../fixtures/rsa2048.pub.pem");
pub const RSA2048_PKCS1: &str = include_str!("../fixtures/rsa2048.pkcs1.pem");
pub const RSA2048B_KEY: &str = include_str!("../fixtures/rsa2048b.key.pem");
pub const RSA2048B_PUB: &str = include_str!("../fixtures/rsa2048b.pub.pem");
pub const RSA2048E3_KEY: &str = include_str!("../fixtures/rsa2048e3.key.pem");
pub const RSA2048E3_PUB: &str = include_str!("../fixtures/rsa2048e3.pub.pem");
pub const RSA3072_KEY: &str = include_str!("../fixtures/rsa3072.key.pem");
pub const RSA3072_PUB: &str = include_str!("../fixtures/rsa3072.pub.pem");
pub const RSA4096_KEY: &str = include_str!("../fixtures/rsa4096.key.pem");
pub const RSA4096_PUB: &str = include_str!("../fixtures/rsa4096.pub.pem");

pub fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

/// Signs JWTs with a fixture private key.
#[derive(Clone)]
pub struct JwtSigner {
    key: rsa::RsaPrivateKey,
}

impl JwtSigner {
    pub fn from_pem(pem: &str) -> Self {
        Self {
            key: rsa::RsaPrivateKey::from_pkcs8_pem(pem).unwrap(),
        }
    }

    pub fn rsa2048() -> Self {
        Self::from_pem(RSA2048_KEY)
    }

    pub fn public(&self) -> RsaPublicKey {
        let public = self.key.to_public_key();
        RsaPublicKey {
            n: public.n().to_bytes_be(),
            e: public.e().to_bytes_be(),
        }
    }

    /// The public key as a JWK with `kid` and optional `alg`.
    pub fn jwk(&self, kid: &str, alg: Option<&str>) -> Value {
        let public = self.public();
        let mut jwk = json!({"use": "sig", "kty": "RSA", "kid": kid, "n": b64(&public.n), "e": b64(&public.e)});
        if let Some(alg) = alg {
            jwk["alg"] = json!(alg);
        }
        jwk
    }

    pub fn sign_bytes(&self, alg: &str, message: &[u8]) -> Vec<u8> {
        let key = self.key.clone();
        match alg {
            "RS384" => SigningKey::<Sha384>::new(key).sign(message).to_vec(),
            "RS512" => SigningKey::<Sha512>::new(key).sign(message).to_vec(),
            _ => SigningKey::<Sha256>::new(key).sign(message).to_vec(),
        }
    }

    /// A JWT with exactly this header and payload, signed with the header's `alg` (RS256 when it is not
    /// an RS* value).
    pub fn sign(&self, header: &Value, payload: &Value) -> String {
        self.sign_raw(header, payload.to_string().as_bytes())
    }

    /// A JWT whose payload segment is exactly these bytes (duplicate keys, odd spacing, ...).
    pub fn sign_raw(&self, header: &Value, payload: &[u8]) -> String {
        let signed = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload));
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("RS256");
        let sig = self.sign_bytes(alg, signed.as_bytes());
        format!("{signed}.{}", b64(&sig))
    }
}

/// The fixture header `{typ:'JWT', kid, alg:'RS256'}` plus `cat` when given.
pub fn header(cat: Option<&str>) -> Value {
    let mut h = json!({"alg": "RS256", "typ": "JWT", "kid": KID});
    if let Some(cat) = cat {
        h["cat"] = json!(cat);
    }
    h
}

/// The reference's `M2M_PAYLOAD` (§7 conventions).
pub fn m2m_payload() -> Value {
    json!({
        "iss": "https://clerk.m2m.example.test",
        "sub": "mch_2vYVtestTESTtestTESTtestTESTtest",
        "aud": ["mch_1xxxxx", "mch_2xxxxx"],
        "exp": T + 300,
        "iat": T,
        "nbf": T - 10,
        "jti": "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE",
        "scopes": "mch_1xxxxx mch_2xxxxx",
    })
}

/// A JWKS response body with these JWKs.
pub fn jwks_body(keys: &[Value]) -> String {
    json!({ "keys": keys }).to_string()
}

pub fn ok_json(body: impl Into<String>) -> HttpResponse {
    response(200, body)
}

pub fn response(status: u16, body: impl Into<String>) -> HttpResponse {
    HttpResponse {
        status,
        status_text: String::new(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.into(),
    }
}

/// What the fake transport does with one request.
pub enum Reply {
    Now(Result<HttpResponse, TransportError>),
    /// Never answers.
    Hang,
}

impl From<HttpResponse> for Reply {
    fn from(r: HttpResponse) -> Self {
        Reply::Now(Ok(r))
    }
}

type Responder = Box<dyn FnMut(&HttpRequest, usize) -> Reply>;

/// An in-process platform: scripted HTTP, a manual clock, and a counting RSA verifier.
pub struct Fake {
    pub now: Cell<u64>,
    pub requests: RefCell<Vec<HttpRequest>>,
    responder: RefCell<Responder>,
    /// Sleeps requested (ms), in order.
    pub sleeps: RefCell<Vec<u32>>,
    /// When set, `sleep` waits for the clock to be advanced by the test instead of advancing it itself.
    pub manual_time: Cell<bool>,
    timers: RefCell<Vec<(u64, Waker)>>,
    /// When set, `send` yields once before answering, so concurrent callers interleave.
    pub send_yields: Cell<bool>,
    pub verifier_calls: Cell<usize>,
    /// When set, the verifier fails with this message (a key import error, E10).
    pub verifier_error: RefCell<Option<String>>,
    /// The cache shared with other isolates, when the test gives one.
    pub shared: RefCell<Option<Rc<SharedStore>>>,
}

/// A cache shared between isolates (in a test: between `jwks::cache::clear()`s of the per-isolate cache).
#[derive(Default)]
pub struct SharedStore {
    pub entries: RefCell<HashMap<String, String>>,
    pub gets: Cell<usize>,
    /// Keys and max-ages of every write, in order.
    pub puts: RefCell<Vec<(String, u32)>>,
    /// When set, every read and write fails (as a Cache API that throws).
    pub failing: Cell<bool>,
}

impl SharedCache for Fake {
    fn has_shared_cache(&self) -> bool {
        self.shared.borrow().is_some()
    }

    async fn shared_get(&self, key: &str) -> Option<String> {
        let store = self.shared.borrow().clone()?;
        store.gets.set(store.gets.get() + 1);
        yield_now().await;
        if store.failing.get() {
            return None;
        }
        let found = store.entries.borrow().get(key).cloned();
        found
    }

    async fn shared_put(&self, key: &str, value: String, max_age_secs: u32) {
        let Some(store) = self.shared.borrow().clone() else {
            return;
        };
        if store.failing.get() {
            return;
        }
        store.puts.borrow_mut().push((key.to_owned(), max_age_secs));
        store.entries.borrow_mut().insert(key.to_owned(), value);
    }
}

impl Fake {
    pub fn new() -> Self {
        Self::with_responder(|_, _| {
            Reply::Now(Err(TransportError::Network {
                message: "no route".into(),
            }))
        })
    }

    pub fn with_responder(responder: impl FnMut(&HttpRequest, usize) -> Reply + 'static) -> Self {
        Self {
            now: Cell::new(T * 1000),
            requests: RefCell::new(Vec::new()),
            responder: RefCell::new(Box::new(responder)),
            sleeps: RefCell::new(Vec::new()),
            manual_time: Cell::new(false),
            timers: RefCell::new(Vec::new()),
            send_yields: Cell::new(false),
            verifier_calls: Cell::new(0),
            verifier_error: RefCell::new(None),
            shared: RefCell::new(None),
        }
    }

    /// Serves this JWKS body at every URL.
    pub fn serving(body: String) -> Self {
        Self::with_responder(move |_, _| ok_json(body.clone()).into())
    }

    pub fn set_responder(&self, responder: impl FnMut(&HttpRequest, usize) -> Reply + 'static) {
        *self.responder.borrow_mut() = Box::new(responder);
    }

    pub fn request_count(&self) -> usize {
        self.requests.borrow().len()
    }

    pub fn urls(&self) -> Vec<String> {
        self.requests
            .borrow()
            .iter()
            .map(|r| r.url.clone())
            .collect()
    }

    /// Moves the clock to the earliest pending timer and wakes it; `false` when no timer is pending.
    pub fn advance_to_next_timer(&self) -> bool {
        let next = self.timers.borrow().iter().map(|(at, _)| *at).min();
        match next {
            Some(at) => {
                let now = self.now.get();
                self.advance(at.saturating_sub(now));
                true
            }
            None => false,
        }
    }

    pub fn advance(&self, ms: u64) {
        self.now.set(self.now.get() + ms);
        let now = self.now.get();
        let due: Vec<Waker> = {
            let mut timers = self.timers.borrow_mut();
            let (due, rest): (Vec<_>, Vec<_>) = timers.drain(..).partition(|(at, _)| *at <= now);
            *timers = rest;
            due.into_iter().map(|(_, w)| w).collect()
        };
        for w in due {
            w.wake();
        }
    }
}

impl Default for Fake {
    fn default() -> Self {
        Self::new()
    }
}

/// Returns `Pending` once (waking itself), then `Ready`.
pub async fn yield_now() {
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
    .await
}

impl HttpClient for Fake {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let index = {
            let mut requests = self.requests.borrow_mut();
            requests.push(request.clone());
            requests.len() - 1
        };
        let reply = (self.responder.borrow_mut())(&request, index);
        if self.send_yields.get() {
            yield_now().await;
        }
        match reply {
            Reply::Now(r) => r,
            Reply::Hang => std::future::pending().await,
        }
    }
}

impl Clock for Fake {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
}

impl Timer for Fake {
    async fn sleep(&self, ms: u32) {
        self.sleeps.borrow_mut().push(ms);
        let deadline = self.now.get() + u64::from(ms);
        if !self.manual_time.get() {
            self.advance(u64::from(ms));
            return;
        }
        poll_fn(|cx| {
            if self.now.get() >= deadline {
                return Poll::Ready(());
            }
            self.timers
                .borrow_mut()
                .push((deadline, cx.waker().clone()));
            Poll::Pending
        })
        .await
    }
}

impl SignatureVerifier for Fake {
    async fn verify_rsa(
        &self,
        alg: RsaAlgorithm,
        key: &RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        self.verifier_calls.set(self.verifier_calls.get() + 1);
        if let Some(e) = self.verifier_error.borrow().clone() {
            return Err(e);
        }
        RustCryptoVerifier
            .verify_rsa(alg, key, message, signature)
            .await
    }
}

/// A client with only a `jwtKey`.
pub fn jwt_key_config(jwt_key: &str) -> ClientConfig {
    ClientConfig {
        jwt_key: Some(Secret::new(jwt_key)),
        api_url: API_URL.into(),
        ..ClientConfig::default()
    }
}

/// A client with only an instance secret key.
pub fn secret_key_config(secret_key: &str) -> ClientConfig {
    ClientConfig {
        secret_key: Some(Secret::new(secret_key)),
        api_url: API_URL.into(),
        ..ClientConfig::default()
    }
}

pub fn block_on<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs `f` on virtual time (set `fake.manual_time`): the clock moves, to the next timer, only when
/// nothing else can make progress, like a paused tokio clock.
pub fn block_on_virtual<F: Future>(fake: &Fake, f: F) -> F::Output {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        if flag.0.swap(false, Ordering::SeqCst) {
            continue;
        }
        assert!(
            fake.advance_to_next_timer(),
            "deadlock: every task waits and no timer is pending"
        );
    }
}

/// Runs `f` and returns `(code, message)` of its verification error.
pub fn err_of<T: std::fmt::Debug>(r: Result<T, clerk_m2m_core::Error>) -> (String, String) {
    let e = r.expect_err("expected an error");
    (e.code().to_owned(), e.to_string())
}
