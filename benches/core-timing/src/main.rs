//! Usage: core-timing <token-file> <pem-file> <iterations>. Prints one JSON line: nanoseconds per call of each
//! step of the core's verify path (median of 9 rounds, steps interleaved), with `SignatureVerifier` stubbed.
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use base64ct::{Base64UrlUnpadded, Encoding};
use clerk_m2m_core::jwt::JwtOptions;
use clerk_m2m_core::machine::{decode_jwt, is_jwt_format};
use clerk_m2m_core::ports::{
    Clock, HttpClient, HttpRequest, HttpResponse, RsaAlgorithm, RsaPublicKey, SignatureVerifier,
    Timer, TransportError,
};
use clerk_m2m_core::ClientConfig;
use serde_json::{json, Value};

struct Stub;

impl HttpClient for Stub {
    async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
        Err(TransportError::Network {
            message: "no network in core-timing".into(),
        })
    }
}
impl Clock for Stub {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}
/// No cache shared with other isolates.
impl clerk_m2m_core::ports::SharedCache for Stub {}

impl Timer for Stub {
    async fn sleep(&self, _: u32) {}
}
impl SignatureVerifier for Stub {
    async fn verify_rsa(
        &self,
        _: RsaAlgorithm,
        _: &RsaPublicKey,
        m: &[u8],
        s: &[u8],
    ) -> Result<bool, String> {
        Ok(black_box(m.len() + s.len()) > 0)
    }
}

/// Everything here completes without waiting (no network, stubbed crypto): one poll is enough.
fn run<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("core-timing: a future did not complete synchronously"),
    }
}

/// A named step to time.
type Step<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// Times every step in turn, round after round (so load on the shared machine hits each step alike); the
/// median of 9 rounds, in ns per call.
fn time_all(iterations: u32, steps: &mut [Step<'_>]) -> Vec<(&'static str, f64)> {
    let mut rounds: Vec<Vec<f64>> = vec![Vec::new(); steps.len()];
    for round in 0..10 {
        for (i, (_, f)) in steps.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..iterations {
                f();
            }
            if round > 0 {
                rounds[i].push(t.elapsed().as_nanos() as f64 / f64::from(iterations));
            }
        }
    }
    steps
        .iter()
        .zip(rounds)
        .map(|((name, _), mut r)| {
            r.sort_by(f64::total_cmp);
            (*name, r[r.len() / 2])
        })
        .collect()
}

/// A plain bit-accumulator base64url decoder, for comparison with the core's table decoder.
fn table_decode(s: &[u8]) -> Option<Vec<u8>> {
    const fn table() -> [u8; 256] {
        let mut t = [255u8; 256];
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut i = 0;
        while i < 64 {
            t[alphabet[i] as usize] = i as u8;
            i += 1;
        }
        t
    }
    static T: [u8; 256] = table();
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        let v = T[c as usize];
        if v == 255 {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let token = std::fs::read_to_string(&args[1]).expect("token file");
    let token = token.trim();
    let pem = std::fs::read_to_string(&args[2]).expect("pem file");
    let n: u32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20_000);

    let client = |cache: u32| {
        let options = json!({ "jwtKey": pem, "verifiedTokenCacheSize": cache });
        let config = ClientConfig::resolve(&options, &Value::Null, &Value::Null).expect("config");
        let jwt = JwtOptions::from_client_options(&options).expect("jwt options");
        (config, jwt)
    };
    let params = json!({ "token": token });
    let (config, jwt) = client(0);
    let (cconfig, cjwt) = client(1000);
    let verify = |config: &ClientConfig, jwt: &JwtOptions, params: &Value| {
        run(clerk_m2m_core::verify::verify(&Stub, config, jwt, params))
            .expect("verifies with the stub")
    };
    let result = verify(&config, &jwt, &params);
    verify(&cconfig, &cjwt, &params);

    // With a fourth argument (a file of tokens, one per line, more than the default cache holds): the miss path,
    // distinct tokens verified with the cache off and through the default 1000-entry cache (each one evicts).
    let distinct: Vec<Value> = args
        .get(4)
        .map(|f| std::fs::read_to_string(f).expect("tokens file"))
        .map(|t| t.lines().map(|l| json!({ "token": l.trim() })).collect())
        .unwrap_or_default();
    let (dconfig, djwt) = client(1000);
    let (off_next, on_next) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    let next = |cell: &std::cell::Cell<usize>| {
        cell.set((cell.get() + 1) % distinct.len());
        &distinct[cell.get()]
    };

    let segments: Vec<&str> = token.split('.').collect();
    let header = Base64UrlUnpadded::decode_vec(segments[0]).expect("header");
    let payload = Base64UrlUnpadded::decode_vec(segments[1]).expect("payload");
    let mut steps: Vec<Step<'_>> = vec![
        (
            "is_jwt_format_ns",
            Box::new(|| {
                black_box(is_jwt_format(black_box(token)));
            }),
        ),
        (
            "core_decode_3_segments_ns",
            Box::new(|| {
                for seg in &segments {
                    black_box(
                        clerk_m2m_core::base64url::decode(black_box(seg))
                            .map(|v| v.len())
                            .unwrap_or(0),
                    );
                }
            }),
        ),
        (
            "prepare_ns",
            Box::new(|| {
                black_box(
                    clerk_m2m_core::verify::prepare(&config, &jwt, black_box(&params), 0).is_ok(),
                );
            }),
        ),
        (
            "table_decode_3_segments_ns",
            Box::new(|| {
                for seg in &segments {
                    black_box(
                        table_decode(black_box(seg.as_bytes()))
                            .map(|v| v.len())
                            .unwrap_or(0),
                    );
                }
            }),
        ),
        (
            "serde_json_parse_header_payload_ns",
            Box::new(|| {
                black_box(serde_json::from_slice::<Value>(black_box(&header)).is_ok());
                black_box(serde_json::from_slice::<Value>(black_box(&payload)).is_ok());
            }),
        ),
        (
            "decode_jwt_ns",
            Box::new(|| {
                black_box(
                    decode_jwt(black_box(token))
                        .map(|d| d.signature.len())
                        .unwrap_or(0),
                );
            }),
        ),
        (
            "verify_stubbed_ns",
            Box::new(|| {
                black_box(verify(&config, &jwt, black_box(&params)));
            }),
        ),
        (
            "to_public_json_ns",
            Box::new(|| {
                black_box(result.to_public_json_text());
            }),
        ),
        (
            "verify_cached_hit_ns",
            Box::new(|| {
                black_box(verify(&cconfig, &cjwt, black_box(&params)));
            }),
        ),
        (
            "params_object_ns",
            Box::new(|| {
                black_box(json!({ "token": black_box(token) }));
            }),
        ),
    ];
    if !distinct.is_empty() {
        steps.push((
            "distinct_cache_off_ns",
            Box::new(|| {
                black_box(verify(&config, &jwt, next(&off_next)));
            }),
        ));
        steps.push((
            "distinct_default_cache_ns",
            Box::new(|| {
                black_box(verify(&dconfig, &djwt, next(&on_next)));
            }),
        ));
    }
    // CT_ONLY=<substring>: time only the steps whose name holds it (e.g. to profile one of them).
    if let Ok(only) = std::env::var("CT_ONLY") {
        steps.retain(|(name, _)| name.contains(only.as_str()));
    }
    let mut out = serde_json::Map::new();
    for (name, ns) in time_all(n, &mut steps) {
        out.insert(name.into(), json!(ns));
    }
    out.insert("token_bytes".into(), json!(token.len()));
    println!("{}", Value::Object(out));
}
