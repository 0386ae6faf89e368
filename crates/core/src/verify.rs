//! `m2m.verify(params)`: routes like the reference (§2, §4.1). An M2M JWT (`is_m2m_jwt`: JWT shape, decodes,
//! `sub` starts with `mch_`) is verified locally, with no Backend API request; anything else, malformed
//! JWTs and JWTs of other subjects included, goes to `POST /m2m_tokens/verify`.

use std::borrow::Cow;
use std::rc::Rc;

use serde_json::Value;

use crate::config::{ClientConfig, Secret};
use crate::error::Error;
use crate::jwt::{
    complete, prepare_m2m_jwt, DecodedParts, JwtOptions, Prepared, Verification, VerifyCallOptions,
};
use crate::m2m::verify_opaque_parsed;
use crate::machine::decoded_m2m_jwt;
use crate::opaque_cache::cache_key;
use crate::params::{effective_timeout, VerifyParams};
use crate::ports::{Clock, HttpClient, SharedCache, SignatureVerifier, Timer};
use crate::token::M2mToken;

/// Where `m2m.verify(params)` goes, decided without I/O.
#[derive(Debug)]
// Returned and matched at once, never stored: boxing `Prepared` would cost an allocation per verification.
#[allow(clippy::large_enum_variant)]
pub enum Route {
    /// Not a local M2M JWT: `POST /m2m_tokens/verify` decides.
    BackendApi,
    /// A local M2M JWT, as far as it got without I/O (possibly finished).
    Local(Prepared),
}

/// Routes `m2m.verify(params)` and runs every local step that needs no I/O, at `now_ms`.
///
/// The JWT options are validated whatever the token (a bad `audience` is an [`Error::InvalidArgument`]
/// even for an opaque token); on the JWT path `machineSecretKey` and `timeoutMs` are accepted and unused
/// (the JWKS request has its own `jwksTimeoutMs`).
pub fn prepare(
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    params: &Value,
    now_ms: u64,
) -> Result<Route, Error> {
    if !params.is_object() {
        // The Backend API path owns the message for a params value that is not an object.
        return Ok(Route::BackendApi);
    }
    let call = VerifyCallOptions::from_params(params)?;
    let Some(token) = params.get("token").and_then(Value::as_str) else {
        return Ok(Route::BackendApi);
    };
    route(
        config,
        jwt_options,
        Cow::Borrowed(token),
        Some(params),
        &call,
        now_ms,
    )
}

/// [`prepare`] for params that are exactly `{ token }`, given as the token alone (bindings call this on
/// their hot path: no params object to build and walk).
pub fn prepare_token(
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    token: &str,
    now_ms: u64,
) -> Result<Route, Error> {
    let call = VerifyCallOptions::default();
    route(
        config,
        jwt_options,
        Cow::Borrowed(token),
        None,
        &call,
        now_ms,
    )
}

/// [`prepare_token`] of a token the caller owns: a local JWT keeps it (to hand out its signed bytes and to
/// cache it) instead of a copy.
pub fn prepare_owned_token(
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    token: String,
    now_ms: u64,
) -> Result<Route, Error> {
    let call = VerifyCallOptions::default();
    route(config, jwt_options, Cow::Owned(token), None, &call, now_ms)
}

/// Routes `token` and runs its local steps. `params`, when given, is validated once the token is known to
/// be a local JWT; a bare token needs no validation there: a decodable JWT, or a cached one, is non-empty.
fn route(
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    token: Cow<'_, str>,
    params: Option<&Value>,
    call: &VerifyCallOptions,
    now_ms: u64,
) -> Result<Route, Error> {
    // A token in the verified-token cache was verified as an M2M JWT: no need to decode it to route.
    let hit = jwt_options.verified_tokens.get(&token);
    let decoded = match hit {
        Some(_) => None,
        None => match decoded_m2m_jwt(&token) {
            Some(decoded) => Some(DecodedParts::from(decoded)),
            None => return Ok(Route::BackendApi),
        },
    };
    if let Some(params) = params {
        VerifyParams::validate(params)?;
    }
    Ok(Route::Local(prepare_m2m_jwt(
        config,
        jwt_options,
        token,
        hit,
        decoded,
        call,
        now_ms,
    )))
}

/// `m2m.verify({ token, machineSecretKey?, audience?, clockSkewInMs?, skipJwksCache?, timeoutMs? })`.
pub async fn verify<P: HttpClient + Clock + Timer + SignatureVerifier + SharedCache>(
    p: &P,
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    params: &Value,
) -> Result<M2mToken, Error> {
    verify_shared(p, config, jwt_options, params)
        .await
        .map(Verification::into_token)
}

/// [`verify`], with the result as the verified-token cache shares it (its JSON text written once).
pub async fn verify_shared<P: HttpClient + Clock + Timer + SignatureVerifier + SharedCache>(
    p: &P,
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    params: &Value,
) -> Result<Rc<Verification>, Error> {
    match prepare(config, jwt_options, params, p.now_ms())? {
        Route::Local(prepared) => complete(p, config, jwt_options, prepared).await,
        Route::BackendApi => verify_opaque_shared(p, config, jwt_options, params)
            .await
            .map(|token| Rc::new(Verification::new(token))),
    }
}

/// The opaque cache's key of `token` as this client would verify it: the token and the key it would send.
pub(crate) fn opaque_key(
    config: &ClientConfig,
    token: &str,
    machine_secret_key: Option<&Secret>,
) -> crate::opaque_cache::CacheKey {
    let bearer = config.m2m_bearer(machine_secret_key);
    cache_key(token, bearer.map(Secret::expose))
}

/// The Backend API path through the client's opaque-token single flight and caches
/// ([`crate::opaque_cache`]): keyed by the token and the key that would be sent.
async fn verify_opaque_shared<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    params: &Value,
) -> Result<M2mToken, Error> {
    let parsed = VerifyParams::parse(params)?;
    let key = opaque_key(
        config,
        parsed.token.expose(),
        parsed.machine_secret_key.as_ref(),
    );
    let bound = effective_timeout(parsed.timeout_ms, config);
    jwt_options
        .opaque
        .verify(p, key, bound, || verify_opaque_parsed(p, config, &parsed))
        .await
}
