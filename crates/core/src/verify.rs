//! `m2m.verify(params)`: routes like the reference (§2, §4.1). An M2M JWT (`is_m2m_jwt`: JWT shape, decodes,
//! `sub` starts with `mch_`) is verified locally, with no Backend API request; anything else, malformed
//! JWTs and JWTs of other subjects included, goes to `POST /m2m_tokens/verify`.

use serde_json::Value;

use crate::config::ClientConfig;
use crate::error::Error;
use crate::jwt::{verify_decoded, verify_m2m_jwt, JwtOptions, VerifyCallOptions};
use crate::machine::decoded_m2m_jwt;
use crate::params::VerifyParams;
use crate::ports::{Clock, HttpClient, SignatureVerifier, Timer};
use crate::token::M2mToken;

/// `m2m.verify({ token, machineSecretKey?, audience?, clockSkewInMs?, skipJwksCache?, timeoutMs? })`.
///
/// The JWT options are validated whatever the token (a bad `audience` is an [`Error::InvalidArgument`]
/// even for an opaque token); on the JWT path `machineSecretKey` and `timeoutMs` are accepted and unused
/// (the JWKS request has its own `jwksTimeoutMs`).
pub async fn verify<P: HttpClient + Clock + Timer + SignatureVerifier>(
    p: &P,
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    params: &Value,
) -> Result<M2mToken, Error> {
    if !params.is_object() {
        // The Backend API path owns the message for a params value that is not an object.
        return crate::m2m::verify_opaque(p, config, params).await;
    }
    let call = VerifyCallOptions::from_params(params)?;
    if let Some(token) = params.get("token").and_then(Value::as_str) {
        // A token in the verified-token cache was verified as an M2M JWT: no need to decode it to route.
        if jwt_options.verified_tokens.contains(token) {
            VerifyParams::parse(params)?;
            return verify_m2m_jwt(p, config, jwt_options, token, &call).await;
        }
        if let Some(decoded) = decoded_m2m_jwt(token) {
            VerifyParams::parse(params)?;
            return verify_decoded(p, config, jwt_options, token, decoded, &call).await;
        }
    }
    crate::m2m::verify_opaque(p, config, params).await
}
