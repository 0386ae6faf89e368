//! Usage: core-timing <token-file> <pem-file> <iterations>. Prints one JSON line of nanoseconds per call
//! (median of 7 rounds) for each step of the core's verify path, with `SignatureVerifier` stubbed to true.
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clerk_m2m_core::jwt::JwtOptions;
use clerk_m2m_core::machine::decode_jwt;
use clerk_m2m_core::ports::{
    Clock, HttpClient, HttpRequest, HttpResponse, RsaAlgorithm, RsaPublicKey, SignatureVerifier,
    Timer, TransportError,
};
use clerk_m2m_core::ClientConfig;
use serde_json::{json, Value};

struct Stub;

impl HttpClient for Stub {
    async fn send(&self, _: HttpRequest) -> Result<HttpResponse, TransportError> {
        Err(TransportError::Network { message: "no network in core-timing".into() })
    }
}
impl Clock for Stub {
    fn now_ms(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
    }
}
impl Timer for Stub {
    async fn sleep(&self, _: u32) {}
}
impl SignatureVerifier for Stub {
    async fn verify_rsa(&self, _: RsaAlgorithm, _: &RsaPublicKey, m: &[u8], s: &[u8]) -> Result<bool, String> {
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

fn time(iterations: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..iterations / 10 + 1 {
        f();
    }
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iterations {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(iterations)
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[3]
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
        run(clerk_m2m_core::verify::verify(&Stub, config, jwt, params)).expect("verifies with the stub")
    };
    let result = verify(&config, &jwt, &params);
    verify(&cconfig, &cjwt, &params);

    let decode = time(n, || {
        black_box(decode_jwt(black_box(token)).map(|d| d.signature.len()).unwrap_or(0));
    });
    let verify_stubbed = time(n, || {
        black_box(verify(&config, &jwt, black_box(&params)));
    });
    let public_json = time(n, || {
        black_box(result.to_public_json());
    });
    let verify_cached = time(n, || {
        black_box(verify(&cconfig, &cjwt, black_box(&params)));
    });
    let params_build = time(n, || {
        black_box(json!({ "token": black_box(token) }));
    });
    println!(
        "{}",
        json!({
            "decode_jwt_ns": decode,
            "verify_stubbed_ns": verify_stubbed,
            "to_public_json_ns": public_json,
            "verify_cached_hit_ns": verify_cached,
            "params_object_ns": params_build,
            "token_bytes": token.len(),
        })
    );
}
