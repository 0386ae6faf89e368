//! The invariants every harness asserts besides "no panic": on errors (formatting, no secret shown), results,
//! requests, keys, retry decisions and the request state's debug headers.

use std::cell::Cell;
use std::sync::OnceLock;

use clerk_m2m_core::error::Error;
use clerk_m2m_core::jwks::key::{LocalKeys, MAX_RSA_BITS, MIN_RSA_BITS};
use clerk_m2m_core::ports::{HttpRequest, Method, RsaAlgorithm, RsaPublicKey};
use clerk_m2m_core::retry::{decide, Decision, Outcome, RetryPolicy};
use clerk_m2m_core::token::M2mToken;
use clerk_m2m_core::wire;
use serde_json::Value;

use crate::fake::real_verify;

/// With `CLERK_FUZZ_DEBUG` set, prints what a harness saw and decided (to look at corpus entries).
pub(crate) fn debug(what: impl FnOnce() -> String) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("CLERK_FUZZ_DEBUG").is_some()) {
        eprintln!("{}", what());
    }
}

/// The secret keys the harnesses configure: no error message may show them.
const SECRETS: [&str; 2] = ["sk_test_fuzz_secret", "ak_fuzz_machine"];

thread_local! {
    /// Whether the current input itself contains one of [`SECRETS`] (then a message may legitimately
    /// quote it, e.g. a server message or a kid taken from the input).
    static INPUT_HAS_SECRET: Cell<bool> = const { Cell::new(false) };
}

pub(crate) fn start(data: &[u8]) {
    let has = SECRETS
        .iter()
        .any(|s| data.windows(s.len()).any(|w| w == s.as_bytes()));
    INPUT_HAS_SECRET.with(|c| c.set(has));
}

/// Common checks on any error: formatting never panics and never shows a configured secret.
pub(crate) fn check_error(e: &Error) {
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

pub(crate) fn check_token(t: &M2mToken) {
    let public = t.to_public_json();
    let mut out = String::new();
    wire::write_json(&public, &mut out);
    assert!(
        serde_json::from_str::<Value>(&out).is_ok(),
        "write_json produced invalid JSON: {out}"
    );
}

/// The request state's `headers` go into `new Headers(…)` in JS, which throws on a value holding NUL, CR or
/// LF or a character above U+00FF: none may, whatever the token.
pub(crate) fn check_state_headers(state: &Value) {
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

pub(crate) fn check_local_keys(parsed: &Result<LocalKeys, String>) {
    match parsed {
        Ok(LocalKeys::Single(k)) => check_rsa_key(&k.key),
        Ok(LocalKeys::Set(set)) => assert!(!set.is_empty(), "an empty key set was accepted"),
        Err(_) => {}
    }
}

/// The key policy: 2048–8192 bits, odd modulus, odd exponent ≥ 3 and shorter than the modulus.
pub(crate) fn check_rsa_key(key: &RsaPublicKey) {
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

/// Every request the core builds: a URL the transport rule accepts, printable header values (no header
/// injection), a JSON body.
pub(crate) fn check_request(request: &HttpRequest) {
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

pub(crate) fn check_retry(policy: &RetryPolicy) {
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
