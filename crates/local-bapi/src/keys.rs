//! RSA signing keys: deterministic generation per (seed, index), background generation so start-up
//! never waits for a prime search, JWKS rendering, and RS256 JWT signing and verification with jwt-compact.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::{BoxFuture, FutureExt, Shared};
use jwt_compact::alg::{Rsa, RsaSignature};
use jwt_compact::{Algorithm, AlgorithmExt, AlgorithmSignature, Claims, Header, TimeOptions};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs8::{EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::ids;
use crate::sync::lock;

/// A signing key and everything derived from it.
pub(crate) struct KeyPair {
    pub kid: String,
    /// jwt-compact's RSA signing and verifying keys are the `rsa` crate's.
    private: RsaPrivateKey,
    public: RsaPublicKey,
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
        private,
        public,
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

/// The JWT category Clerk puts on M2M tokens.
pub(crate) const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

/// The header field of Clerk's M2M JWTs that JOSE does not define (jwt-compact adds `alg`, `kid`, `typ`).
#[derive(Serialize)]
struct M2mHeaderFields {
    cat: &'static str,
}

/// A JWT time at whole seconds (their resolution); a clock outside chrono's range (beyond ±262143 years)
/// is clamped to it.
fn whole_seconds(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ms.div_euclid(1000), 0).unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// The lifetime in whole seconds (a fraction counts as a whole second), capped so that `exp` stays within
/// chrono's range: a longer lifetime would not expire either.
fn lifetime(issued_at: DateTime<Utc>, seconds: f64) -> TimeDelta {
    let longest = DateTime::<Utc>::MAX_UTC.signed_duration_since(issued_at);
    // `as` saturates, which is what an absurd lifetime should do.
    TimeDelta::try_seconds(seconds.ceil() as i64).map_or(longest, |d| d.min(longest))
}

/// The claims of a new token: `custom` (the server's `iss`, `sub`, `jti`, `aud`, `scopes`, then the caller's
/// claims), `iat` and `nbf` at `now_ms` (the server clock, time-travelled by `POST /__admin/clock`; never
/// the system clock), and `exp` `lifetime_s` later (none without a lifetime).
pub(crate) fn jwt_claims(
    custom: Map<String, Value>,
    now_ms: i64,
    lifetime_s: Option<f64>,
) -> Claims<Map<String, Value>> {
    let now = whole_seconds(now_ms);
    let time = TimeOptions::new(TimeDelta::zero(), move || now);
    let claims = match lifetime_s {
        Some(seconds) => Claims::new(custom)
            .set_duration_and_issuance(&time, lifetime((time.clock_fn)(), seconds)),
        None => {
            let mut claims = Claims::new(custom);
            claims.issued_at = Some((time.clock_fn)());
            claims
        }
    };
    claims.set_not_before(now)
}

/// Signs `claims` as a compact RS256 JWS with Clerk's M2M header (`kid`, `typ: JWT`, `cat`).
pub(crate) fn sign_jwt<T: Serialize>(key: &KeyPair, claims: &Claims<T>) -> Result<String, String> {
    let header = Header::new(M2mHeaderFields { cat: M2M_CATEGORY })
        .with_key_id(key.kid.as_str())
        .with_token_type("JWT");
    Rsa::rs256()
        .token(&header, claims, &key.private)
        .map_err(|e| e.to_string())
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
    RsaSignature::try_from_slice(&jwt.signature).is_ok_and(|sig| {
        Rsa::rs256().verify_signature(&sig, &key.public, jwt.signing_input.as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify() {
        let key = generate(42, 0).unwrap();
        assert_eq!(key.kid, kid_for(42, 0));
        let jwt = sign_jwt(&key, &Claims::new(json!({"sub": "mch_x"}))).unwrap();
        let decoded = decode_jwt(&jwt).unwrap();
        assert_eq!(decoded.header["cat"], M2M_CATEGORY);
        // jwt-compact's field order: `alg`, the JOSE fields (`kid`, `typ`), then ours.
        let header = URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap())
            .unwrap();
        let expected = format!(
            r#"{{"alg":"RS256","kid":"{}","typ":"JWT","cat":"{M2M_CATEGORY}"}}"#,
            key.kid
        );
        assert_eq!(String::from_utf8(header).unwrap(), expected);
        assert!(verify_signature(&key, &decoded));
        let mut tampered = decode_jwt(&jwt).unwrap();
        tampered.signing_input.push('x');
        assert!(!verify_signature(&key, &tampered));
        assert!(key.pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    }

    #[test]
    fn claims_of_a_new_token() {
        let mut custom = Map::new();
        custom.insert("iss".into(), json!("http://127.0.0.1:1"));
        custom.insert("sub".into(), json!("mch_x"));
        // The clock's whole second; a 1.2 s lifetime is 2 s. jwt-compact writes the times first.
        let claims = jwt_claims(custom.clone(), 1_700_000_000_999, Some(1.2));
        assert_eq!(
            serde_json::to_string(&claims).unwrap(),
            r#"{"exp":1700000002,"nbf":1700000000,"iat":1700000000,"iss":"http://127.0.0.1:1","sub":"mch_x"}"#
        );
        let endless = jwt_claims(custom.clone(), 1_700_000_000_000, None);
        assert_eq!(
            serde_json::to_string(&endless).unwrap(),
            r#"{"nbf":1700000000,"iat":1700000000,"iss":"http://127.0.0.1:1","sub":"mch_x"}"#
        );
        // Before 1970 (a clock travelled back), and lifetimes past chrono's last second: no panic.
        let early = jwt_claims(custom.clone(), -1, Some(1.0));
        assert_eq!(early.issued_at.map(|t| t.timestamp()), Some(-1));
        for seconds in [1e300, f64::MAX, 9.3e15] {
            let far = jwt_claims(custom.clone(), 1_700_000_000_000, Some(seconds));
            assert_eq!(far.expiration, Some(DateTime::<Utc>::MAX_UTC), "{seconds}");
        }
        let late = jwt_claims(custom, i64::MAX, Some(60.0));
        assert_eq!(late.expiration, Some(DateTime::<Utc>::MAX_UTC));
    }
}
