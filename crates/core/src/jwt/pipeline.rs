//! The verification pipeline, in the reference's exact order (§4.2), as synchronous steps.
//!
//! Everything but the key fetch and the RSA check is synchronous, so the pipeline is a short state machine:
//! [`prepare_m2m_jwt`] runs every step it can without I/O and stops at the first one that needs it: a JWKS
//! fetch ([`Prepared::NeedsKey`]) or the signature check ([`Prepared::Signature`]). A caller that can check
//! signatures without awaiting a future (the WASM binding awaits `crypto.subtle.verify` in JS) drives it
//! directly; [`verify_m2m_jwt`] drives it with the core's async ports.

use std::borrow::Cow;
use std::rc::Rc;

use super::claims::{self, effective_skew, ClaimContext};
use super::errors;
use super::header;
use super::options::{JwtOptions, VerifyCallOptions};
use super::verified::{CachedToken, Verification, VerifiedToken};
use crate::config::ClientConfig;
use crate::error::Error;
use crate::json_object::JsonObject;
use crate::jwks::{resolve_key, resolve_key_now, JwkKey};
use crate::machine::{decode_jwt, DecodedJwt};
use crate::ports::{
    Clock, HttpClient, RsaAlgorithm, RsaPublicKey, SharedCache, SignatureVerifier, Timer,
};
use crate::token::M2mToken;

/// How far a verification got without I/O.
#[derive(Debug)]
pub enum Prepared {
    /// Finished: a verified-token cache hit, or a check failed.
    Done(Result<Rc<Verification>, Error>),
    /// The key must come from the instance's JWKS: fetch it ([`resolve_key`]), then [`PendingKey::with_key`].
    NeedsKey(PendingKey),
    /// Every check before the signature passed: check it, then [`PendingSignature::finish`].
    Signature(PendingSignature),
}

/// The decoded token, carried between steps. The payload is untrusted until the signature is checked.
#[derive(Debug)]
struct Carried {
    token: String,
    signed_len: usize,
    payload: JsonObject,
    signature: Vec<u8>,
    kid: String,
    call: VerifyCallOptions,
}

/// A decoded token's parts, owned: the signed bytes are the token's first `signed_len` bytes.
#[derive(Debug)]
pub(crate) struct DecodedParts {
    header: JsonObject,
    payload: JsonObject,
    signature: Vec<u8>,
    signed_len: usize,
}

impl From<DecodedJwt<'_>> for DecodedParts {
    fn from(jwt: DecodedJwt<'_>) -> Self {
        Self {
            signed_len: jwt.signed_data.len(),
            header: jwt.header,
            payload: jwt.payload,
            signature: jwt.signature,
        }
    }
}

/// A token past step 1 (`cat`) whose key needs a JWKS fetch.
#[derive(Debug)]
pub struct PendingKey {
    header: JsonObject,
    carried: Carried,
}

/// A token past every check before the signature (steps 1–4 and the key's own `alg`).
#[derive(Debug)]
pub struct PendingSignature {
    alg: RsaAlgorithm,
    key: Rc<RsaPublicKey>,
    carried: Carried,
}

/// Verifies a JWT-format M2M token locally and maps it to an [`M2mToken`] (§3.2).
///
/// Order: decode (E22) → `cat` (E1, before any key work) → key resolution (`jwtKey`, else the JWKS with the
/// instance `secretKey`, else E2; E3–E7) → `typ` (E8) → `alg` allow-list (E9) and the key's own `alg`
/// (E10) → signature over the raw `<header>.<payload>` (E10/E11) → `sub` (E12), `aud` when an audience is
/// configured (E13/E14), `exp` (E16/E17), `nbf` (E18/E19), `iat` (E20/E21) → result (E23).
///
/// A token verified before (same string, still in the client's verified-token cache) skips decoding and
/// the signature check when its key is at hand without a fetch and unchanged; every claim check runs again
/// with this call's options.
pub async fn verify_m2m_jwt<P: HttpClient + Clock + Timer + SignatureVerifier + SharedCache>(
    p: &P,
    config: &ClientConfig,
    jwt_options: &JwtOptions,
    token: &str,
    call: &VerifyCallOptions,
) -> Result<M2mToken, Error> {
    let hit = jwt_options.verified_tokens.get(token);
    let prepared = prepare_m2m_jwt(
        config,
        jwt_options,
        Cow::Borrowed(token),
        hit,
        None,
        call,
        p.now_ms(),
    );
    complete(p, config, jwt_options, prepared)
        .await
        .map(Verification::into_token)
}

/// Runs a prepared verification to its end with the core's async ports.
pub(crate) async fn complete<P: HttpClient + Clock + Timer + SignatureVerifier + SharedCache>(
    p: &P,
    config: &ClientConfig,
    opts: &JwtOptions,
    prepared: Prepared,
) -> Result<Rc<Verification>, Error> {
    let pending = match prepared {
        Prepared::Done(outcome) => return outcome,
        Prepared::Signature(pending) => pending,
        Prepared::NeedsKey(pending) => {
            let call = &pending.carried.call;
            let key =
                resolve_key(p, config, opts, &pending.carried.kid, call.skip_jwks_cache).await;
            pending.with_key(key, opts)?
        }
    };
    let verdict = p
        .verify_rsa(
            pending.alg,
            &pending.key,
            pending.signed_data(),
            pending.signature(),
        )
        .await;
    pending.finish(verdict, p.now_ms(), opts)
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

/// Every step that needs no I/O, for `token` (kept, when owned, to the end: not copied). `hit` is its
/// verified-token cache entry, if any; `decoded` the token already decoded by the caller's routing, if it did
/// (else it is decoded here: E22).
pub(crate) fn prepare_m2m_jwt(
    config: &ClientConfig,
    opts: &JwtOptions,
    token: Cow<'_, str>,
    hit: Option<Rc<CachedToken>>,
    decoded: Option<DecodedParts>,
    call: &VerifyCallOptions,
    now_ms: u64,
) -> Prepared {
    if let Some(hit) = hit {
        if let Some(outcome) = check_cached(config, opts, &token, hit, call, now_ms) {
            return Prepared::Done(outcome);
        }
    }
    let jwt = match decoded.map_or_else(|| decode_jwt(&token).map(DecodedParts::from), Ok) {
        Ok(jwt) => jwt,
        Err(e) => return Prepared::Done(Err(e.into())),
    };
    if let Err(e) = header::check_category(&jwt.header) {
        return Prepared::Done(Err(e));
    }
    let kid = header::kid_lookup(&jwt.header);
    let pending = PendingKey {
        carried: Carried {
            signed_len: jwt.signed_len,
            token: token.into_owned(),
            payload: jwt.payload,
            signature: jwt.signature,
            kid,
            call: call.clone(),
        },
        header: jwt.header,
    };
    let key = resolve_key_now(
        config,
        opts,
        &pending.carried.kid,
        call.skip_jwks_cache,
        now_ms,
    );
    match key {
        None => Prepared::NeedsKey(pending),
        Some(key) => match pending.with_key(key, opts) {
            Ok(pending) => Prepared::Signature(pending),
            Err(e) => Prepared::Done(Err(e)),
        },
    }
}

/// A verified-token cache hit, when its key is at hand: `None` to verify the token from scratch (the key
/// needs a fetch, or changed).
fn check_cached(
    config: &ClientConfig,
    opts: &JwtOptions,
    token: &str,
    hit: Rc<CachedToken>,
    call: &VerifyCallOptions,
    now_ms: u64,
) -> Option<Result<Rc<Verification>, Error>> {
    let key = resolve_key_now(config, opts, hit.kid(), call.skip_jwks_cache, now_ms)?;
    let key = match key {
        Ok(key) => key,
        Err(e) => {
            // Typically E4: the key left the JWKS, and the entry with it.
            opts.verified_tokens.remove(token);
            return Some(Err(e));
        }
    };
    if !key.same_key(hit.key()) || key.check_alg(hit.algorithm()).is_err() {
        opts.verified_tokens.remove(token);
        return None;
    }
    let ctx = claim_context(now_ms, opts, call);
    if let Err(e) = claims::check(hit.checked_claims(), &ctx) {
        if matches!(&e, Error::Verification(v) if v.reason == "expired") {
            opts.verified_tokens.remove(token);
        }
        return Some(Err(e));
    }
    Some(hit.result(token, ctx.now_ms, ctx.skew_ms))
}

impl PendingKey {
    /// The header's `kid` lookup string: the key to resolve.
    pub fn kid(&self) -> &str {
        &self.carried.kid
    }

    /// Steps 3–4 with the resolved key: `typ` (E8), `alg` (E9), the key's own `alg` (E10), and a signature
    /// whose length is not the modulus length (it cannot verify). A key that could not be resolved also
    /// drops the token from the verified-token cache.
    pub fn with_key(
        self,
        key: Result<JwkKey, Error>,
        opts: &JwtOptions,
    ) -> Result<PendingSignature, Error> {
        let key = key.inspect_err(|_| opts.verified_tokens.remove(&self.carried.token))?;
        header::check_type(&self.header)?;
        let alg = header::check_algorithm(&self.header)?;
        // The token's alg never selects the key: it must agree with the key's own `alg`, when it has one.
        key.check_alg(alg)?;
        if self.carried.signature.len() != key.key.n.len() {
            return Err(errors::invalid_signature());
        }
        Ok(PendingSignature {
            alg,
            key: key.key,
            carried: self.carried,
        })
    }
}

impl PendingSignature {
    /// The algorithm to check the signature with.
    pub fn algorithm(&self) -> RsaAlgorithm {
        self.alg
    }

    /// The key to check it with (from `jwtKey` or the JWKS, never chosen by the token).
    pub fn key(&self) -> &Rc<RsaPublicKey> {
        &self.key
    }

    /// The signature bytes (as long as the modulus).
    pub fn signature(&self) -> &[u8] {
        &self.carried.signature
    }

    /// The signed bytes: `<header>.<payload>` exactly as received.
    pub fn signed_data(&self) -> &[u8] {
        let token = self.carried.token.as_bytes();
        token.get(..self.carried.signed_len).unwrap_or(token)
    }

    /// Steps 5–7 once the signature was checked: `verdict` is `Ok(true)` for a valid signature, `Ok(false)`
    /// for an invalid one (E11), `Err(why)` when the check itself failed (E10). Then the claims (E12–E21)
    /// at `now_ms`, the result (E23), and the verified-token cache.
    pub fn finish(
        self,
        verdict: Result<bool, String>,
        now_ms: u64,
        opts: &JwtOptions,
    ) -> Result<Rc<Verification>, Error> {
        match verdict {
            Ok(true) => {}
            Ok(false) => return Err(errors::invalid_signature()),
            Err(why) => return Err(errors::signature_error("signature-error", &why)),
        }
        let Carried {
            token,
            payload,
            kid,
            call,
            ..
        } = self.carried;
        let verified = VerifiedToken::new(payload, kid, self.alg, self.key);
        let ctx = claim_context(now_ms, opts, &call);
        claims::check(verified.checked_claims(), &ctx)?;
        let keep = opts.verified_tokens.capacity() > 0;
        let (result, cached) = verified.into_result(ctx.now_ms, ctx.skew_ms, keep)?;
        if let Some(cached) = cached {
            opts.verified_tokens.insert(token, Rc::new(cached));
        }
        Ok(Rc::new(Verification::new(result)))
    }
}
