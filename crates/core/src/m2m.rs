//! The four Backend API operations of `clerkClient.m2m`: `list`, `createToken`, `revokeToken` and the
//! opaque half of `verify` (reference §2).
//!
//! Each call validates its params ([`crate::params`]), builds the URL and headers ([`crate::http`]), refuses
//! insecure transport for secrets, sends through the [`HttpClient`] port and decodes ([`crate::wire`]).
//! Only `list` retries ([`crate::retry`]); the POSTs are sent exactly once.

use serde_json::Value;

use crate::config::{ClientConfig, Secret};
use crate::error::Error;
use crate::http::{base_headers, check_transport, endpoint_url};
use crate::params::{
    effective_timeout, CreateParams, ListParams, RevokeParams, TimeoutOverride, VerifyParams,
};
use crate::ports::{Clock, HttpClient, HttpRequest, HttpResponse, Method, Timer, TransportError};
use crate::retry::{decide, Decision, Jitter, Outcome};
use crate::token::{M2mToken, M2mTokenPage};
use crate::wire;

/// Builds a request, applying the transport-security rule whenever a secret goes out (a key in the
/// `Authorization` header, or a token in the body).
pub(crate) fn build_request(
    config: &ClientConfig,
    method: Method,
    url: String,
    bearer: Option<&Secret>,
    body: Option<String>,
    body_has_secret: bool,
    timeout_ms: Option<u32>,
) -> Result<HttpRequest, Error> {
    if bearer.is_some() || body_has_secret {
        check_transport(config, &url)?;
    }
    Ok(HttpRequest {
        method,
        url,
        headers: base_headers(config, bearer),
        body,
        timeout_ms,
    })
}

pub(crate) async fn send_once<P: HttpClient>(
    p: &P,
    request: HttpRequest,
) -> Result<HttpResponse, Error> {
    let origin = wire::origin_of(&request.url).to_owned();
    p.send(request)
        .await
        .map_err(|e| wire::transport_error(&e, &origin))
}

/// `m2m.list(params)`: `GET {apiUrl}/m2m_tokens?subject=…&revoked=…&expired=…&limit=…&offset=…`.
///
/// Retries 429, 500, 502, 503, 504, network errors and timeouts under `config.retry`
/// ([`crate::retry::decide`]), sleeping through the [`Timer`] port.
pub async fn list<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<M2mTokenPage, Error> {
    let params = ListParams::parse(params)?;
    let mut url = endpoint_url(config, &["m2m_tokens"])?;
    let query = wire::list_query(&params);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    let bearer = config.m2m_bearer(params.machine_secret_key.as_ref());
    let request = build_request(
        config,
        Method::Get,
        url,
        bearer,
        None,
        false,
        effective_timeout(params.timeout_ms, config),
    )?;

    let response = send_retrying(p, config, request).await?;
    wire::decode_response(&response, wire::decode_page)
}

/// Sends an idempotent read, retrying 429, 500, 502, 503, 504, network errors and timeouts under
/// `config.retry` ([`crate::retry::decide`]) and sleeping through the [`Timer`] port: the response of the
/// last attempt, or the transport error it ended with. Shared by `m2m.list` and the `machines.*` reads.
pub(crate) async fn send_retrying<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    request: HttpRequest,
) -> Result<HttpResponse, Error> {
    let started = p.now_ms();
    let mut jitter = Jitter::from_seed(started);
    let mut attempt: u32 = 1;
    loop {
        let result = p.send(request.clone()).await;
        let outcome = match &result {
            Ok(response) => Outcome::Status {
                status: response.status,
                retry_after_secs: if (200..300).contains(&response.status) {
                    None
                } else {
                    response
                        .header("retry-after")
                        .and_then(wire::parse_retry_after)
                },
            },
            Err(TransportError::Network { .. }) => Outcome::Network,
            Err(TransportError::Timeout { .. }) => Outcome::Timeout,
            Err(TransportError::Aborted) => return Err(Error::Aborted),
        };
        let elapsed = p.now_ms().saturating_sub(started);
        match decide(&config.retry, attempt, &outcome, elapsed, jitter.next_f64()) {
            Decision::RetryAfter(ms) => {
                p.sleep(ms).await;
                attempt = attempt.saturating_add(1);
            }
            Decision::Stop => {
                return result.map_err(|e| wire::transport_error(&e, wire::origin_of(&request.url)))
            }
        }
    }
}

/// One `POST` whose answer is a token object: the shared tail of `createToken`, `revokeToken` and opaque
/// `verify`.
struct TokenPost<'a> {
    segments: &'a [&'a str],
    machine_secret_key: Option<&'a Secret>,
    body: String,
    /// The body carries a secret (the token of `verify`): the transport rule applies even without a key.
    body_is_secret: bool,
    timeout_ms: TimeoutOverride,
    /// The response must carry `token` (create).
    require_token: bool,
}

/// Sends a [`TokenPost`] once (a POST may already have taken effect, so it is never retried) and decodes the
/// token object.
async fn post_for_token<P: HttpClient>(
    p: &P,
    config: &ClientConfig,
    post: TokenPost<'_>,
) -> Result<M2mToken, Error> {
    let url = endpoint_url(config, post.segments)?;
    let bearer = config.m2m_bearer(post.machine_secret_key);
    let timeout = effective_timeout(post.timeout_ms, config);
    let request = build_request(
        config,
        Method::Post,
        url,
        bearer,
        Some(post.body),
        post.body_is_secret,
        timeout,
    )?;
    let response = send_once(p, request).await?;
    wire::decode_response(&response, |v| wire::decode_token(v, post.require_token))
}

/// `m2m.createToken(params?)`: `POST {apiUrl}/m2m_tokens` with the body of [`wire::create_body`].
/// `params` may be `Value::Null` (no params). Never retried. The response must carry `token`.
pub async fn create_token<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<M2mToken, Error> {
    let params = CreateParams::parse(params)?;
    let post = TokenPost {
        segments: &["m2m_tokens"],
        machine_secret_key: params.machine_secret_key.as_ref(),
        body: wire::create_body(&params),
        body_is_secret: false,
        timeout_ms: params.timeout_ms,
        require_token: true,
    };
    post_for_token(p, config, post).await
}

/// `m2m.revokeToken(params)`: `POST {apiUrl}/m2m_tokens/{m2mTokenId}/revoke` with
/// `{"revocation_reason": …}`. The id is percent-encoded. Never retried.
pub async fn revoke_token<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<M2mToken, Error> {
    let params = RevokeParams::parse(params)?;
    let post = TokenPost {
        segments: &["m2m_tokens", params.m2m_token_id.as_str(), "revoke"],
        machine_secret_key: params.machine_secret_key.as_ref(),
        body: wire::revoke_body(params.revocation_reason.as_deref()),
        body_is_secret: false,
        timeout_ms: params.timeout_ms,
        require_token: false,
    };
    post_for_token(p, config, post).await
}

/// The Backend API half of `m2m.verify(params)`: `POST {apiUrl}/m2m_tokens/verify` with `{"token": …}`.
/// The `verify` dispatcher sends M2M JWTs to local verification and everything else here. Never retried.
pub async fn verify_opaque<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<M2mToken, Error> {
    verify_opaque_parsed(p, config, &VerifyParams::parse(params)?).await
}

/// [`verify_opaque`] with its params already parsed (the opaque cache computes its key from them first).
pub async fn verify_opaque_parsed<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &VerifyParams,
) -> Result<M2mToken, Error> {
    let post = TokenPost {
        segments: &["m2m_tokens", "verify"],
        machine_secret_key: params.machine_secret_key.as_ref(),
        body: wire::verify_body(params.token.expose()),
        body_is_secret: true,
        timeout_ms: params.timeout_ms,
        require_token: false,
    };
    post_for_token(p, config, post).await
}
