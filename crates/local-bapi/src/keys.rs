//! RSA signing keys: deterministic generation per (seed, index), background generation so start-up
//! never waits for a prime search, JWKS rendering, JWT signing and verification.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::future::{BoxFuture, FutureExt, Shared};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::ids;
use crate::sync::lock;

/// A signing key and everything derived from it.
pub(crate) struct KeyPair {
    pub kid: String,
    signing: SigningKey<Sha256>,
    verifying: VerifyingKey<Sha256>,
    /// The public JWK as served by `/v1/jwks`.
    pub jwk: Value,
    /// SPKI PEM of the public key (what `jwtKey` / `CLERK_JWT_KEY` expects).
    pub pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A key that may still be generating. Cloning shares the one generation.
pub(crate) type PendingKey = Shared<BoxFuture<'static, Result<Arc<KeyPair>, String>>>;

fn key_rng(seed: u64, index: u64) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(index.wrapping_add(1));
    rng
}

/// The kid of key `index` for this seed: `ins_` and 27 alphanumerics, like a Clerk instance id.
pub(crate) fn kid_for(seed: u64, index: u64) -> String {
    format!("ins_{}", ids::base62(&mut key_rng(seed, index), 27))
}

/// Generated keys, shared by every server in the process (tests start many servers with one seed).
type KeyCache = Mutex<HashMap<(u64, u64), Arc<KeyPair>>>;

fn cache() -> &'static KeyCache {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn generate(seed: u64, index: u64) -> Result<Arc<KeyPair>, String> {
    if let Some(found) = lock(cache()).get(&(seed, index)) {
        return Ok(found.clone());
    }
    let mut rng = key_rng(seed, index);
    let kid = format!("ins_{}", ids::base62(&mut rng, 27));
    let private = RsaPrivateKey::new(&mut rng, 2048)
        .map_err(|e| format!("RSA key generation failed: {e}"))?;
    let public = private.to_public_key();
    let pem = public
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| format!("PEM encoding failed: {e}"))?;
    let jwk = json!({
        "use": "sig",
        "kty": "RSA",
        "kid": kid,
        "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    });
    let pair = Arc::new(KeyPair {
        kid,
        verifying: VerifyingKey::new(public),
        signing: SigningKey::new(private),
        jwk,
        pem,
    });
    lock(cache()).insert((seed, index), pair.clone());
    Ok(pair)
}

/// Starts generating key `index` on the blocking pool and returns a handle to await it.
pub(crate) fn spawn(seed: u64, index: u64) -> PendingKey {
    let task = tokio::task::spawn_blocking(move || generate(seed, index));
    async move {
        task.await
            .map_err(|e| format!("key generation task failed: {e}"))?
    }
    .boxed()
    .shared()
}

/// The key set: the current signing key and the previous ones still published in the JWKS.
pub(crate) struct KeyRing {
    pub seed: u64,
    pub index: u64,
    pub current: (String, PendingKey),
    pub previous: Vec<(String, PendingKey)>,
}

impl KeyRing {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            seed,
            index: 0,
            current: (kid_for(seed, 0), spawn(seed, 0)),
            previous: Vec::new(),
        }
    }

    /// Every published key with its kid, current first.
    fn entries(&self) -> impl Iterator<Item = &(String, PendingKey)> {
        std::iter::once(&self.current).chain(&self.previous)
    }

    /// Every published key, current first.
    pub(crate) fn published(&self) -> Vec<PendingKey> {
        self.entries().map(|(_, key)| key.clone()).collect()
    }

    /// The published key with this kid.
    pub(crate) fn find(&self, kid: &str) -> Option<PendingKey> {
        self.entries()
            .find(|(k, _)| k == kid)
            .map(|(_, key)| key.clone())
    }
}

#[derive(Serialize)]
struct JwtHeader<'a> {
    alg: &'static str,
    typ: &'static str,
    kid: &'a str,
    cat: &'static str,
}

/// The JWT category Clerk puts on M2M tokens.
pub(crate) const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

/// Signs `payload` as a compact RS256 JWS with Clerk's M2M header.
pub(crate) fn sign_jwt(key: &KeyPair, payload: &Value) -> Result<String, String> {
    let header = JwtHeader {
        alg: "RS256",
        typ: "JWT",
        kid: &key.kid,
        cat: M2M_CATEGORY,
    };
    let header = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
    let payload = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
    let mut jwt = URL_SAFE_NO_PAD.encode(header);
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(payload));
    let signature = key
        .signing
        .try_sign(jwt.as_bytes())
        .map_err(|e| e.to_string())?;
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
    Ok(jwt)
}

/// A JWT split into its decoded parts.
pub(crate) struct DecodedJwt {
    pub header: Value,
    pub payload: Value,
    signing_input: String,
    signature: Vec<u8>,
}

/// Decodes a compact JWS without checking anything but its form.
pub(crate) fn decode_jwt(token: &str) -> Option<DecodedJwt> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let payload = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(s).ok()?;
    Some(DecodedJwt {
        header,
        payload,
        signing_input: format!("{h}.{p}"),
        signature,
    })
}

/// Checks an RS256 signature.
pub(crate) fn verify_signature(key: &KeyPair, jwt: &DecodedJwt) -> bool {
    Signature::try_from(jwt.signature.as_slice()).is_ok_and(|sig| {
        key.verifying
            .verify(jwt.signing_input.as_bytes(), &sig)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify() {
        let key = generate(42, 0).unwrap();
        assert_eq!(key.kid, kid_for(42, 0));
        let jwt = sign_jwt(&key, &json!({"sub": "mch_x"})).unwrap();
        let decoded = decode_jwt(&jwt).unwrap();
        assert_eq!(decoded.header["cat"], M2M_CATEGORY);
        assert!(verify_signature(&key, &decoded));
        let mut tampered = decode_jwt(&jwt).unwrap();
        tampered.signing_input.push('x');
        assert!(!verify_signature(&key, &tampered));
        assert!(key.pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    }
}
