//! Request building shared by every Backend API call: headers, URL joining and the transport-security rule,
//! for a [`ClientConfig`]. Nothing here does I/O; the URL grammar itself is in `crate::url`.

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
            ["Bearer ", key.expose()].concat(),
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
    crate::url::join(&config.api_url, segments)
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
    crate::url::check_secret_transport(url, config.allow_insecure_http)
}
