//! The `jwt_verify` target: structured tokens, options, scripted JWKS responses and the pipeline.

use std::collections::VecDeque;

use arbitrary::Unstructured;
use base64ct::{Base64UrlUnpadded, Encoding};
use clerk_m2m_core::__private;
use clerk_m2m_core::config::{ClientConfig, Secret};
use clerk_m2m_core::jwt::JwtOptions;
use clerk_m2m_core::machine;
use clerk_m2m_core::ports::{HttpResponse, TransportError};
use serde_json::{Map, Value};

use crate::checks::{check_error, check_request, check_state_headers, check_token, debug, start};
use crate::executor::{block_on, join_or_drop};
use crate::fake::{fixture_jwk, fixture_jwks, json_response, Fake, Verdict};
use crate::json_text::{
    any_string, chance, member, number_literal, object_text, pick, time_literal,
    write_string_literal, write_value,
};
use crate::{FIXTURE_KID, FIXTURE_PUBLIC_PEM, REFERENCE_NOW_MS};

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

/// The whole local verification pipeline through [`clerk_m2m_core::verify::verify`] (routing, `cat`, key resolution
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
    clerk_m2m_core::jwks::cache::clear();
    let mut results = Vec::new();
    if let Some(drop_after) = concurrent {
        let (a, b) = join_or_drop(
            clerk_m2m_core::verify::verify(&fake, &config, &opts, &params),
            clerk_m2m_core::verify::verify(&fake, &config, &opts, &params),
            drop_after,
        );
        results.push(a);
        results.extend(b);
    }
    let rounds = if flags & 0x20 != 0 { 2 } else { 1 };
    for _ in 0..rounds {
        results.push(block_on(clerk_m2m_core::verify::verify(
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
    let state = block_on(clerk_m2m_core::authenticate::authenticate_request(
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
        let _ = __private::utc_string(f);
        let _ = __private::number(f);
    }
}
