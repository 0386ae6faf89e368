//! The verification pipeline, in the reference's exact order (§4.2).

use std::rc::Rc;

use super::cache::CachedVerification;
use super::claims::{self, effective_skew, ClaimContext};
use super::errors;
use super::header;
use super::options::{JwtOptions, VerifyCallOptions};
use super::verified::VerifiedToken;
use crate::config::ClientConfig;
use crate::error::Error;
use crate::jwks::resolve_key;
use crate::machine::{decode_jwt, DecodedJwt};
use crate::ports::{Clock, HttpClient, SignatureVerifier, Timer};
use crate::token::M2mToken;

/// Verifies a JWT-format M2M token locally and maps it to an [`M2mToken`] (§3.2).
///
/// Order: decode (E22) → `cat` (E1, before any key work) → key resolution (`jwtKey`, else the JWKS with the
/// instance `secretKey`, else E2; E3–E7) → `typ` (E8) → `alg` allow-list (E9) and the key's own `alg`
/// (E10) → signature over the raw `<header>.<payload>` (E10/E11) → `sub` (E12), `aud` when an audience is
/// configured (E13/E14), `exp` (E16/E17), `nbf` (E18/E19), `iat` (E20/E21) → result (E23).
///
/// A token verified before (same string, still in the client's verified-token cache) skips decoding and
/// the signature check; its key is still resolved and must be unchanged, and every claim check runs again
/// with this call's options.
pub async fn verify_m2m_jwt<P: HttpClient + Clock + Timer + SignatureVerifier>(
    p: &P,
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    token: &str,
    call: &VerifyCallOptions,
) -> Result<M2mToken, Error> {
    if let Some(result) = verify_cached(p, config, jwt_options, token, call).await? {
        return Ok(result);
    }
    let decoded = decode_jwt(token)?;
    verify_decoded(p, config, jwt_options, token, decoded, call).await
}

fn claim_context<'a>(
    now_ms: u64,
    opts: &'a JwtOptions,
    call: &'a VerifyCallOptions,
) -> ClaimContext<'a> {
    ClaimContext {
        now_ms,
        skew_ms: effective_skew(call.clock_skew_in_ms.or(opts.clock_skew_in_ms)),
        audience: call.audience.as_deref().unwrap_or(&opts.audience),
    }
}

/// The verified-token cache path: `Ok(None)` on a miss (or when the key changed).
async fn verify_cached<P: HttpClient + Clock + Timer + SignatureVerifier>(
    p: &P,
    config: &ClientConfig,
    opts: &JwtOptions,
    token: &str,
    call: &VerifyCallOptions,
) -> Result<Option<M2mToken>, Error> {
    let Some(hit) = opts.verified_tokens.get(token) else {
        return Ok(None);
    };
    let key = match resolve_key(p, config, opts, hit.token.kid(), call.skip_jwks_cache).await {
        Ok(key) => key,
        Err(e) => {
            // Typically E4: the key left the JWKS, and the entry with it.
            opts.verified_tokens.remove(token);
            return Err(e);
        }
    };
    if !key.same_key(hit.token.key()) || key.check_alg(hit.token.algorithm()).is_err() {
        opts.verified_tokens.remove(token);
        return Ok(None);
    }
    let ctx = claim_context(p.now_ms(), opts, call);
    if let Err(e) = claims::check(&hit.token, &ctx) {
        if matches!(&e, Error::Verification(v) if v.reason == "expired") {
            opts.verified_tokens.remove(token);
        }
        return Err(e);
    }
    Ok(Some(hit.result))
}

/// Steps 1–7 on a decoded token (the `verify` router decodes once and hands it over).
pub(crate) async fn verify_decoded<P: HttpClient + Clock + Timer + SignatureVerifier>(
    p: &P,
    config: &ClientConfig,
    opts: &JwtOptions,
    token: &str,
    jwt: DecodedJwt<'_>,
    call: &VerifyCallOptions,
) -> Result<M2mToken, Error> {
    header::check_category(&jwt.header)?;
    let kid = header::kid_lookup(&jwt.header);
    let key = resolve_key(p, config, opts, &kid, call.skip_jwks_cache).await?;
    header::check_type(&jwt.header)?;
    let alg = header::check_algorithm(&jwt.header)?;
    // The token's alg never selects the key: it must agree with the key's own `alg`, when it has one.
    key.check_alg(alg)?;
    // Cheapest first: a signature whose length is not the modulus length cannot verify.
    if jwt.signature.len() != key.key.n.len() {
        return Err(errors::invalid_signature());
    }
    match p
        .verify_rsa(alg, &key.key, jwt.signed_data.as_bytes(), &jwt.signature)
        .await
    {
        Ok(true) => {}
        Ok(false) => return Err(errors::invalid_signature()),
        Err(why) => return Err(errors::signature_error("signature-error", &why)),
    }
    let verified = VerifiedToken::new(jwt.payload, kid, alg, key.key.clone());
    let ctx = claim_context(p.now_ms(), opts, call);
    claims::check(&verified, &ctx)?;
    let result = verified.to_m2m_token(ctx.now_ms, ctx.skew_ms)?;
    opts.verified_tokens.insert(
        token,
        CachedVerification {
            token: Rc::new(verified),
            result: result.clone(),
        },
    );
    Ok(result)
}
