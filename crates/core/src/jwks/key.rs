//! Key material: RSA public keys from PEM (SPKI or PKCS#1), bare base64 SPKI, a JWK or a JWKS, with one
//! policy (RSA of 2048 to 8192 bits, odd public exponent ≥ 3), and key selection by `kid`.
#![deny(clippy::indexing_slicing)]

use std::rc::Rc;

use serde_json::{Map, Value};

use super::der;
use crate::error::Error;
use crate::jwt::errors;
use crate::ports::{RsaAlgorithm, RsaPublicKey};

/// Smallest accepted modulus.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest accepted modulus.
pub const MAX_RSA_BITS: usize = 8192;

/// A usable verification key and the JWK `alg` it is restricted to, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct JwkKey {
    /// The RSA key.
    pub key: Rc<RsaPublicKey>,
    /// The JWK's `alg`; `None` allows every algorithm of the allow-list. PEM keys are `RS256`, as upstream.
    pub alg: Option<String>,
}

impl JwkKey {
    /// The token's (allow-listed) algorithm must match the key's `alg` when it has one (E10 otherwise, with
    /// the message WebCrypto gives upstream).
    pub(crate) fn check_alg(&self, alg: RsaAlgorithm) -> Result<(), Error> {
        match &self.alg {
            Some(a) if a != alg.jose_name() => Err(errors::jwk_alg_mismatch()),
            _ => Ok(()),
        }
    }

    /// Whether this is the same key material (and restriction) as `key`.
    pub(crate) fn same_key(&self, key: &Rc<RsaPublicKey>) -> bool {
        Rc::ptr_eq(&self.key, key) || *self.key == **key
    }
}

/// Keys by `kid`. An entry that could not be parsed keeps its error, reported (E10) only when a token
/// names it, as a failed key import is upstream.
///
/// A list with one entry per `kid` (a JWKS holds a handful of keys), compared as a map.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    keys: Vec<(String, Result<JwkKey, String>)>,
}

impl PartialEq for KeySet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .keys
                .iter()
                .all(|(kid, entry)| other.get(kid) == Some(entry))
    }
}

impl KeySet {
    /// The entry for `kid` (the reference's `String(kid)` lookup string).
    pub fn get(&self, kid: &str) -> Option<&Result<JwkKey, String>> {
        self.keys
            .iter()
            .find(|(k, _)| k == kid)
            .map(|(_, entry)| entry)
    }

    /// Sets the entry for `kid`, replacing an earlier one.
    fn insert(&mut self, kid: String, entry: Result<JwkKey, String>) {
        match self.keys.iter_mut().find(|(k, _)| *k == kid) {
            Some((_, slot)) => *slot = entry,
            None => self.keys.push((kid, entry)),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of entries holding a usable key.
    pub fn usable(&self) -> usize {
        self.keys.iter().filter(|(_, k)| k.is_ok()).count()
    }
}

/// Applies the key policy to a modulus and exponent (leading zero bytes allowed on input).
pub fn rsa_key(n: &[u8], e: &[u8]) -> Result<RsaPublicKey, String> {
    let strip = |b: &[u8]| -> Vec<u8> {
        let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
        b.get(start..).unwrap_or_default().to_vec()
    };
    let key = RsaPublicKey {
        n: strip(n),
        e: strip(e),
    };
    let bits = key.bits();
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err([
            "RSA keys of ",
            itoa::Buffer::new().format(bits as u64),
            " bits are not accepted (only ",
            itoa::Buffer::new().format(MIN_RSA_BITS as u64),
            " to ",
            itoa::Buffer::new().format(MAX_RSA_BITS as u64),
            " bits)",
        ]
        .concat());
    }
    let odd = key.n.last().is_some_and(|b| b & 1 == 1);
    if !odd {
        return Err("the RSA modulus must be odd".to_owned());
    }
    let e_small = key.e.len() == 1 && key.e.first().is_some_and(|b| *b < 3);
    if key.e.is_empty() || e_small || key.e.last().is_some_and(|b| b & 1 == 0) {
        return Err("the RSA public exponent must be an odd number of at least 3".to_owned());
    }
    if key.e.len() >= key.n.len() {
        return Err("the RSA public exponent must be smaller than the modulus".to_owned());
    }
    Ok(key)
}

/// Base64url without padding (tolerating trailing `=`), as JWK numbers are encoded.
fn b64url(s: &str) -> Option<Vec<u8>> {
    crate::base64url::decode(s.trim_end_matches('='))
}

/// One JWK object → a key, or why it cannot be used.
pub fn parse_jwk(jwk: &Map<String, Value>) -> Result<JwkKey, String> {
    match jwk.get("kty") {
        Some(Value::String(k)) if k == "RSA" => {}
        _ => return Err("the JWK is not an RSA key (kty must be \"RSA\")".to_owned()),
    }
    match jwk.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        _ => return Err("the JWK is not a signature key (use must be \"sig\")".to_owned()),
    }
    let alg = match jwk.get("alg") {
        None => None,
        Some(Value::String(a)) => Some(a.clone()),
        Some(_) => return Err("the JWK alg must be a string".to_owned()),
    };
    let number = |name: &str| -> Result<Vec<u8>, String> {
        jwk.get(name)
            .and_then(Value::as_str)
            .and_then(b64url)
            .ok_or_else(|| ["the JWK \"", name, "\" must be a base64url string"].concat())
    };
    let key = rsa_key(&number("n")?, &number("e")?)?;
    Ok(JwkKey {
        key: Rc::new(key),
        alg,
    })
}

/// A JWKS object `{"keys": [...]}`; `None` when `keys` is missing, not an array or empty (E3 upstream).
pub fn parse_jwks(jwks: &Map<String, Value>) -> Option<KeySet> {
    let keys = jwks.get("keys")?.as_array()?;
    if keys.is_empty() {
        return None;
    }
    let mut set = KeySet::default();
    for key in keys {
        // Indexed by `String(kid)`, later duplicates winning, like the reference's object cache.
        let kid = crate::js::to_string(key.get("kid"));
        let parsed = match key {
            Value::Object(map) => parse_jwk(map),
            _ => Err("the JWKS entry is not an object".to_owned()),
        };
        set.insert(kid, parsed);
    }
    Some(set)
}

/// A `jwtKey` as parsed once: one key (PEM or a single JWK: the token's `kid` is only a label, as with the
/// reference's PEM) or a key set (a JWKS: selected by `kid`).
#[derive(Debug, Clone, PartialEq)]
pub enum LocalKeys {
    /// One key for every token.
    Single(JwkKey),
    /// Keys by `kid`.
    Set(KeySet),
}

/// `text.split_once(needle)` for a non-empty ASCII `needle`, by a plain scan: PEM texts are short, and the
/// two-way searcher of `str` patterns would cost the wasm several KB.
fn split_once_ascii<'a>(text: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let at = (0..text.len()).find(|&i| {
        text.as_bytes()
            .get(i..)
            .is_some_and(|tail| tail.starts_with(needle.as_bytes()))
    })?;
    Some((text.get(..at)?, text.get(at + needle.len()..)?))
}

/// The decoded body of the first `-----BEGIN {label}-----` block of `text`.
fn pem_body(text: &str, label: &str) -> Result<Vec<u8>, String> {
    let begin = ["-----BEGIN ", label, "-----"].concat();
    let after = split_once_ascii(text, &begin)
        .map(|(_, rest)| rest)
        .ok_or_else(|| "malformed PEM".to_owned())?;
    let end = ["-----END ", label, "-----"].concat();
    let body = split_once_ascii(after, &end)
        .map(|(body, _)| body)
        .ok_or_else(|| ["the PEM has no \"", &end, "\" line"].concat())?;
    decode_base64_body(body).ok_or_else(|| "the PEM body is not valid base64".to_owned())
}

/// `s` without each `\` followed by the ASCII `letter` (left to right, as `str::replace` removes such
/// pairs). Bytewise: ASCII bytes never occur inside a multi-byte UTF-8 character.
fn remove_escape(s: &[u8], letter: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut backslash = false;
    for &b in s {
        if backslash {
            backslash = false;
            if b == letter {
                continue;
            }
            out.push(b'\\');
        }
        if b == b'\\' {
            backslash = true;
        } else {
            out.push(b);
        }
    }
    if backslash {
        out.push(b'\\');
    }
    out
}

/// Standard or URL-safe base64 with whitespace (and the literal `\n` of env files) removed: canonical and
/// unpadded once up to two trailing `=` are dropped (what `base64ct`'s `Base64Unpadded` accepts, with `-`/`_`
/// read as `+`/`/`), decoded by the crate's base64url table decoder with `+`/`/` read as `-`/`_`.
fn decode_base64_body(body: &str) -> Option<Vec<u8>> {
    // Two passes, as two `replace` calls: removing `\n` can bring a `\` and an `r` together.
    let mut cleaned = remove_escape(&remove_escape(body.as_bytes(), b'n'), b'r');
    cleaned.retain(|b| !b.is_ascii_whitespace());
    for b in &mut cleaned {
        match *b {
            b'+' => *b = b'-',
            b'/' => *b = b'_',
            _ => {}
        }
    }
    let padding = cleaned.iter().rev().take_while(|b| **b == b'=').count();
    cleaned.truncate(cleaned.len() - padding);
    if padding > 2 || cleaned.is_empty() {
        return None;
    }
    crate::base64url::decode_bytes(&cleaned)
}

/// Parses a `jwtKey` (`CLERK_JWT_KEY`): a PEM `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1), a bare
/// base64 SPKI body, a JWK or a JWKS (JSON). The error says why, without repeating the input.
///
/// ```
/// use clerk_m2m_core::jwks::key::{parse_jwt_key, LocalKeys};
/// assert!(parse_jwt_key("not a key").is_err());
/// assert!(parse_jwt_key(r#"{"keys":[]}"#).is_err());
/// ```
pub fn parse_jwt_key(text: &str) -> Result<LocalKeys, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let value: Value = serde_json::from_str(trimmed)
            .map_err(|_| "jwtKey looks like JSON but does not parse".to_owned())?;
        let map = value
            .as_object()
            .ok_or_else(|| "jwtKey JSON must be a JWK or a JWKS object".to_owned())?;
        if map.contains_key("keys") {
            let set = parse_jwks(map).ok_or_else(|| "the jwtKey JWKS has no keys".to_owned())?;
            if set.usable() == 0 {
                let why = set.keys.iter().find_map(|(_, k)| k.as_ref().err());
                return Err([
                    "the jwtKey JWKS has no usable key: ",
                    why.map_or("", String::as_str),
                ]
                .concat());
            }
            return Ok(LocalKeys::Set(set));
        }
        return parse_jwk(map).map(LocalKeys::Single);
    }
    let has = |needle: &str| split_once_ascii(trimmed, needle).is_some();
    let (n, e) = if has("-----BEGIN PUBLIC KEY-----") {
        der::parse_spki(&pem_body(trimmed, "PUBLIC KEY")?)?
    } else if has("-----BEGIN RSA PUBLIC KEY-----") {
        der::parse_pkcs1(&pem_body(trimmed, "RSA PUBLIC KEY")?)?
    } else if has("-----BEGIN") {
        return Err(
            "unsupported PEM block: use \"PUBLIC KEY\" or \"RSA PUBLIC KEY\" (never a private key)"
                .to_owned(),
        );
    } else {
        let der = decode_base64_body(trimmed)
            .ok_or_else(|| "jwtKey is neither PEM, base64 SPKI, JWK nor JWKS".to_owned())?;
        der::parse_spki(&der)?
    };
    Ok(LocalKeys::Single(JwkKey {
        key: Rc::new(rsa_key(&n, &e)?),
        // The reference tags the PEM-derived JWK `RS256`, so RS384/RS512 tokens fail with E10.
        alg: Some(RsaAlgorithm::Rs256.jose_name().to_owned()),
    }))
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
    use base64ct::{Base64, Base64Unpadded, Base64UrlUnpadded, Encoding};
    use serde_json::json;

    /// `decode_base64_body` before it used the table decoder: `-`/`_` mapped to `+`/`/`, then base64ct.
    fn base64ct_body(body: &str) -> Option<Vec<u8>> {
        let mut cleaned = remove_escape(&remove_escape(body.as_bytes(), b'n'), b'r');
        cleaned.retain(|b| !b.is_ascii_whitespace());
        let cleaned: String = String::from_utf8(cleaned)
            .unwrap()
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                other => other,
            })
            .collect();
        let unpadded = cleaned.trim_end_matches('=');
        if cleaned.len() - unpadded.len() > 2 || unpadded.is_empty() {
            return None;
        }
        Base64Unpadded::decode_vec(unpadded).ok()
    }

    #[test]
    fn base64_body_matches_base64ct() {
        let mut bodies: Vec<String> = vec![
            "".into(),
            "=".into(),
            "AA==".into(),
            "AA===".into(),
            "AB==".into(),
            "AAA=".into(),
            "AAB=".into(),
            "A".into(),
            "-_+/".into(),
            "+/-_AA".into(),
            "AA\\nAA".into(),
            "A A\tA\rA".into(),
            "AA=AA".into(),
            "\u{e9}AAA".into(),
            "AA.A".into(),
        ];
        for len in 0..40usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 151 + len * 7) as u8).collect();
            let standard = Base64::encode_string(&data);
            bodies.push(standard.clone());
            bodies.push(Base64UrlUnpadded::encode_string(&data));
            bodies.push(standard.replace('=', ""));
            bodies.push(format!("{standard}\n"));
        }
        let mut state = 0x1234_5678_9abc_def1_u64;
        const ALPHABET: &[u8] = b"AQgw+/-_=  \\nr9Z";
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = usize::try_from(state % 11).unwrap();
            let body: String = (0..len)
                .map(|i| {
                    let k = usize::try_from((state >> (5 * i)) % 17).unwrap();
                    char::from(ALPHABET[k % ALPHABET.len()])
                })
                .collect();
            bodies.push(body);
        }
        for body in &bodies {
            assert_eq!(decode_base64_body(body), base64ct_body(body), "{body:?}");
        }
    }

    fn modulus(bits: usize) -> Vec<u8> {
        let mut n = vec![0xffu8; bits / 8];
        if let Some(first) = n.first_mut() {
            *first = 0xC5;
        }
        n
    }

    #[test]
    fn policy() {
        assert!(rsa_key(&modulus(2048), &[1, 0, 1]).is_ok());
        assert!(rsa_key(&modulus(8192), &[3]).is_ok());
        let mut leading_zero = vec![0];
        leading_zero.extend(modulus(2048));
        assert_eq!(rsa_key(&leading_zero, &[0, 1, 0, 1]).unwrap().n.len(), 256);
        assert!(rsa_key(&modulus(1024), &[1, 0, 1])
            .unwrap_err()
            .contains("1024 bits"));
        assert!(rsa_key(&modulus(2040), &[1, 0, 1]).is_err());
        assert!(rsa_key(&modulus(8200), &[1, 0, 1]).is_err());
        for e in [&[][..], &[1], &[2], &[0, 1], &[1, 0, 0]] {
            assert!(rsa_key(&modulus(2048), e).is_err(), "{e:?}");
        }
        let mut even = modulus(2048);
        *even.last_mut().unwrap() = 0xfe;
        assert!(rsa_key(&even, &[3]).is_err());
        assert!(rsa_key(&modulus(2048), &modulus(2048)).is_err());
    }

    #[test]
    fn jwk_and_jwks() {
        let n = Base64UrlUnpadded::encode_string(&modulus(2048));
        let jwk =
            json!({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "use": "sig", "kid": "k1"});
        let k = parse_jwk(jwk.as_object().unwrap()).unwrap();
        assert_eq!(k.alg.as_deref(), Some("RS256"));
        assert!(k.check_alg(RsaAlgorithm::Rs256).is_ok());
        assert_eq!(
            k.check_alg(RsaAlgorithm::Rs384).unwrap_err().to_string(),
            "Error verifying JWT signature. Error: JWK \"alg\" does not match the requested algorithm"
        );
        for bad in [
            json!({"kty": "EC", "n": n, "e": "AQAB"}),
            json!({"kty": "RSA", "n": n}),
            json!({"kty": "RSA", "n": n, "e": "AQAB", "use": "enc"}),
            json!({"kty": "RSA", "n": "!!", "e": "AQAB"}),
            json!({"kty": "RSA", "n": 5, "e": "AQAB"}),
            json!({"kty": "RSA", "n": n, "e": "AQAB", "alg": 1}),
        ] {
            assert!(parse_jwk(bad.as_object().unwrap()).is_err(), "{bad}");
        }
        let set = parse_jwks(
            json!({"keys": [jwk, {"kty": "oct", "kid": "k2"}, {"kty": "RSA", "n": n, "e": "AQAB"}, 7]})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert!(matches!(set.get("k1"), Some(Ok(_))));
        assert!(matches!(set.get("k2"), Some(Err(_))));
        assert!(set.get("undefined").is_some());
        assert!(set.get("k3").is_none());
        assert!(parse_jwks(json!({"keys": []}).as_object().unwrap()).is_none());
        assert!(parse_jwks(json!({}).as_object().unwrap()).is_none());
        assert!(parse_jwks(json!({"keys": {}}).as_object().unwrap()).is_none());
    }

    #[test]
    fn garbage_jwt_keys() {
        for bad in [
            "",
            "not a key",
            "{",
            "[]",
            "{\"kty\":\"RSA\"}",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nMIIB\n",
            "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "-----BEGIN RSA PUBLIC KEY-----\n@@@@\n-----END RSA PUBLIC KEY-----",
            "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
        ] {
            assert!(parse_jwt_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_helpers_match_str_methods() {
        let texts = [
            "",
            "\\",
            "\\n",
            "\\\\nr",
            "AAAA\\\\nrBBBB",
            "\\r\\n\\\\rn",
            "x\\nn\\\\\\n\\ré\\",
            "-----BEGIN PUBLIC KEY-----x-----END PUBLIC KEY-----",
            "--------BEGIN PUBLIC KEY------END PUBLIC KEY----END PUBLIC KEY-----",
            "é-----BEGIN RSA PUBLIC KEY-----",
            "-----BEGIN",
            "-----BEGI",
        ];
        for text in texts {
            let bytes = text.as_bytes();
            assert_eq!(
                remove_escape(bytes, b'n'),
                text.replace("\\n", "").as_bytes(),
                "{text:?}"
            );
            assert_eq!(
                remove_escape(&remove_escape(bytes, b'n'), b'r'),
                text.replace("\\n", "").replace("\\r", "").as_bytes(),
                "{text:?}"
            );
            for needle in [
                "-----BEGIN",
                "-----BEGIN PUBLIC KEY-----",
                "-----BEGIN RSA PUBLIC KEY-----",
                "-----END PUBLIC KEY-----",
                "\\n",
            ] {
                assert_eq!(
                    split_once_ascii(text, needle),
                    text.split_once(needle),
                    "{text:?} {needle:?}"
                );
            }
        }
        // The two passes matter: removing `\n` joins a `\` and an `r`.
        let key = "MIIB\\\\nrIjAN";
        assert_eq!(decode_base64_body(key), decode_base64_body("MIIBIjAN"));
    }

    #[test]
    fn key_set_is_a_map_by_kid() {
        let jwk = |kid: &str, kty: &str| json!({"kid": kid, "kty": kty});
        let a = parse_jwks(
            json!({"keys": [jwk("1", "RSA"), jwk("2", "EC"), jwk("1", "oct"), {"kty": "x"}]})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(a.len(), 3);
        // Later duplicates win; a missing kid is the lookup string `undefined`.
        assert!(a.get("1").unwrap().as_ref().unwrap_err().contains("kty"));
        assert!(a.get("undefined").is_some() && a.get("3").is_none());
        let b = parse_jwks(
            json!({"keys": [{"kty": "x"}, jwk("2", "EC"), jwk("1", "oct")]})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(a, b);
        let c = parse_jwks(
            json!({"keys": [jwk("2", "EC"), jwk("1", "oct")]})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_ne!(a, c);
        assert_ne!(c, a);
    }
}
