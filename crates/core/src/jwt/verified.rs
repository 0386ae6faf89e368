//! The trust boundary: a [`VerifiedToken`] exists only once its signature has been checked with a key the
//! token's header could not choose (style anchors §2 habit 1). Only the pipeline constructs one; the claim
//! checks and the mapping to [`M2mToken`] accept nothing else.
#![deny(clippy::indexing_slicing)]

use std::cell::OnceCell;
use std::fmt;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use super::errors;
use crate::error::Error;
use crate::js::{self, seconds_to_ms};
use crate::json_object::JsonObject;
use crate::machine::decode_jwt;
use crate::ports::{RsaAlgorithm, RsaPublicKey};
use crate::token::M2mToken;

/// Claims the backend sets itself; everything else ends up in `claims` (§3.2).
const RESERVED_CLAIMS: [&str; 6] = ["iss", "sub", "exp", "nbf", "iat", "jti"];

/// A JWT whose signature verified. Its claims still have to pass the claim checks.
pub struct VerifiedToken {
    payload: JsonObject,
    kid: String,
    alg: RsaAlgorithm,
    key: Rc<RsaPublicKey>,
}

impl VerifiedToken {
    /// Only `jwt::pipeline` calls this, right after the signature check succeeded.
    pub(super) fn new(
        payload: JsonObject,
        kid: String,
        alg: RsaAlgorithm,
        key: Rc<RsaPublicKey>,
    ) -> Self {
        Self {
            payload,
            kid,
            alg,
            key,
        }
    }

    /// The payload: signed, but its claims are not checked by this type.
    pub fn payload(&self) -> &JsonObject {
        &self.payload
    }

    /// A token with an arbitrary payload, for unit tests of the claim checks.
    #[cfg(test)]
    pub(crate) fn for_tests(payload: Map<String, Value>) -> Self {
        Self::new(
            JsonObject::from(payload),
            "undefined".to_owned(),
            RsaAlgorithm::Rs256,
            Rc::new(RsaPublicKey {
                n: vec![],
                e: vec![],
            }),
        )
    }

    /// The claims the checks read.
    pub(crate) fn checked_claims(&self) -> CheckedClaims<'_> {
        CheckedClaims::of(&self.payload)
    }

    /// `M2MToken.fromJwtPayload(payload, clockSkewInMs)` (§3.2), with the deviations of docs/compat.md:
    /// a non-string `scopes` is a typed error (E23), a string `aud` becomes a one-element array, a missing
    /// `iat` gives `createdAt`/`updatedAt` of 0. The payload is taken apart, not copied; with `keep`, also what
    /// the verified-token cache keeps of the token (else `None`). Only once the claim checks passed.
    pub(crate) fn into_result(
        self,
        now_ms: u64,
        skew_ms: f64,
        keep: bool,
    ) -> Result<(M2mToken, Option<CachedToken>), Error> {
        let p = &self.payload;
        let c = CheckedClaims::of(p);
        let scopes = match p.get("scopes") {
            Some(Value::String(s)) => s.split(' ').map(str::to_owned).collect(),
            None | Some(Value::Null) => match c.aud {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            },
            Some(_) => return Err(errors::invalid_scopes()),
        };
        let exp_ms = c.exp.and_then(seconds_to_ms);
        let expired = exp_ms.is_some_and(|exp| exp <= now_ms as f64 - skew_ms);
        // `exp * 1000` and `iat * 1000` without truncation, like the reference's result mapping.
        let to_ms = |v: Option<&Value>| {
            v.and_then(Value::as_f64)
                .map(|s| (s * 1000.0).round() as i64)
        };
        let created_at = to_ms(c.iat).unwrap_or(0);
        let expiration = to_ms(c.exp);
        let cached = keep.then(|| CachedToken {
            aud: c.aud.cloned(),
            exp: c.exp.cloned(),
            nbf: c.nbf.cloned(),
            iat: c.iat.cloned(),
            kid: self.kid,
            alg: self.alg,
            key: self.key,
            result: OnceCell::new(),
        });
        let (mut id, mut subject) = (String::new(), None);
        // In the payload's order, as the reference's `fromJwtPayload` copies them: moved, not copied.
        let mut claims = Map::new();
        for (k, v) in self.payload.into_entries() {
            match k.as_str() {
                "jti" => id = jti_to_id(v),
                "sub" => subject = Some(v),
                _ if RESERVED_CLAIMS.contains(&k.as_str()) => {}
                _ => {
                    claims.insert(k, v);
                }
            }
        }
        let subject = match subject {
            Some(Value::String(s)) => s,
            other => js::to_string(other.as_ref()),
        };
        let token = M2mToken {
            id,
            subject,
            scopes,
            claims: if claims.is_empty() {
                None
            } else {
                Some(claims)
            },
            revoked: false,
            revocation_reason: None,
            expired,
            expiration,
            created_at,
            updated_at: created_at,
            token: None,
        };
        Ok((token, cached))
    }
}

/// `jti` as the result's `id`: `''` when absent or `null`, else the string (or `String(jti)`).
fn jti_to_id(jti: Value) -> String {
    match jti {
        Value::Null => String::new(),
        Value::String(s) => s,
        other => js::to_string(Some(&other)),
    }
}

/// A successful verification: the token, and a serial naming it.
#[derive(Debug)]
pub struct Verification {
    /// The result.
    pub token: M2mToken,
    /// Unique among the verifications of this process (never reused), so a binding can key what it built
    /// from `token` by it: every cache hit on this entry hands out the same `serial` and the same token.
    pub serial: u64,
}

/// Two verifications are equal when their results are: the serial only names one of them.
impl PartialEq for Verification {
    fn eq(&self, other: &Self) -> bool {
        self.token == other.token
    }
}

/// The next [`Verification::serial`]. Starts at 1; at one verification per nanosecond it would take
/// centuries to pass 2^53, the largest integer a JS number holds exactly.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

impl Verification {
    /// Wraps a result under a new serial.
    pub fn new(token: M2mToken) -> Self {
        let serial = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        Self { token, serial }
    }

    /// The result, cloned only when the verification is still shared (with the verified-token cache).
    pub fn into_token(self: Rc<Self>) -> M2mToken {
        Rc::try_unwrap(self).map_or_else(|shared| shared.token.clone(), |own| own.token)
    }
}

/// The claims the checks read (`sub`, `aud`, `exp`, `nbf`, `iat`), of a [`VerifiedToken`] or of a
/// [`CachedToken`] made from one: nothing else builds one.
#[derive(Clone, Copy)]
pub(crate) struct CheckedClaims<'a> {
    pub(super) sub: Option<&'a Value>,
    pub(super) aud: Option<&'a Value>,
    pub(super) exp: Option<&'a Value>,
    pub(super) nbf: Option<&'a Value>,
    pub(super) iat: Option<&'a Value>,
}

impl<'a> CheckedClaims<'a> {
    /// The claims of a verified payload.
    fn of(payload: &'a JsonObject) -> Self {
        Self {
            sub: payload.get("sub"),
            aud: payload.get("aud"),
            exp: payload.get("exp"),
            nbf: payload.get("nbf"),
            iat: payload.get("iat"),
        }
    }
}

/// The `sub` of every [`CachedToken`]: the check of `sub` (a string) passed before the token was cached, and its
/// value does not change, so the entry keeps no copy of it.
static CHECKED_SUBJECT: Value = Value::String(String::new());

/// What the verified-token cache keeps of a [`VerifiedToken`]: the claims its checks re-run on, the key it
/// verified with, and its result once a cache hit needed it. Not the payload: an entry that is never hit (the
/// usual case when tokens are distinct) then costs a few allocations to keep and to evict, not one per claim.
pub struct CachedToken {
    aud: Option<Value>,
    exp: Option<Value>,
    nbf: Option<Value>,
    iat: Option<Value>,
    kid: String,
    alg: RsaAlgorithm,
    key: Rc<RsaPublicKey>,
    result: OnceCell<Rc<Verification>>,
}

impl CachedToken {
    /// The claims the checks read.
    pub(crate) fn checked_claims(&self) -> CheckedClaims<'_> {
        CheckedClaims {
            sub: Some(&CHECKED_SUBJECT),
            aud: self.aud.as_ref(),
            exp: self.exp.as_ref(),
            nbf: self.nbf.as_ref(),
            iat: self.iat.as_ref(),
        }
    }

    /// The key lookup string of the header's `kid` (`undefined` when absent, like the reference).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm the signature was checked with.
    pub fn algorithm(&self) -> RsaAlgorithm {
        self.alg
    }

    /// The key that verified the signature.
    pub fn key(&self) -> &Rc<RsaPublicKey> {
        &self.key
    }

    /// The result of `token` (the string this entry was cached under), mapped at the first hit that needs it
    /// and kept: every later hit hands out the same one (and serial). `token`'s signature verified with
    /// [`CachedToken::key`], which the caller has just found unchanged, so decoding it again is decoding a
    /// verified token.
    pub(crate) fn result(
        &self,
        token: &str,
        now_ms: u64,
        skew_ms: f64,
    ) -> Result<Rc<Verification>, Error> {
        if let Some(result) = self.result.get() {
            return Ok(result.clone());
        }
        let jwt = decode_jwt(token)?;
        let verified = VerifiedToken::new(jwt.payload, String::new(), self.alg, self.key.clone());
        let (token, _) = verified.into_result(now_ms, skew_ms, false)?;
        Ok(self
            .result
            .get_or_init(|| Rc::new(Verification::new(token)))
            .clone())
    }
}

impl fmt::Debug for CachedToken {
    // Never print claim values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for VerifiedToken {
    // The payload may hold custom claims the caller considers sensitive: show only its claim names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("claims", &self.payload.keys().collect::<Vec<_>>())
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("key", &self.key)
            .finish()
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use serde_json::json;

    const T: u64 = 1_666_648_250;

    /// The result `into_result` maps `p` to at `now_ms` with `skew_ms`.
    fn to_m2m_token(p: Value, now_ms: u64, skew_ms: f64) -> Result<M2mToken, Error> {
        VerifiedToken::for_tests(p.as_object().cloned().unwrap())
            .into_result(now_ms, skew_ms, false)
            .map(|(token, _)| token)
    }

    fn map(p: Value) -> M2mToken {
        to_m2m_token(p, T * 1000, 5000.0).unwrap()
    }

    fn fixture() -> Value {
        json!({
            "iss": "https://clerk.m2m.example.test",
            "sub": "mch_2vYVtestTESTtestTESTtestTESTtest",
            "aud": ["mch_1xxxxx", "mch_2xxxxx"],
            "exp": 1_666_648_550,
            "iat": 1_666_648_250,
            "nbf": 1_666_648_240,
            "jti": "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE",
        })
    }

    // §7.A 25
    #[test]
    fn maps_the_fixture_payload() {
        let t = map(fixture());
        assert_eq!(t.id, "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE");
        assert_eq!(t.subject, "mch_2vYVtestTESTtestTESTtestTESTtest");
        assert_eq!(t.scopes, ["mch_1xxxxx", "mch_2xxxxx"]);
        assert_eq!(
            Value::Object(t.claims.clone().unwrap()),
            json!({"aud": ["mch_1xxxxx", "mch_2xxxxx"]})
        );
        assert!(!t.revoked && !t.expired);
        assert_eq!(t.revocation_reason, None);
        assert_eq!(t.expiration, Some(1_666_648_550_000));
        assert_eq!(
            (t.created_at, t.updated_at),
            (1_666_648_250_000, 1_666_648_250_000)
        );
        assert_eq!(t.token, None);
    }

    // §7.A 26–29, 31
    #[test]
    fn scopes_and_claims() {
        let mut p = fixture();
        p["aud"] = json!(["mch_1xxxxx"]);
        p["scopes"] = json!("scope1 scope2");
        p["permissions"] = json!(["read:users"]);
        p["role"] = json!("service");
        let t = map(p);
        assert_eq!(t.scopes, ["scope1", "scope2"]);
        let claims = t.claims.unwrap();
        let mut keys: Vec<&str> = claims.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["aud", "permissions", "role", "scopes"]);

        let t = map(json!({"sub": "s", "exp": 1, "scopes": "scope1 scope2 scope3"}));
        assert_eq!(t.scopes.len(), 3);
        let t = map(json!({"sub": "s", "exp": 1, "scopes": "a b", "aud": ["x", "y"]}));
        assert_eq!(t.scopes, ["a", "b"]);
        let t = map(json!({"sub": "s", "exp": 1}));
        assert!(t.scopes.is_empty() && t.claims.is_none());
        assert_eq!(t.id, "");
        let t = map(json!({"sub": "s", "exp": 1, "scopes": ""}));
        assert_eq!(t.scopes, [""]);
        let t = map(json!({"sub": "s", "exp": 1, "scopes": "a  b"}));
        assert_eq!(t.scopes, ["a", "", "b"]);
        // Deviation: a string `aud` becomes one scope. A nullish `scopes` falls back to `aud`, as upstream.
        let t = map(json!({"sub": "s", "exp": 1, "aud": "mch_b"}));
        assert_eq!(t.scopes, ["mch_b"]);
        let t = map(json!({"sub": "s", "exp": 1, "scopes": null, "aud": ["a"]}));
        assert_eq!(t.scopes, ["a"]);
    }

    // §7.A 30 and E23
    #[test]
    fn expired_flag_and_bad_scopes() {
        let t = to_m2m_token(fixture(), 1_666_648_600_000, 5000.0).unwrap();
        assert!(t.expired);
        let bad = json!({"sub": "s", "exp": 1, "scopes": ["a", "b"]});
        let e = to_m2m_token(bad, 0, 0.0).unwrap_err();
        assert_eq!(e.code(), "token-invalid");
        assert_eq!(
            e.to_string(),
            "Invalid JWT scopes claim. Expected a space-separated string."
        );
    }

    #[test]
    fn missing_iat_gives_zero_and_fractions_are_kept() {
        let t = map(json!({"sub": "s", "exp": 1.5}));
        assert_eq!(
            (t.created_at, t.updated_at, t.expiration),
            (0, 0, Some(1500))
        );
    }
}
