//! Fuzzing harnesses (feature `fuzzing`, not part of the public API).
//!
//! One function per cargo-fuzz target of `fuzz/fuzz_targets/`; `tests/fuzz_corpus_replay.rs` runs the same
//! functions over the kept corpus (`fuzz/corpus/<target>/`) and the fixed crash inputs
//! (`fuzz/regressions/<target>/`), so the logic exists once. Every harness takes raw bytes, drives the core
//! with in-process fakes (clock, timer, HTTP, signature verifier), and panics only when the core panics or
//! one of the invariants asserted here breaks. See `docs/reliability-fuzzing.md`.
#![allow(clippy::panic)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::sync::OnceLock;
use std::task::{Context, Poll, Waker};

use arbitrary::Unstructured;
use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use serde_json::{json, Map, Value};

use crate::config::{ClientConfig, Secret};
use crate::error::Error;
use crate::jwks::key::{
    parse_jwk, parse_jwks, parse_jwt_key, rsa_key, LocalKeys, MAX_RSA_BITS, MIN_RSA_BITS,
};
use crate::jwt::{JwtOptions, VerifyCallOptions};
use crate::machine;
use crate::params::{CreateParams, ListParams, RevokeParams, VerifyParams};
use crate::ports::{
    Clock, HttpClient, HttpRequest, HttpResponse, Method, RsaAlgorithm, RsaPublicKey,
    SignatureVerifier, Timer, TransportError,
};
use crate::retry::{decide, Decision, Outcome, RetryPolicy};
use crate::token::M2mToken;
use crate::wire;

/// A harness: runs the core on one input; panics only on a bug.
pub type Harness = fn(&[u8]);

/// The fuzz targets: `(name, harness)`. The names are the directories of `fuzz/corpus/` and
/// `fuzz/regressions/` and the binaries of `fuzz/fuzz_targets/`.
pub const TARGETS: [(&str, Harness); 5] = [
    ("token_parse", token_parse),
    ("jwt_verify", jwt_verify),
    ("jwks_parse", jwks_parse),
    ("bapi_decode", bapi_decode),
    ("params", params),
];

/// The fixed `jwtKey` of [`jwt_verify`]: the 2048-bit test key of `tests/fixtures/`.
pub const FIXTURE_PUBLIC_PEM: &str = include_str!("../tests/fixtures/rsa2048.pub.pem");

/// The `kid` of the fixture key in the JWKS forms of [`jwt_verify`].
pub const FIXTURE_KID: &str = "ins_fuzz";

/// The reference's example time (`2022-10-24T21:50:50Z`), the default fake clock.
pub const REFERENCE_NOW_MS: u64 = 1_666_648_250_000;

// ---------------------------------------------------------------------------------------------------------
// A single-threaded executor and the fakes

/// Runs a future whose awaits all resolve without outside help (every fake here is immediate). A future
/// still pending after many polls is a hang, reported as a panic so the fuzzer keeps the input.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!(
        "future still pending after 10000 polls: the core waits on something that never happens"
    );
}

/// With `CLERK_FUZZ_DEBUG` set, prints what a harness saw and decided (to look at corpus entries).
fn debug(what: impl FnOnce() -> String) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("CLERK_FUZZ_DEBUG").is_some()) {
        eprintln!("{}", what());
    }
}

/// What the fake signature verifier answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Valid,
    Invalid,
    Throws,
    /// The real RSA check (feature `rust-crypto`; without it, `Valid`).
    Real,
}

/// Clock, timer, HTTP client and signature verifier, all in-process and immediate.
struct Fake {
    now: Cell<u64>,
    /// Added to the clock after every reading (0: frozen).
    tick_ms: u64,
    verdict: Verdict,
    /// Scripted responses to `GET …/jwks`; when exhausted, [`Fake::jwks_default`].
    jwks: RefCell<VecDeque<Result<HttpResponse, TransportError>>>,
    jwks_default: Result<HttpResponse, TransportError>,
    /// The answer to every other request.
    other: Result<HttpResponse, TransportError>,
    sent: RefCell<Vec<HttpRequest>>,
    /// How often `send` and `sleep` return `Pending` before completing (lets concurrent calls interleave).
    send_yields: u8,
    sleep_yields: u8,
}

/// Returns `Pending` `n` times (waking itself each time), then completes.
struct YieldNow(u8);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Polls `a` and `b` in turn until both are done; `b` is dropped unfinished after `drop_b_after` polls
/// (a caller that went away mid-verification). A pair still pending after many polls is a hang.
fn join_or_drop<A: Future, B: Future>(
    a: A,
    b: B,
    drop_b_after: Option<u32>,
) -> (A::Output, Option<B::Output>) {
    let mut a = pin!(a);
    let mut b = Some(Box::pin(b));
    let mut cx = Context::from_waker(Waker::noop());
    let (mut out_a, mut out_b) = (None, None);
    for poll in 0..10_000u32 {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(&mut cx) {
                out_a = Some(v);
            }
        }
        if let Some(fut) = b.as_mut() {
            if drop_b_after.is_some_and(|n| poll >= n) {
                b = None;
            } else if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                out_b = Some(v);
                b = None;
            }
        }
        if b.is_none() {
            if let Some(v) = out_a.take() {
                return (v, out_b);
            }
        }
    }
    panic!("two concurrent calls still pending after 10000 polls: a hang");
}

impl Fake {
    fn new(now: u64, verdict: Verdict) -> Self {
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
    fn sent_to_backend_api(&self) -> bool {
        self.sent.borrow().iter().any(|r| !is_jwks_url(&r.url))
    }

    fn requests(&self) -> Vec<HttpRequest> {
        self.sent.borrow().clone()
    }
}

fn is_jwks_url(url: &str) -> bool {
    url.ends_with("/jwks")
}

impl Clock for Fake {
    fn now_ms(&self) -> u64 {
        let now = self.now.get();
        self.now.set(now.saturating_add(self.tick_ms));
        now
    }
}

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

#[cfg(feature = "rust-crypto")]
fn real_verify(
    alg: RsaAlgorithm,
    key: &RsaPublicKey,
    message: &[u8],
    signature: &[u8],
) -> Result<bool, String> {
    crate::rust_crypto::RustCryptoVerifier::verify_sync(alg, key, message, signature)
}

#[cfg(not(feature = "rust-crypto"))]
fn real_verify(_: RsaAlgorithm, _: &RsaPublicKey, _: &[u8], _: &[u8]) -> Result<bool, String> {
    Ok(true)
}

fn json_response(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        status_text: String::new(),
        headers: vec![("content-type".to_owned(), "application/json".to_owned())],
        body: body.to_owned(),
    }
}

/// A Backend API M2M token object (the OpenAPI example's shape).
fn token_json() -> Value {
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
fn fixture_jwk() -> Value {
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
fn fixture_jwks() -> Value {
    json!({ "keys": [fixture_jwk(), {"kty": "EC", "kid": "ins_ec"}, 7] })
}

/// The secret keys the harnesses configure: no error message may show them.
const SECRETS: [&str; 2] = ["sk_test_fuzz_secret", "ak_fuzz_machine"];

thread_local! {
    /// Whether the current input itself contains one of [`SECRETS`] (then a message may legitimately
    /// quote it, e.g. a server message or a kid taken from the input).
    static INPUT_HAS_SECRET: Cell<bool> = const { Cell::new(false) };
}

fn start(data: &[u8]) {
    let has = SECRETS
        .iter()
        .any(|s| data.windows(s.len()).any(|w| w == s.as_bytes()));
    INPUT_HAS_SECRET.with(|c| c.set(has));
}

/// Common checks on any error: formatting never panics and never shows a configured secret.
fn check_error(e: &Error) {
    let text = e.to_string();
    let _ = (e.kind(), e.code(), format!("{e:?}"));
    if let Error::Verification(v) = e {
        let _ = v.full_message();
    }
    if !INPUT_HAS_SECRET.with(Cell::get) {
        assert!(
            !SECRETS
                .iter()
                .any(|s| text.contains(s) || format!("{e:?}").contains(s)),
            "an error shows a secret key: {text}"
        );
    }
}

fn check_token(t: &M2mToken) {
    let public = t.to_public_json();
    let mut out = String::new();
    wire::write_json(&public, &mut out);
    assert!(
        serde_json::from_str::<Value>(&out).is_ok(),
        "write_json produced invalid JSON: {out}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// token_parse

/// Token classification (`machine`): `is_jwt_format`, `decode_jwt`, `is_m2m_jwt`, `is_oauth_jwt`,
/// `machine_token_type`, `is_machine_token`, on the input as lossy UTF-8 (and, when it is valid UTF-8,
/// unchanged), with the invariants that tie them together.
pub fn token_parse(data: &[u8]) {
    start(data);
    let lossy = String::from_utf8_lossy(data);
    classify(&lossy);
    // The same bytes as the three segments of a JWT, so the decoder sees arbitrary JSON-ish content.
    let parts: Vec<&[u8]> = data.splitn(3, |b| *b == 0xff).collect();
    if let [h, p, s] = parts.as_slice() {
        let jwt = format!(
            "{}.{}.{}",
            Base64UrlUnpadded::encode_string(h),
            Base64UrlUnpadded::encode_string(p),
            Base64UrlUnpadded::encode_string(s)
        );
        classify(&jwt);
    }
}

fn classify(token: &str) {
    if let Some(t) = crate::authenticate::token_from_header(Some(token)) {
        assert!(
            !t.is_empty() && token.contains(t),
            "token_from_header invented a token"
        );
    }
    let format = machine::is_jwt_format(token);
    let decoded = machine::decode_jwt(token);
    let m2m = machine::is_m2m_jwt(token);
    let oauth = machine::is_oauth_jwt(token);
    let kind = machine::machine_token_type(token);
    let by_prefix = machine::is_machine_token_by_prefix(token);
    let machine_token = machine::is_machine_token(token);

    match &decoded {
        Ok(jwt) => {
            assert!(
                token.starts_with(jwt.signed_data)
                    && token
                        .get(jwt.signed_data.len()..)
                        .is_some_and(|rest| rest.starts_with('.')),
                "signed_data is not the token's first two segments"
            );
            assert_eq!(
                token.matches('.').count(),
                2,
                "decoded a token without exactly three parts"
            );
        }
        Err(e) => {
            assert_eq!(e.code, crate::error::VerificationErrorCode::TokenInvalid);
            assert!(
                e.message == machine::MSG_JWT_FORM_PARTS
                    || e.message == machine::MSG_JWT_FORM_DECODE,
                "unexpected decode message {:?}",
                e.message
            );
        }
    }
    if m2m || oauth {
        assert!(
            format && decoded.is_ok(),
            "an M2M/OAuth JWT that is not a decodable JWT"
        );
    }
    if m2m {
        assert_eq!(
            kind,
            Some(machine::TokenType::M2mToken),
            "an M2M JWT not typed m2m_token"
        );
    }
    if token.starts_with(machine::M2M_TOKEN_PREFIX) {
        assert_eq!(kind, Some(machine::TokenType::M2mToken));
    }
    assert_eq!(machine_token, by_prefix || kind.is_some());
    if let Some(k) = kind {
        let _ = k.as_str();
    }
}

// ---------------------------------------------------------------------------------------------------------
// jwt_verify

/// Numbers as JSON text, including the ones no `f64` round-trips (`-0`, `1e309`, 20-digit integers).
const NUMBER_LITERALS: [&str; 34] = [
    "0",
    "-0",
    "0.0",
    "-0.0",
    "1",
    "-1",
    "1.5",
    "-1.5",
    "0.999",
    "1E3",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "1e309",
    "-1e400",
    "5e-324",
    "2.2250738585072014e-308",
    "1e21",
    "1e-7",
    "4294967296",
    "8640000000000",
    "8640000000001",
    "8640000000000.5",
    "-8640000000000",
    "-8640000000001",
    "9007199254740991",
    "9007199254740993",
    "-9007199254740993",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
];

/// Strings worth reusing (prefixes, algorithms, categories, kids, separators).
const STRINGS: [&str; 20] = [
    "",
    "mch_1",
    "mch_2vYVtestTESTtestTESTtestTESTtest",
    "mch_",
    "MCH_1",
    "user_1",
    "mt_1",
    "a b",
    "a  b",
    " ",
    "JWT",
    "at+jwt",
    "RS256",
    "none",
    "cl_B7d4PD333AAA",
    "cl_B7d4PD111AAA",
    FIXTURE_KID,
    "undefined",
    "null",
    "\u{0}\"\\\u{7f}\u{2028}é😀",
];

/// `num` in `den` odds; `false` once the input is used up (where `Unstructured::ratio` says `true`).
fn chance(u: &mut Unstructured<'_>, num: u8, den: u8) -> bool {
    !u.is_empty() && u.ratio(num, den).unwrap_or(false)
}

fn any_string(u: &mut Unstructured<'_>) -> String {
    if !chance(u, 1, 4) {
        let s = u.choose(&STRINGS).copied().unwrap_or("");
        s.to_owned()
    } else {
        let len = u.int_in_range(0..=24).unwrap_or(0);
        let bytes = u.bytes(len).unwrap_or_default();
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// A JSON number literal: from [`NUMBER_LITERALS`], an arbitrary integer, or an arbitrary finite float.
fn number_literal(u: &mut Unstructured<'_>) -> String {
    match u.int_in_range(0..=3).unwrap_or(0) {
        0 | 1 => u
            .choose(&NUMBER_LITERALS)
            .copied()
            .unwrap_or("0")
            .to_owned(),
        2 => u.arbitrary::<i64>().unwrap_or(0).to_string(),
        _ => {
            let f = f64::from_bits(u.arbitrary::<u64>().unwrap_or(0));
            if f.is_finite() {
                format!("{f:?}")
            } else {
                "0".to_owned()
            }
        }
    }
}

/// A time claim in seconds near `now_ms` (whole or fractional), or an extreme number.
fn time_literal(u: &mut Unstructured<'_>, now_ms: u64) -> String {
    const DELTAS: [i64; 12] = [-86_400, -3600, -60, -6, -5, -1, 0, 1, 4, 5, 6, 300];
    if chance(u, 1, 3) {
        return number_literal(u);
    }
    let now_s = i64::try_from(now_ms / 1000).unwrap_or(i64::MAX);
    let delta = u.choose(&DELTAS).copied().unwrap_or(0);
    let s = now_s.saturating_add(delta);
    match u.int_in_range(0..=3).unwrap_or(0) {
        0 => format!("{s}.9"),
        1 => format!("{s}.0"),
        2 => format!("{s}e0"),
        _ => s.to_string(),
    }
}

/// Appends an arbitrary JSON value of every type (depth-limited).
fn write_value(u: &mut Unstructured<'_>, depth: u32, out: &mut String) {
    let max = if depth >= 3 { 4 } else { 6 };
    match u.int_in_range(0..=max).unwrap_or(0) {
        0 => out.push_str("null"),
        1 => out.push_str(if u.arbitrary().unwrap_or(false) {
            "true"
        } else {
            "false"
        }),
        2 | 3 => out.push_str(&number_literal(u)),
        4 => write_string_literal(&any_string(u), out),
        5 => {
            out.push('[');
            let n = u.int_in_range(0..=4).unwrap_or(0);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                write_value(u, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            let n = u.int_in_range(0..=4).unwrap_or(0);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                write_string_literal(&any_string(u), out);
                out.push(':');
                write_value(u, depth + 1, out);
            }
            out.push('}');
        }
    }
}

fn write_string_literal(s: &str, out: &mut String) {
    out.push_str(&Value::from(s).to_string());
}

/// One member of a claims/header object: absent, a typical value (`typical` appends it), or any value.
fn member(
    u: &mut Unstructured<'_>,
    name: &str,
    out: &mut Vec<String>,
    typical: impl FnOnce(&mut Unstructured<'_>, &mut String),
) {
    let mut text = String::new();
    write_string_literal(name, &mut text);
    text.push(':');
    match u.int_in_range(0..=5).unwrap_or(0) {
        0 => return,
        1 => write_value(u, 0, &mut text),
        _ => typical(u, &mut text),
    }
    out.push(text);
}

fn object_text(mut members: Vec<String>, u: &mut Unstructured<'_>) -> String {
    // Occasionally a duplicate key (serde_json keeps the last one, as JSON.parse does).
    if chance(u, 1, 16) {
        if let Some(first) = members.first().cloned() {
            members.push(first);
        }
    }
    format!("{{{}}}", members.join(","))
}

fn pick(u: &mut Unstructured<'_>, choices: &[&str], out: &mut String) {
    let s = u.choose(choices).copied().unwrap_or("");
    write_string_literal(s, out);
}

fn header_text(u: &mut Unstructured<'_>) -> String {
    let mut m = Vec::new();
    member(u, "alg", &mut m, |u, out| {
        pick(
            u,
            &["RS256", "RS256", "RS384", "RS512", "none", "HS256", "rs256"],
            out,
        )
    });
    member(u, "typ", &mut m, |u, out| {
        pick(u, &["JWT", "at+jwt", "jwt", ""], out)
    });
    member(u, "cat", &mut m, |u, out| {
        pick(
            u,
            &[
                machine::JWT_CATEGORY_M2M,
                machine::JWT_CATEGORY_SESSION,
                machine::JWT_CATEGORY_IGNORE,
            ],
            out,
        )
    });
    member(u, "kid", &mut m, |u, out| {
        pick(
            u,
            &[
                FIXTURE_KID,
                FIXTURE_KID,
                "ins_ec",
                "ins_other",
                "7",
                "undefined",
            ],
            out,
        )
    });
    if chance(u, 1, 8) {
        member(u, "x5t", &mut m, |u, out| write_value(u, 0, out));
    }
    object_text(m, u)
}

fn payload_text(u: &mut Unstructured<'_>, now_ms: u64) -> String {
    let mut m = Vec::new();
    member(u, "sub", &mut m, |u, out| {
        pick(
            u,
            &["mch_1", "mch_2vYVtestTESTtestTESTtestTESTtest", "mch_"],
            out,
        )
    });
    for claim in ["exp", "nbf", "iat"] {
        member(u, claim, &mut m, |u, out| {
            out.push_str(&time_literal(u, now_ms))
        });
    }
    member(u, "aud", &mut m, |u, out| {
        if u.arbitrary().unwrap_or(false) {
            pick(u, &["mch_aud", "", "mch_other"], out);
        } else {
            out.push('[');
            let n = u.int_in_range(0..=3).unwrap_or(0);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                if !chance(u, 1, 5) {
                    pick(u, &["mch_aud", "", "mch_other"], out);
                } else {
                    write_value(u, 1, out);
                }
            }
            out.push(']');
        }
    });
    member(u, "scopes", &mut m, |u, out| {
        write_string_literal(&any_string(u), out)
    });
    member(u, "jti", &mut m, |u, out| {
        pick(u, &["mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE", ""], out)
    });
    member(u, "iss", &mut m, |u, out| {
        pick(u, &["https://clerk.m2m.example.test"], out)
    });
    let custom = u.int_in_range(0..=3).unwrap_or(0);
    for i in 0..custom {
        member(u, &format!("claim{i}"), &mut m, |u, out| {
            write_value(u, 0, out)
        });
    }
    object_text(m, u)
}

/// Base64url of a segment, sometimes with the `=` padding the loose decoder tolerates (or too much of it).
fn segment(u: &mut Unstructured<'_>, bytes: &[u8]) -> String {
    let mut s = Base64UrlUnpadded::encode_string(bytes);
    if chance(u, 1, 16) {
        let pad = u.int_in_range(1..=3).unwrap_or(1);
        s.push_str(&"=".repeat(pad));
    }
    s
}

/// A token built from fuzz data: header and payload JSON with claim values of every type and extreme
/// numbers, and a signature as long as the 2048-bit key's modulus (so the verifier is reached) or not.
fn structured_token(u: &mut Unstructured<'_>, now_ms: u64) -> String {
    let header = header_text(u);
    let payload = payload_text(u, now_ms);
    let sig_len = if !chance(u, 1, 8) {
        256
    } else {
        u.int_in_range(0..=520).unwrap_or(0)
    };
    debug(|| format!("jwt_verify structured header={header} payload={payload}"));
    let header = segment(u, header.as_bytes());
    let payload = segment(u, payload.as_bytes());
    // The signature bytes come last: only the real RSA check looks at them.
    let mut signature = u.bytes(sig_len.min(u.len())).unwrap_or_default().to_vec();
    signature.resize(sig_len, 0xA5);
    let signature = segment(u, &signature);
    format!("{header}.{payload}.{signature}")
}

fn clock(u: &mut Unstructured<'_>) -> u64 {
    const CLOCKS: [u64; 9] = [
        REFERENCE_NOW_MS,
        REFERENCE_NOW_MS,
        REFERENCE_NOW_MS,
        0,
        1,
        8_640_000_000_000_000,
        8_640_000_000_000_001,
        i64::MAX as u64,
        u64::MAX,
    ];
    if chance(u, 1, 8) {
        u.arbitrary().unwrap_or(REFERENCE_NOW_MS)
    } else {
        u.choose(&CLOCKS).copied().unwrap_or(REFERENCE_NOW_MS)
    }
}

/// Options of local verification (client level or per call) as JSON, all keys optional.
fn jwt_options_json(u: &mut Unstructured<'_>, per_call: bool) -> Value {
    let mut text = Vec::new();
    member(u, "clockSkewInMs", &mut text, |u, out| {
        out.push_str(&number_literal(u))
    });
    member(u, "audience", &mut text, |u, out| {
        if u.arbitrary().unwrap_or(false) {
            pick(u, &["mch_aud", "", "mch_none"], out);
        } else {
            out.push_str(r#"["mch_aud",""]"#);
        }
    });
    if per_call {
        member(u, "skipJwksCache", &mut text, |u, out| {
            out.push_str(if u.arbitrary().unwrap_or(false) {
                "true"
            } else {
                "false"
            })
        });
    } else {
        for key in [
            "jwksCacheTtlMs",
            "jwksCooldownMs",
            "jwksTimeoutMs",
            "jwksStaleIfErrorMs",
            "verifiedTokenCacheSize",
        ] {
            member(u, key, &mut text, |u, out| out.push_str(&number_literal(u)));
        }
    }
    let object = format!("{{{}}}", text.join(","));
    serde_json::from_str(&object).unwrap_or(Value::Null)
}

/// One scripted JWKS response: a status, a body and maybe `Retry-After`, or a transport failure.
fn jwks_response(u: &mut Unstructured<'_>) -> Result<HttpResponse, TransportError> {
    match u.int_in_range(0..=9).unwrap_or(0) {
        0 => {
            let message = u
                .choose(&["fetch failed", "", "connection reset"])
                .copied()
                .unwrap_or("");
            return Err(TransportError::Network {
                message: message.to_owned(),
            });
        }
        1 => {
            return Err(TransportError::Timeout {
                after_ms: u.arbitrary().unwrap_or(0),
            })
        }
        2 => return Err(TransportError::Aborted),
        _ => {}
    }
    let status = match u.int_in_range(0..=9).unwrap_or(0) {
        0..=3 => 200,
        4 => 401,
        5 => 403,
        6 => 429,
        7 => 503,
        _ => u.arbitrary().unwrap_or(500),
    };
    let body = match u.int_in_range(0..=5).unwrap_or(0) {
        0 | 1 => fixture_jwks().to_string(),
        2 => r#"{"keys":[]}"#.to_owned(),
        3 => {
            r#"{"errors":[{"code":"clerk_key_invalid","message":"Invalid secret key"}]}"#.to_owned()
        }
        _ => {
            let mut out = String::new();
            write_value(u, 0, &mut out);
            out
        }
    };
    let mut response = json_response(status, &body);
    if u.arbitrary().unwrap_or(false) {
        let value = match u.int_in_range(0..=4).unwrap_or(0) {
            0 => "0".to_owned(),
            1 => "1".to_owned(),
            2 => "4294967295".to_owned(),
            3 => "99999999999".to_owned(),
            _ => any_string(u),
        };
        response.headers.push(("retry-after".to_owned(), value));
    }
    Ok(response)
}

/// The whole local verification pipeline through [`crate::verify::verify`] (routing, `cat`, key resolution
/// from a fixed `jwtKey` or a scripted JWKS endpoint, `typ`, `alg`, signature, claims, result mapping,
/// verified-token cache), with a fake clock and a fake signature verifier.
///
/// Layout: byte 0 is a flag set (bits 0–1 the verifier's answer: valid, invalid, throws, real RSA;
/// bits 2–3 the key source: PEM, JWKS text, single JWK, `secretKey` + JWKS endpoint; bit 4 a structured
/// token built from the rest, else the rest is the token text; bit 5 verify twice; bit 6 per-call options;
/// bit 7 client options). Then the clock, the options and the token are read from the rest.
pub fn jwt_verify(data: &[u8]) {
    start(data);
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let mut u = Unstructured::new(rest);
    let verdict = match flags & 3 {
        0 => Verdict::Valid,
        1 => Verdict::Invalid,
        2 => Verdict::Throws,
        _ => Verdict::Real,
    };
    let now = clock(&mut u);
    let mut fake = Fake::new(now, verdict);
    if chance(&mut u, 1, 8) {
        fake.tick_ms = u.int_in_range(1..=10_000).unwrap_or(1);
    }

    let mut config = ClientConfig {
        api_url: "https://api.clerk.test".to_owned(),
        secret_key: Some(Secret::new("sk_test_fuzz_secret")),
        ..ClientConfig::default()
    };
    config.jwt_key = match (flags >> 2) & 3 {
        0 => Some(Secret::new(FIXTURE_PUBLIC_PEM)),
        1 => Some(Secret::new(fixture_jwks().to_string())),
        2 => Some(Secret::new(fixture_jwk().to_string())),
        _ => None,
    };
    let client_options = if flags & 0x80 != 0 {
        jwt_options_json(&mut u, false)
    } else {
        Value::Null
    };
    let call_options = if flags & 0x40 != 0 {
        jwt_options_json(&mut u, true)
    } else {
        Value::Null
    };
    if config.jwt_key.is_none() {
        let n = u.int_in_range(0..=3).unwrap_or(0);
        let mut script = VecDeque::new();
        for _ in 0..n {
            script.push_back(jwks_response(&mut u));
        }
        *fake.jwks.borrow_mut() = script;
    }
    // With the JWKS endpoint: maybe a second, concurrent verification of the same token (single-flight
    // fetches, bounded waits, a caller dropped mid-fetch).
    let concurrent = if config.jwt_key.is_none() && chance(&mut u, 1, 2) {
        fake.send_yields = u.int_in_range(0..=3).unwrap_or(0);
        fake.sleep_yields = u.int_in_range(0..=3).unwrap_or(0);
        let drop_after = if chance(&mut u, 1, 3) {
            Some(u.int_in_range(0..=8).unwrap_or(0))
        } else {
            None
        };
        Some(drop_after)
    } else {
        None
    };
    let token = if flags & 0x10 != 0 {
        structured_token(&mut u, now)
    } else {
        String::from_utf8_lossy(u.take_rest()).into_owned()
    };

    let opts = match JwtOptions::from_client_options(&client_options) {
        Ok(o) => o,
        Err(e) => {
            check_error(&e);
            JwtOptions::default()
        }
    };
    let mut params = match call_options {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    params.insert("token".to_owned(), Value::from(token.clone()));
    let params = Value::Object(params);

    // Deterministic per input: no key set cached by an earlier input.
    crate::jwks::cache::clear();
    let mut results = Vec::new();
    if let Some(drop_after) = concurrent {
        let (a, b) = join_or_drop(
            crate::verify::verify(&fake, &config, &opts, &params),
            crate::verify::verify(&fake, &config, &opts, &params),
            drop_after,
        );
        results.push(a);
        results.extend(b);
    }
    let rounds = if flags & 0x20 != 0 { 2 } else { 1 };
    for _ in 0..rounds {
        results.push(block_on(crate::verify::verify(
            &fake, &config, &opts, &params,
        )));
    }
    for result in results {
        let local = !fake.sent_to_backend_api();
        debug(|| {
            let outcome = match &result {
                Ok(t) => format!("ok subject={} scopes={:?}", t.subject, t.scopes),
                Err(e) => format!("error {}: {e}", e.code()),
            };
            format!("jwt_verify verdict={verdict:?} now={now} local={local} token={token:.80}… → {outcome}")
        });
        match &result {
            Ok(t) => {
                check_token(t);
                if local {
                    assert!(
                        matches!(verdict, Verdict::Valid | Verdict::Real),
                        "a JWT passed local verification although the signature check said no"
                    );
                    assert!(!t.expired, "a locally verified token is marked expired");
                    assert!(t.subject.starts_with(machine::MACHINE_ID_PREFIX));
                }
            }
            Err(e) => check_error(e),
        }
    }

    // The same token through `authenticateRequest` (its request state becomes response headers in JS).
    let mut auth_options = match &params {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    auth_options.remove("token");
    auth_options.insert("acceptsToken".to_owned(), Value::from("any"));
    let authorization = format!("Bearer {token}");
    let state = block_on(crate::authenticate::authenticate_request(
        &fake,
        &config,
        &opts,
        Some(&authorization),
        &Value::Object(auth_options),
    ));
    match state {
        Ok(state) => {
            if state.signed_in.is_some() && !fake.sent_to_backend_api() {
                assert!(
                    matches!(verdict, Verdict::Valid | Verdict::Real),
                    "authenticateRequest signed in a JWT whose signature check said no"
                );
            }
            check_state_headers(&state.to_public_json());
        }
        Err(e) => check_error(&e),
    }

    for request in fake.requests() {
        check_request(&request);
    }

    // The date and number formatting behind the claim messages, on arbitrary doubles.
    let bits = rest
        .iter()
        .take(8)
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    for f in [f64::from_bits(bits), now as f64, -(now as f64)] {
        let _ = crate::jwt::js::utc_string(f);
        let _ = crate::jwt::js::number(f);
    }
}

/// The request state's `headers` go into `new Headers(…)` in JS, which throws on a value holding NUL, CR or
/// LF or a character above U+00FF: none may, whatever the token.
fn check_state_headers(state: &Value) {
    let headers = state
        .get("headers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for pair in &headers {
        let name = pair.get(0).and_then(Value::as_str).unwrap_or_default();
        let value = pair.get(1).and_then(Value::as_str).unwrap_or_default();
        assert!(
            !value
                .chars()
                .any(|c| matches!(c, '\0' | '\r' | '\n') || u32::from(c) > 0xff),
            "request-state header {name} has a value JS Headers refuse: {value:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// jwks_parse

/// Key material: `parse_jwt_key` (PEM, bare base64 SPKI, JWK, JWKS) on the input text, the DER readers on
/// the raw bytes (wrapped as both PEM labels), `parse_jwk`/`parse_jwks` on JSON objects, the key policy on
/// the bytes split in two, and key resolution from the text as `jwtKey` and as a JWKS endpoint body.
pub fn jwks_parse(data: &[u8]) {
    start(data);
    let text = String::from_utf8_lossy(data);
    check_local_keys(&parse_jwt_key(&text));

    let b64 = Base64::encode_string(data);
    for label in ["PUBLIC KEY", "RSA PUBLIC KEY"] {
        let pem = format!("-----BEGIN {label}-----\n{b64}\n-----END {label}-----\n");
        check_local_keys(&parse_jwt_key(&pem));
    }

    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&text) {
        if let Ok(k) = parse_jwk(&map) {
            check_rsa_key(&k.key);
        }
        if let Some(set) = parse_jwks(&map) {
            assert!(!set.is_empty(), "parse_jwks returned an empty set");
        }
    }

    if let Some((&split, rest)) = data.split_first() {
        let at = usize::from(split).min(rest.len());
        let (n, e) = rest.split_at(rest.len() - at);
        if let Ok(key) = rsa_key(n, e) {
            check_rsa_key(&key);
        }
    }

    // The same text through key resolution: as `jwtKey`, then as the body of the JWKS endpoint.
    crate::jwks::cache::clear();
    let fake = Fake::new(REFERENCE_NOW_MS, Verdict::Valid);
    let opts = JwtOptions::default();
    let mut config = ClientConfig {
        api_url: "https://api.clerk.test".to_owned(),
        jwt_key: Some(Secret::new(text.clone().into_owned())),
        ..ClientConfig::default()
    };
    for kid in [FIXTURE_KID, "undefined"] {
        if let Err(e) = block_on(crate::jwks::resolve_key(&fake, &config, &opts, kid, false)) {
            check_error(&e);
        }
    }
    config.jwt_key = None;
    config.secret_key = Some(Secret::new("sk_test_fuzz_secret"));
    let mut fake = Fake::new(REFERENCE_NOW_MS, Verdict::Valid);
    fake.jwks_default = Ok(json_response(200, &text));
    for kid in [FIXTURE_KID, "undefined"] {
        match block_on(crate::jwks::resolve_key(&fake, &config, &opts, kid, false)) {
            Ok(k) => check_rsa_key(&k.key),
            Err(e) => check_error(&e),
        }
    }
}

fn check_local_keys(parsed: &Result<LocalKeys, String>) {
    match parsed {
        Ok(LocalKeys::Single(k)) => check_rsa_key(&k.key),
        Ok(LocalKeys::Set(set)) => assert!(!set.is_empty(), "an empty key set was accepted"),
        Err(_) => {}
    }
}

/// The key policy: 2048–8192 bits, odd modulus, odd exponent ≥ 3 and shorter than the modulus.
fn check_rsa_key(key: &RsaPublicKey) {
    let bits = key.bits();
    assert!(
        (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits),
        "accepted a {bits}-bit key"
    );
    assert!(
        key.n.last().is_some_and(|b| b & 1 == 1),
        "accepted an even modulus"
    );
    assert!(
        key.e.last().is_some_and(|b| b & 1 == 1),
        "accepted an even exponent"
    );
    assert!(
        key.e.len() < key.n.len(),
        "accepted an exponent as long as the modulus"
    );
    let _ = format!("{key:?}");
    // The pure-Rust verifier on every accepted key, with signatures no key may accept (0, 1, n, all ones).
    #[cfg(feature = "rust-crypto")]
    {
        let len = key.n.len();
        let mut one = vec![0u8; len];
        if let Some(last) = one.last_mut() {
            *last = 1;
        }
        for signature in [vec![0u8; len], one, key.n.clone(), vec![0xff; len]] {
            for alg in [RsaAlgorithm::Rs256, RsaAlgorithm::Rs512] {
                let verdict = real_verify(alg, key, b"fuzz", &signature);
                assert_ne!(verdict, Ok(true), "a constant signature verified");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// bapi_decode

/// Splits an HTTP-like text (`<status> <status text>` line, `name: value` header lines, a blank line, the
/// body) into responses. Input without a blank line is a bare body, tried under a few typical heads.
fn responses(data: &[u8]) -> Vec<HttpResponse> {
    let text = String::from_utf8_lossy(data);
    let split = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"));
    let Some((head, body)) = split else {
        let body = text.into_owned();
        let mut out = Vec::new();
        for (status, content_type, retry_after) in [
            (200, "application/json", None),
            (201, "application/json; charset=utf-8", None),
            (400, "application/json", None),
            (429, "application/json", Some("7")),
            (503, "text/html", Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            (204, "application/json", None),
        ] {
            let mut headers = vec![
                ("content-type".to_owned(), content_type.to_owned()),
                ("cf-ray".to_owned(), "8f00-FRA".to_owned()),
            ];
            if let Some(r) = retry_after {
                headers.push(("retry-after".to_owned(), r.to_owned()));
            }
            out.push(HttpResponse {
                status,
                status_text: String::new(),
                headers,
                body: body.clone(),
            });
        }
        return out;
    };
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let digits: String = status_line
        .chars()
        .take_while(char::is_ascii_digit)
        .take(5)
        .collect();
    let status = digits.parse::<u32>().map_or(200, |n| (n % 65_536) as u16);
    let status_text = status_line
        .get(digits.len()..)
        .unwrap_or_default()
        .trim_start()
        .to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    vec![HttpResponse {
        status,
        status_text,
        headers,
        body: body.to_owned(),
    }]
}

/// Backend API response decoding (`wire`): token, page and error decoding, `Retry-After` and content types,
/// then the same response through `m2m.list` (with its retry loop) and as a JWKS endpoint answer.
pub fn bapi_decode(data: &[u8]) {
    start(data);
    for response in responses(data) {
        decode_one(&response);
    }
}

fn decode_one(response: &HttpResponse) {
    for (_, v) in &response.headers {
        if let Some(n) = wire::parse_retry_after(v) {
            assert_eq!(wire::parse_retry_after(&n.to_string()), Some(n));
        }
    }
    let _ = wire::is_json_content_type(response.header("content-type"));
    let _ = wire::status_message(response.status, &response.status_text);
    let _ = wire::reason_phrase(response.status);

    let success = (200..300).contains(&response.status)
        && response.status != 204
        && wire::is_json_content_type(response.header("content-type"));
    let page = wire::decode_response(response, wire::decode_page);
    let created = wire::decode_response(response, |v| wire::decode_token(v, true));
    let token = wire::decode_response(response, |v| wire::decode_token(v, false));
    for ok in [page.is_ok(), created.is_ok(), token.is_ok()] {
        assert!(
            !ok || success,
            "decoded a response that is not a 2xx JSON answer"
        );
    }
    match page {
        Ok(p) => {
            let _ = p.to_public_json();
            p.data.iter().for_each(check_token);
        }
        Err(e) => check_error(&e),
    }
    for r in [created, token] {
        match r {
            Ok(t) => check_token(&t),
            Err(e) => check_error(&e),
        }
    }
    let api = wire::error_from_response(response);
    let _ = (api.to_string(), format!("{api:?}"));
    check_error(&wire::unexpected_response(response, "fuzz"));
    if let Ok(value) = serde_json::from_str::<Value>(&response.body) {
        let mut out = String::new();
        wire::write_json(&value, &mut out);
        assert!(
            serde_json::from_str::<Value>(&out).is_ok(),
            "write_json produced invalid JSON: {out}"
        );
    }

    // `m2m.list` (the retry loop reads Retry-After) and the JWKS endpoint path on the same response.
    let config = ClientConfig {
        api_url: "https://api.clerk.test".to_owned(),
        secret_key: Some(Secret::new("sk_test_fuzz_secret")),
        ..ClientConfig::default()
    };
    let mut fake = Fake::new(REFERENCE_NOW_MS, Verdict::Valid);
    fake.other = Ok(response.clone());
    fake.jwks_default = Ok(response.clone());
    match block_on(crate::m2m::list(
        &fake,
        &config,
        &json!({"subject": "mch_1"}),
    )) {
        Ok(p) => p.data.iter().for_each(check_token),
        Err(e) => check_error(&e),
    }
    crate::jwks::cache::clear();
    let opts = JwtOptions::default();
    match block_on(crate::jwks::resolve_key(
        &fake,
        &config,
        &opts,
        FIXTURE_KID,
        false,
    )) {
        Ok(k) => check_rsa_key(&k.key),
        Err(e) => check_error(&e),
    }
}

// ---------------------------------------------------------------------------------------------------------
// params

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
    let _ = crate::params::as_safe_integer(v);
    if let Err(e) = crate::params::parse_timeout(v) {
        check_error(&e);
    }
    if let Value::Object(map) = v {
        for key in map.keys() {
            let _ = crate::params::quote_key(key);
        }
    }
    if let Value::String(s) = v {
        if crate::params::check_key_chars("key", s).is_ok() {
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
    match crate::http::endpoint_url(&config, &["m2m_tokens", "mt_1", "revoke"]) {
        Ok(url) => {
            let _ = crate::http::check_transport(&config, &url);
        }
        Err(e) => panic!("resolve accepted an apiUrl that endpoint_url refuses: {e}"),
    }
    let headers = crate::http::base_headers(&config, config.m2m_bearer(None));
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
    match block_on(crate::m2m::list(&list_fake, config, v)) {
        Ok(p) => p.data.iter().for_each(check_token),
        Err(e) => check_error(&e),
    }
    let results = [
        block_on(crate::m2m::create_token(&fake, config, v)),
        block_on(crate::m2m::revoke_token(&fake, config, v)),
        block_on(crate::m2m::verify_opaque(&fake, config, v)),
    ];
    crate::jwks::cache::clear();
    let opts = JwtOptions::default();
    let verified = block_on(crate::verify::verify(&fake, config, &opts, v));
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

/// Every request the core builds: a URL the transport rule accepts, printable header values (no header
/// injection), a JSON body.
fn check_request(request: &HttpRequest) {
    assert!(
        request.url.bytes().all(|b| b.is_ascii_graphic()),
        "request URL with spaces, controls or non-ASCII: {:?}",
        request.url
    );
    for (name, value) in &request.headers {
        assert!(
            value.bytes().all(|b| (0x20..0x7f).contains(&b)),
            "header {name} has a value that is not printable ASCII"
        );
    }
    if let Some(body) = &request.body {
        assert!(
            serde_json::from_str::<Value>(body).is_ok(),
            "request body is not JSON: {body}"
        );
        assert_eq!(request.method, Method::Post);
    }
    let _ = format!("{request:?}");
}

fn check_retry(policy: &RetryPolicy) {
    for outcome in [
        Outcome::Network,
        Outcome::Timeout,
        Outcome::Status {
            status: 429,
            retry_after_secs: Some(u32::MAX),
        },
        Outcome::Status {
            status: 503,
            retry_after_secs: Some(1),
        },
        Outcome::Status {
            status: 500,
            retry_after_secs: None,
        },
    ] {
        for attempt in [0, 1, 2, 9, u32::MAX] {
            for elapsed in [0, 1, policy.budget_ms, u64::MAX] {
                for jitter in [0.0, 0.5, 0.999_999, f64::NAN, -1.0] {
                    if let Decision::RetryAfter(ms) =
                        decide(policy, attempt, &outcome, elapsed, jitter)
                    {
                        assert!(
                            u64::from(ms) <= policy.budget_ms.saturating_sub(elapsed),
                            "a retry sleeps past the budget"
                        );
                    }
                }
            }
        }
    }
}
