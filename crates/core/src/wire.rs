//! The Backend API wire format of the M2M endpoints: query and body encoding, response decoding and the
//! error mapping of reference §1.7.
//!
//! Bodies are written by hand so that key order, `null`s and number formatting match the reference's
//! `JSON.stringify` byte for byte (serde_json's default `Map` would sort keys and print `1.0` for a JS
//! number that arrived as a float).

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiErrorMeta, ApiResponseError, Error};
use crate::params::{CreateParams, ListParams};
use crate::ports::{HttpResponse, TransportError};
use crate::token::{M2mToken, M2mTokenPage};

/// The `object` value of an M2M token.
pub const M2M_TOKEN_OBJECT: &str = "machine_to_machine_token";

/// The message of every "the server answered, but not with what we expected" error.
pub const UNEXPECTED_RESPONSE: &str = "Unexpected response from the Clerk Backend API";

// ---------------------------------------------------------------------------------------------------------
// Encoding

pub use crate::js::write_json;
use crate::js::{push_int, write_object, write_string};

/// Appends `key=value` pairs as `URLSearchParams` does (`application/x-www-form-urlencoded`).
pub(crate) fn form_pair(key: &str, value: &str, out: &mut String) {
    if !out.is_empty() {
        out.push('&');
    }
    form_encode_into(key, out);
    out.push('=');
    form_encode_into(value, out);
}

fn form_encode_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
    }
}

/// The `list` query string, without the `?`: `subject`, `revoked`, `expired`, `limit`, `offset` in that
/// order, falsy values left out exactly like the reference (`revoked=false` and `offset=0` are never sent).
///
/// ```
/// use clerk_m2m_core::{params::ListParams, wire::list_query};
/// let p = ListParams::parse(&serde_json::json!({
///     "subject": "mch 1", "revoked": false, "expired": true, "offset": 0, "limit": 5
/// })).unwrap();
/// assert_eq!(list_query(&p), "subject=mch+1&expired=true&limit=5");
/// ```
pub fn list_query(params: &ListParams) -> String {
    let mut q = String::new();
    if !params.subject.is_empty() {
        form_pair("subject", &params.subject, &mut q);
    }
    if params.revoked == Some(true) {
        form_pair("revoked", "true", &mut q);
    }
    if params.expired == Some(true) {
        form_pair("expired", "true", &mut q);
    }
    if let Some(limit) = params.limit.filter(|n| *n != 0) {
        form_pair(
            "limit",
            itoa::Buffer::new().format(u64::from(limit)),
            &mut q,
        );
    }
    if let Some(offset) = params.offset.filter(|n| *n != 0) {
        form_pair("offset", itoa::Buffer::new().format(offset), &mut q);
    }
    q
}

/// The `createToken` body: `seconds_until_expiration` (or `null`), `claims` (or `null`),
/// `min_remaining_ttl_seconds` (only when given, `null` allowed), `token_format`, in that order (§2).
///
/// ```
/// use clerk_m2m_core::{params::CreateParams, wire::create_body};
/// assert_eq!(
///     create_body(&CreateParams::default()),
///     r#"{"seconds_until_expiration":null,"claims":null,"token_format":"opaque"}"#
/// );
/// ```
pub fn create_body(params: &CreateParams) -> String {
    let mut out = String::with_capacity(96);
    out.push_str("{\"seconds_until_expiration\":");
    match params.seconds_until_expiration {
        Some(n) => push_int(&mut out, n),
        None => out.push_str("null"),
    }
    out.push_str(",\"claims\":");
    match &params.claims {
        Some(claims) => write_object(claims, &mut out),
        None => out.push_str("null"),
    }
    if let Some(min) = params.min_remaining_ttl_seconds {
        out.push_str(",\"min_remaining_ttl_seconds\":");
        match min {
            Some(n) => push_int(&mut out, n),
            None => out.push_str("null"),
        }
    }
    out.push_str(",\"token_format\":");
    write_string(params.token_format.as_str(), &mut out);
    out.push('}');
    out
}

/// The `revokeToken` body `{"revocation_reason":<string|null>}`.
pub fn revoke_body(revocation_reason: Option<&str>) -> String {
    let mut out = String::from("{\"revocation_reason\":");
    match revocation_reason {
        Some(reason) => write_string(reason, &mut out),
        None => out.push_str("null"),
    }
    out.push('}');
    out
}

/// The `verify` body `{"token":<token>}`.
pub fn verify_body(token: &str) -> String {
    let mut out = String::with_capacity(token.len() + 12);
    out.push_str("{\"token\":");
    write_string(token, &mut out);
    out.push('}');
    out
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

/// Whether a `Content-Type` is JSON: `application/json`, with or without parameters such as
/// `; charset=utf-8` (deviation: the reference wants the exact string), case-insensitive.
pub fn is_json_content_type(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
    })
}

pub(crate) fn missing(field: &str) -> String {
    ["missing field `", field, "`"].concat()
}

pub(crate) fn wrong_type(field: &str, expected: &str) -> String {
    ["invalid type for field `", field, "`: expected ", expected].concat()
}

pub(crate) fn req<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a Value, String> {
    obj.get(field).ok_or_else(|| missing(field))
}

pub(crate) fn string_field(obj: &Map<String, Value>, field: &str) -> Result<String, String> {
    req(obj, field)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| wrong_type(field, "a string"))
}

pub(crate) fn bool_field(obj: &Map<String, Value>, field: &str) -> Result<bool, String> {
    req(obj, field)?
        .as_bool()
        .ok_or_else(|| wrong_type(field, "a boolean"))
}

pub(crate) fn ms_value(v: &Value) -> Option<i64> {
    crate::validate::as_safe_integer(v)
}

pub(crate) fn ms_field(obj: &Map<String, Value>, field: &str) -> Result<i64, String> {
    ms_value(req(obj, field)?).ok_or_else(|| wrong_type(field, "an integer timestamp in ms"))
}

/// Missing and `null` both give `None` (the field is nullable).
pub(crate) fn nullable<'a>(obj: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    obj.get(field).filter(|v| !v.is_null())
}

/// Maps one M2M token JSON object (reference §3.1) to [`M2mToken`], strictly: required fields must be
/// present with the right types. `object` may be missing but, when present, must be
/// `machine_to_machine_token`; `scopes` defaults to `[]` (OpenAPI default); the nullable `claims`,
/// `revocation_reason` and `expiration` may be missing; unknown fields (`last_used_at`…) are dropped.
/// `require_token` makes `token` required (create). The error text names the field, never a value.
pub fn decode_token(value: &Value, require_token: bool) -> Result<M2mToken, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| "expected a JSON object".to_owned())?;
    match obj.get("object") {
        None => {}
        Some(Value::String(s)) if s == M2M_TOKEN_OBJECT => {}
        Some(_) => return Err(["field `object` is not \"", M2M_TOKEN_OBJECT, "\""].concat()),
    }
    let scopes = match obj.get("scopes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| wrong_type("scopes", "an array of strings"))?,
        Some(_) => return Err(wrong_type("scopes", "an array of strings")),
    };
    let claims = match nullable(obj, "claims") {
        None => None,
        Some(Value::Object(m)) => Some(m.clone()),
        Some(_) => return Err(wrong_type("claims", "an object or null")),
    };
    let revocation_reason = match nullable(obj, "revocation_reason") {
        None => None,
        Some(v) => Some(
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| wrong_type("revocation_reason", "a string or null"))?,
        ),
    };
    let expiration = match nullable(obj, "expiration") {
        None => None,
        Some(v) => Some(
            ms_value(v)
                .ok_or_else(|| wrong_type("expiration", "an integer timestamp in ms or null"))?,
        ),
    };
    let token = match obj.get("token") {
        Some(Value::String(s)) => Some(s.clone()),
        None | Some(Value::Null) if !require_token => None,
        None => return Err(missing("token")),
        Some(_) => return Err(wrong_type("token", "a string")),
    };
    Ok(M2mToken {
        id: string_field(obj, "id")?,
        subject: string_field(obj, "subject")?,
        scopes,
        claims,
        revoked: bool_field(obj, "revoked")?,
        revocation_reason,
        expired: bool_field(obj, "expired")?,
        expiration,
        created_at: ms_field(obj, "created_at")?,
        updated_at: ms_field(obj, "updated_at")?,
        token,
    })
}

/// Maps a list response: `{m2m_tokens: […], total_count}`, `{data: […], total_count}` or a bare array.
/// A missing `total_count` becomes the number of items (deviation: the reference returns a bare array).
pub fn decode_page(value: &Value) -> Result<M2mTokenPage, String> {
    let (key, items, total) = match value {
        Value::Array(items) => ("data", items, None),
        Value::Object(obj) => {
            let (key, items) = match (obj.get("m2m_tokens"), obj.get("data")) {
                (Some(Value::Array(items)), _) => ("m2m_tokens", items),
                (_, Some(Value::Array(items))) => ("data", items),
                _ => return Err("missing field `m2m_tokens`".to_owned()),
            };
            (key, items, nullable(obj, "total_count"))
        }
        _ => return Err("expected a JSON object".to_owned()),
    };
    let data = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            decode_token(item, false)
                .map_err(|e| [key, "[", itoa::Buffer::new().format(i as u64), "]: ", &e].concat())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let total_count = total_count(total, data.len())?;
    Ok(M2mTokenPage { data, total_count })
}

/// A page's `total_count`: a non-negative integer, or the page's length when absent.
pub(crate) fn total_count(total: Option<&Value>, page_len: usize) -> Result<u64, String> {
    match total {
        None => Ok(page_len as u64),
        Some(v) => ms_value(v)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| wrong_type("total_count", "a non-negative integer")),
    }
}

// ---------------------------------------------------------------------------------------------------------
// Errors

/// The standard reason phrase of a status, or `None` for statuses without one.
pub fn reason_phrase(status: u16) -> Option<&'static str> {
    REASON_PHRASES
        .iter()
        .find(|(code, _)| *code == status)
        .map(|(_, phrase)| *phrase)
}

/// Standard reason phrases by status (a table scan is smaller in the wasm than a `match` jump table).
const REASON_PHRASES: [(u16, &str); 55] = [
    (100, "Continue"),
    (101, "Switching Protocols"),
    (200, "OK"),
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-Authoritative Information"),
    (204, "No Content"),
    (205, "Reset Content"),
    (206, "Partial Content"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (304, "Not Modified"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Timeout"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "Length Required"),
    (412, "Precondition Failed"),
    (413, "Content Too Large"),
    (414, "URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Range Not Satisfiable"),
    (417, "Expectation Failed"),
    (421, "Misdirected Request"),
    (422, "Unprocessable Content"),
    (423, "Locked"),
    (424, "Failed Dependency"),
    (425, "Too Early"),
    (426, "Upgrade Required"),
    (428, "Precondition Required"),
    (429, "Too Many Requests"),
    (431, "Request Header Fields Too Large"),
    (451, "Unavailable For Legal Reasons"),
    (500, "Internal Server Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
    (505, "HTTP Version Not Supported"),
    (506, "Variant Also Negotiates"),
    (507, "Insufficient Storage"),
    (508, "Loop Detected"),
    (510, "Not Extended"),
    (511, "Network Authentication Required"),
];

/// The error `message` for a response: its status text, or the reason phrase when that is empty
/// (deviation: the reference leaves it `''`), or `HTTP <status>`.
pub fn status_message(status: u16, status_text: &str) -> String {
    if !status_text.is_empty() {
        status_text.to_owned()
    } else {
        reason_phrase(status).map_or_else(
            || ["HTTP ", itoa::Buffer::new().format(u64::from(status))].concat(),
            str::to_owned,
        )
    }
}

/// `parseInt(value, 10)` for `Retry-After`, kept only when it is a non-negative integer that fits.
pub fn parse_retry_after(value: &str) -> Option<u32> {
    let t = value.trim_start();
    let t = t.strip_prefix('+').unwrap_or(t);
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    t.get(..digits).filter(|d| !d.is_empty())?.parse().ok()
}

fn opt_string(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn opt_strings(obj: &Map<String, Value>, key: &str) -> Option<Vec<String>> {
    obj.get(key)?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn api_error_entry(entry: &Value) -> ApiError {
    let empty = Map::new();
    let obj = entry.as_object().unwrap_or(&empty);
    let meta = obj.get("meta").and_then(Value::as_object).unwrap_or(&empty);
    ApiError {
        code: opt_string(obj, "code").unwrap_or_default(),
        message: opt_string(obj, "message").unwrap_or_default(),
        long_message: opt_string(obj, "long_message"),
        meta: Some(ApiErrorMeta {
            param_name: opt_string(meta, "param_name"),
            session_id: opt_string(meta, "session_id"),
            email_addresses: opt_strings(meta, "email_addresses"),
            identifiers: opt_strings(meta, "identifiers"),
            zxcvbn: meta.get("zxcvbn").cloned(),
            plan: meta.get("plan").cloned(),
            is_plan_upgrade_possible: meta
                .get("is_plan_upgrade_possible")
                .and_then(Value::as_bool),
            seats_quantity_to_add: meta.get("seats_quantity_to_add").and_then(Value::as_f64),
            seats_quantity: meta.get("seats_quantity").and_then(Value::as_f64),
        }),
    }
}

fn cf_ray(response: &HttpResponse) -> String {
    response.header("cf-ray").unwrap_or_default().to_owned()
}

/// A non-2xx response as a [`ApiResponseError`] (reference §1.7): `errors[]` from a JSON body (any other
/// body, an invalid JSON body, or an `errors` that is not an array gives `[]`), the trace id from the body
/// then `cf-ray`, and `retry_after` from a numeric `Retry-After`.
pub fn error_from_response(response: &HttpResponse) -> ApiResponseError {
    let body = if is_json_content_type(response.header("content-type")) {
        serde_json::from_str::<Value>(&response.body).ok()
    } else {
        None
    };
    let errors = body
        .as_ref()
        .and_then(|b| b.get("errors"))
        .and_then(Value::as_array)
        .map(|entries| entries.iter().map(api_error_entry).collect())
        .unwrap_or_default();
    let clerk_trace_id = body
        .as_ref()
        .and_then(|b| b.get("clerk_trace_id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map_or_else(|| cf_ray(response), str::to_owned);
    ApiResponseError {
        status: Some(response.status),
        status_text: response.status_text.clone(),
        message: status_message(response.status, &response.status_text),
        errors,
        clerk_trace_id,
        retry_after: response.header("retry-after").and_then(parse_retry_after),
        network_failure: false,
    }
}

fn unexpected_entry(message: String) -> ApiError {
    ApiError {
        code: "unexpected_error".to_owned(),
        message,
        long_message: None,
        meta: None,
    }
}

/// A 2xx response whose body is not what the endpoint promises: status kept, one `unexpected_error`.
pub fn unexpected_response(response: &HttpResponse, what: impl Into<String>) -> Error {
    unexpected(response, what.into())
}

/// [`unexpected_response`], one copy for every type of `what`.
fn unexpected(response: &HttpResponse, what: String) -> Error {
    Error::Api(ApiResponseError {
        status: Some(response.status),
        status_text: response.status_text.clone(),
        message: UNEXPECTED_RESPONSE.to_owned(),
        errors: vec![unexpected_entry(what)],
        clerk_trace_id: cf_ray(response),
        retry_after: None,
        network_failure: false,
    })
}

/// `scheme://host[:port]` of a request URL (every URL here is absolute, built by `http::endpoint_url`): what a
/// message may name of where a request went. Never a key: `apiUrl` cannot hold credentials.
pub fn origin_of(url: &str) -> &str {
    let host_from = url.find("://").map_or(0, |i| i + 3);
    let end = url
        .get(host_from..)
        .and_then(|rest| rest.find(['/', '?', '#']))
        .map_or(url.len(), |i| host_from + i);
    url.get(..end).unwrap_or(url)
}

/// A request to `origin` that produced no usable response, as the error the caller sees.
pub fn transport_error(error: &TransportError, origin: &str) -> Error {
    match error {
        TransportError::Aborted => Error::Aborted,
        TransportError::Network { message } => {
            let detail = if message.is_empty() {
                "Unexpected error"
            } else {
                message.as_str()
            };
            Error::Api(ApiResponseError {
                message: [
                    "Clerk Backend API request to ",
                    origin,
                    " failed: ",
                    detail,
                    ". Check apiUrl (CLERK_API_URL) and that this runtime can reach that host.",
                ]
                .concat(),
                errors: vec![unexpected_entry(detail.to_owned())],
                network_failure: true,
                ..ApiResponseError::default()
            })
        }
        TransportError::Timeout { after_ms } => {
            let message = [
                "Clerk Backend API request timed out after ",
                itoa::Buffer::new().format(u64::from(*after_ms)),
                " ms",
            ]
            .concat();
            Error::Api(ApiResponseError {
                errors: vec![ApiError {
                    code: "request_timeout".to_owned(),
                    message: message.clone(),
                    long_message: None,
                    meta: None,
                }],
                message,
                ..ApiResponseError::default()
            })
        }
    }
}

/// Turns a response into the decoded value or the error the caller sees:
/// non-2xx → [`error_from_response`]; 204, a non-JSON content type or a body that does not match →
/// [`unexpected_response`] (status kept); invalid JSON in a 2xx → status `None`, like the reference.
pub fn decode_response<T>(
    response: &HttpResponse,
    decode: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<T, Error> {
    let value = response_json(response)?;
    decode(&value).map_err(|what| unexpected_response(response, what))
}

/// The part of [`decode_response`] that does not depend on the decoded type: one copy in the wasm, not one
/// per call site.
#[inline(never)]
fn response_json(response: &HttpResponse) -> Result<Value, Error> {
    if !(200..300).contains(&response.status) {
        return Err(Error::Api(error_from_response(response)));
    }
    if response.status == 204 {
        return Err(unexpected_response(
            response,
            "empty response (204 No Content)",
        ));
    }
    if !is_json_content_type(response.header("content-type")) {
        return Err(unexpected_response(
            response,
            "expected a JSON response (content-type application/json)",
        ));
    }
    let value: Value = serde_json::from_str(&response.body).map_err(|e| {
        Error::Api(ApiResponseError {
            message: UNEXPECTED_RESPONSE.to_owned(),
            errors: vec![unexpected_entry(e.to_string())],
            clerk_trace_id: cf_ray(response),
            ..ApiResponseError::default()
        })
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_of_keeps_scheme_host_and_port_only() {
        assert_eq!(
            origin_of("https://x.test:8080/bapi/m2m_tokens?subject=a#f"),
            "https://x.test:8080"
        );
        assert_eq!(origin_of("http://127.0.0.1:9"), "http://127.0.0.1:9");
        assert_eq!(origin_of("https://[::1]:1/v1/jwks"), "https://[::1]:1");
    }

    #[test]
    fn reason_phrases() {
        assert_eq!(reason_phrase(100), Some("Continue"));
        assert_eq!(reason_phrase(200), Some("OK"));
        assert_eq!(reason_phrase(429), Some("Too Many Requests"));
        assert_eq!(reason_phrase(511), Some("Network Authentication Required"));
        for status in [0, 99, 102, 207, 305, 306, 418, 499, 509, 512, 999, u16::MAX] {
            assert_eq!(reason_phrase(status), None, "{status}");
        }
        assert_eq!(
            REASON_PHRASES
                .iter()
                .filter_map(|(c, _)| reason_phrase(*c))
                .count(),
            55
        );
        assert_eq!(status_message(418, ""), "HTTP 418");
        assert_eq!(status_message(404, ""), "Not Found");
        assert_eq!(status_message(404, "Nope"), "Nope");
    }
}
