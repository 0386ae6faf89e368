//! Request building shared by every Backend API call: headers, URL joining and the transport-security rule.
//!
//! Nothing here does I/O. [`endpoint_url`] validates `apiUrl` with a small hand-written parser (no `url`
//! crate, to keep the wasm small) that accepts only the unambiguous subset of absolute `http(s)` URLs, so
//! [`check_transport`] sees exactly the host the runtime's `fetch` will connect to.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::config::{ClientConfig, Secret};
use crate::error::Error;

/// Headers for every Backend API request, in the reference's order (§1.2):
/// `Clerk-API-Version: 2026-05-12`, `User-Agent: config.user_agent`, `Authorization: Bearer <key>` (only if a
/// key), `Content-Type: application/json`.
///
/// ```
/// use clerk_m2m_core::{http::base_headers, ClientConfig, Secret};
/// let config = ClientConfig { user_agent: "ua".into(), ..ClientConfig::default() };
/// let h = base_headers(&config, Some(&Secret::new("ak_x")));
/// let names: Vec<&str> = h.iter().map(|(k, _)| k.as_str()).collect();
/// assert_eq!(names, ["Clerk-API-Version", "User-Agent", "Authorization", "Content-Type"]);
/// assert_eq!(base_headers(&config, None).len(), 3);
/// ```
pub fn base_headers(config: &ClientConfig, bearer: Option<&Secret>) -> Vec<(String, String)> {
    let mut headers = Vec::with_capacity(4);
    headers.push((
        "Clerk-API-Version".to_owned(),
        crate::SUPPORTED_BAPI_VERSION.to_owned(),
    ));
    headers.push(("User-Agent".to_owned(), config.user_agent.clone()));
    if let Some(key) = bearer {
        headers.push((
            "Authorization".to_owned(),
            format!("Bearer {}", key.expose()),
        ));
    }
    headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    headers
}

/// `{apiUrl}/{segments…}` with the reference's `joinPaths` rules (§1.1).
///
/// * Trailing slashes in `apiUrl` are harmless, runs of `/` in its path collapse, and a path prefix is kept.
/// * Empty segments are dropped, like the reference.
/// * Each segment is percent-encoded: every byte outside `A-Z a-z 0-9 - . _ ~` (deviation: the reference
///   does not encode ids, so `?`/`#`/`/` in an id changed the request).
/// * A `.` or `..` segment is refused with [`Error::InvalidArgument`], also when hidden by (repeated)
///   percent-encoding or behind `/` or `\` inside the segment.
/// * `apiUrl` must be an absolute `http://` or `https://` URL with a host and no credentials, query or
///   fragment, else [`Error::Configuration`] (the message names `apiUrl` and never repeats its value).
///
/// ```
/// use clerk_m2m_core::{http::endpoint_url, ClientConfig};
/// let config = ClientConfig { api_url: "https://x.test/bapi/".into(), ..ClientConfig::default() };
/// assert_eq!(
///     endpoint_url(&config, &["m2m_tokens", "a/b?c", "revoke"]).unwrap(),
///     "https://x.test/bapi/m2m_tokens/a%2Fb%3Fc/revoke"
/// );
/// assert!(endpoint_url(&config, &["m2m_tokens", ".."]).is_err());
/// ```
pub fn endpoint_url(config: &ClientConfig, segments: &[&str]) -> Result<String, Error> {
    let base = parse_base_url(&config.api_url)?;
    let mut url = String::with_capacity(config.api_url.len() + 32);
    url.push_str(base.scheme);
    url.push_str("://");
    url.push_str(base.authority);
    for part in base.path.split('/').filter(|p| !p.is_empty()) {
        url.push('/');
        url.push_str(part);
    }
    for segment in segments.iter().filter(|s| !s.is_empty()) {
        check_dot_segments(segment)?;
        url.push('/');
        percent_encode_into(segment, &mut url);
    }
    Ok(url)
}

/// The transport-security rule: a secret may go over plain `http://` only to a loopback host
/// (`127.0.0.0/8`, `localhost`, `[::1]`) unless `config.allow_insecure_http` is set.
///
/// Call it with the final request URL whenever the request carries a secret (an `Authorization` header).
/// `https://` URLs always pass; any other scheme, or a URL that does not parse, is a configuration error.
///
/// ```
/// use clerk_m2m_core::{http::check_transport, ClientConfig};
/// let config = ClientConfig::default();
/// assert!(check_transport(&config, "https://api.clerk.com/m2m_tokens").is_ok());
/// assert!(check_transport(&config, "http://127.0.0.1:8787/m2m_tokens").is_ok());
/// assert!(check_transport(&config, "http://bapi.internal/m2m_tokens").is_err());
/// ```
pub fn check_transport(config: &ClientConfig, url: &str) -> Result<(), Error> {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    let parsed = parse_base_url(without_query)?;
    if parsed.scheme == "https" || config.allow_insecure_http || is_loopback(parsed.host) {
        return Ok(());
    }
    Err(Error::configuration(format!(
        "Refusing to send a Clerk secret (a key or a token) over plain http to {}; use https or set allowInsecureHttp: true",
        parsed.host
    )))
}

/// The parts of a validated absolute URL. `scheme` is lower case; `host` keeps IPv6 brackets.
struct BaseUrl<'a> {
    scheme: &'static str,
    authority: &'a str,
    host: &'a str,
    path: &'a str,
}

fn bad_api_url(why: &str) -> Error {
    Error::configuration(format!("apiUrl {why}"))
}

/// Parses the strict subset of absolute URLs we accept for `apiUrl` (and that [`endpoint_url`] produces).
fn parse_base_url(raw: &str) -> Result<BaseUrl<'_>, Error> {
    const NOT_ABSOLUTE: &str = "must be an absolute http:// or https:// URL";
    if raw
        .bytes()
        .any(|b| b <= b' ' || b == 0x7f || b == b'\\' || !b.is_ascii())
    {
        return Err(bad_api_url(
            "must be an absolute http:// or https:// URL without spaces, backslashes or non-ASCII characters",
        ));
    }
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, rest)) if s.eq_ignore_ascii_case("https") => ("https", rest),
        Some((s, rest)) if s.eq_ignore_ascii_case("http") => ("http", rest),
        _ => return Err(bad_api_url(NOT_ABSOLUTE)),
    };
    if rest.contains(['?', '#']) {
        return Err(bad_api_url("must not contain a query or a fragment"));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(bad_api_url("must not contain credentials"));
    }
    let (host, port) = if authority.starts_with('[') {
        let (host, tail) = match authority.find(']') {
            Some(end) => authority.split_at(end + 1),
            None => return Err(bad_api_url(NOT_ABSOLUTE)),
        };
        let inside = host.trim_start_matches('[').trim_end_matches(']');
        if inside.parse::<Ipv6Addr>().is_err() {
            return Err(bad_api_url("has an invalid IPv6 host"));
        }
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p),
            None if tail.is_empty() => None,
            None => return Err(bad_api_url(NOT_ABSOLUTE)),
        };
        (host, port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad_api_url("must have a host"));
    }
    if !host.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
    {
        return Err(bad_api_url("has an invalid host"));
    }
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad_api_url("has an invalid port"));
        }
        if port.parse::<u32>().map_or(true, |p| p > 65_535) {
            return Err(bad_api_url("has an invalid port"));
        }
    }
    Ok(BaseUrl {
        scheme,
        authority,
        host,
        path,
    })
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
    }
    host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// Refuses `.`/`..` pieces in a segment, decoded up to 10 times; `/` and `\` both separate pieces.
fn check_dot_segments(segment: &str) -> Result<(), Error> {
    const DOTS: &str = "path segments \".\" and \"..\" are not allowed";
    let mut current = segment.to_owned();
    for _ in 0..=10 {
        if current
            .split(['/', '\\'])
            .any(|piece| piece == "." || piece == "..")
        {
            return Err(Error::invalid_argument(DOTS));
        }
        let decoded = percent_decode(&current);
        if decoded == current {
            return Ok(());
        }
        current = decoded;
    }
    Err(Error::invalid_argument(
        "path segment has too many layers of percent-encoding",
    ))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` sequences; malformed ones stay as they are. Invalid UTF-8 is replaced lossily.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex_value),
                bytes.get(i + 2).copied().and_then(hex_value),
            ) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes every byte outside the RFC 3986 unreserved set.
pub(crate) fn percent_encode_into(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}
