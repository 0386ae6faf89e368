//! The in-process platform every harness drives the core with: clock, timer, HTTP client and signature
//! verifier, all immediate (or yielding a set number of times), plus the fixture responses they serve.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::OnceLock;

use base64ct::{Base64UrlUnpadded, Encoding};
use clerk_m2m_core::jwks::key::{parse_jwt_key, LocalKeys};
use clerk_m2m_core::ports::{
    Clock, HttpClient, HttpRequest, HttpResponse, RsaAlgorithm, RsaPublicKey, SignatureVerifier,
    Timer, TransportError,
};
use clerk_m2m_core::rust_crypto::RustCryptoVerifier;
use serde_json::{json, Value};

use crate::executor::YieldNow;
use crate::{FIXTURE_KID, FIXTURE_PUBLIC_PEM};

/// What the fake signature verifier answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Valid,
    Invalid,
    Throws,
    /// The real RSA check (the core's `rust-crypto` verifier).
    Real,
}

/// Clock, timer, HTTP client and signature verifier, all in-process and immediate.
pub(crate) struct Fake {
    pub(crate) now: Cell<u64>,
    /// Added to the clock after every reading (0: frozen).
    pub(crate) tick_ms: u64,
    pub(crate) verdict: Verdict,
    /// Scripted responses to `GET …/jwks`; when exhausted, [`Fake::jwks_default`].
    pub(crate) jwks: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
    pub(crate) jwks_default: Result<HttpResponse, TransportError>,
    /// The answer to every other request.
    pub(crate) other: Result<HttpResponse, TransportError>,
    pub(crate) sent: RefCell<Vec<HttpRequest>>,
    /// How often `send` and `sleep` return `Pending` before completing (lets concurrent calls interleave).
    pub(crate) send_yields: u8,
    pub(crate) sleep_yields: u8,
}

impl Fake {
    pub(crate) fn new(now: u64, verdict: Verdict) -> Self {
        Self {
            now: Cell::new(now),
            tick_ms: 0,
            verdict,
            jwks: RefCell::new(VecDeque::new()),
            jwks_default: Ok(json_response(200, &fixture_jwks().to_string())),
            other: Ok(json_response(200, &token_json().to_string())),
            sent: RefCell::new(Vec::new()),
            send_yields: 0,
            sleep_yields: 0,
        }
    }

    /// Whether a request other than the JWKS went out (the Backend API path of `verify`).
    pub(crate) fn sent_to_backend_api(&self) -> bool {
        self.sent.borrow().iter().any(|r| !is_jwks_url(&r.url))
    }

    pub(crate) fn requests(&self) -> Vec<HttpRequest> {
        self.sent.borrow().clone()
    }
}

pub(crate) fn is_jwks_url(url: &str) -> bool {
    url.ends_with("/jwks")
}

impl Clock for Fake {
    fn now_ms(&self) -> u64 {
        let now = self.now.get();
        self.now.set(now.saturating_add(self.tick_ms));
        now
    }
}

/// No cache shared with other isolates.
impl clerk_m2m_core::ports::SharedCache for Fake {}

impl Timer for Fake {
    async fn sleep(&self, ms: u32) {
        YieldNow(self.sleep_yields).await;
        self.now.set(self.now.get().saturating_add(u64::from(ms)));
    }
}

impl HttpClient for Fake {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let jwks = is_jwks_url(&request.url);
        self.sent.borrow_mut().push(request);
        YieldNow(self.send_yields).await;
        if jwks {
            let scripted = self.jwks.borrow_mut().pop_front();
            scripted.unwrap_or_else(|| self.jwks_default.clone())
        } else {
            self.other.clone()
        }
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
        match self.verdict {
            Verdict::Valid => Ok(true),
            Verdict::Invalid => Ok(false),
            Verdict::Throws => Err("fake verifier failure".to_owned()),
            Verdict::Real => real_verify(alg, key, message, signature),
        }
    }
}

pub(crate) fn real_verify(
    alg: RsaAlgorithm,
    key: &RsaPublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, String> {
    RustCryptoVerifier::verify_sync(alg, key, message, signature)
}

pub(crate) fn json_response(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        status_text: String::new(),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: body.to_owned(),
    }
}

/// A Backend API M2M token object (the OpenAPI example's shape).
pub(crate) fn token_json() -> Value {
    json!({
        "object": "machine_to_machine_token",
        "id": "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE",
        "subject": "mch_2vYVtestTESTtestTESTtestTESTtest",
        "scopes": ["mch_1xxxxx"],
        "claims": {"role": "service"},
        "revoked": false,
        "revocation_reason": null,
        "expired": false,
        "expiration": 1_666_648_550_000_i64,
        "created_at": 1_666_648_250_000_i64,
        "updated_at": 1_666_648_250_000_i64,
        "token": "mt_secret"
    })
}

/// The fixture key as a JWK (`kid` [`FIXTURE_KID`]).
pub(crate) fn fixture_jwk() -> Value {
    static JWK: OnceLock<Value> = OnceLock::new();
    JWK.get_or_init(|| {
        let (n, e) = match parse_jwt_key(FIXTURE_PUBLIC_PEM) {
            Ok(LocalKeys::Single(k)) => (k.key.n.clone(), k.key.e.clone()),
            other => panic!("the fixture PEM does not parse: {other:?}"),
        };
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": FIXTURE_KID,
            "n": Base64UrlUnpadded::encode_string(&n),
            "e": Base64UrlUnpadded::encode_string(&e),
        })
    })
    .clone()
}

/// The fixture key in a JWKS, next to an unusable entry and a non-object.
pub(crate) fn fixture_jwks() -> Value {
    json!({ "keys": [fixture_jwk(), {"kty": "EC", "kid": "ins_ec"}, 7] })
}
