//! The `bapi_decode` target.

use clerk_m2m_core::config::{ClientConfig, Secret};
use clerk_m2m_core::jwt::JwtOptions;
use clerk_m2m_core::ports::HttpResponse;
use clerk_m2m_core::wire;
use serde_json::{json, Value};

use crate::checks::{check_error, check_rsa_key, check_token, start};
use crate::executor::block_on;
use crate::fake::{Fake, Verdict};
use crate::{FIXTURE_KID, REFERENCE_NOW_MS};

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
    match block_on(clerk_m2m_core::m2m::list(
        &fake,
        &config,
        &json!({"subject": "mch_1"}),
    )) {
        Ok(p) => p.data.iter().for_each(check_token),
        Err(e) => check_error(&e),
    }
    clerk_m2m_core::jwks::cache::clear();
    let opts = JwtOptions::default();
    match block_on(clerk_m2m_core::jwks::resolve_key(
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
