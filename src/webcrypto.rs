//! RSA signature checks through the runtime's WebCrypto, with each imported `CryptoKey` cached, so that a
//! warm verification costs one `crypto.subtle.verify` and nothing else.

use std::cell::RefCell;
use std::rc::Rc;

use clerk_m2m_core::ports::{RsaAlgorithm, RsaPublicKey, SignatureVerifier};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::platform::WebPlatform;

/// Imported keys are few (one per signing key and hash); the bound only guards against a flood of distinct
/// attacker-chosen JWKs, which never get this far anyway.
const MAX_CACHED_KEYS: usize = 64;

/// An imported key. Found by identity (the parsed key the sync path holds, one pointer comparison) or else by
/// comparing key bytes: with a handful of keys either is cheaper than hashing a modulus per verification.
struct ImportedKey {
    key: Rc<RsaPublicKey>,
    alg: RsaAlgorithm,
    crypto_key: CryptoKey,
}

thread_local! {
    static KEYS: RefCell<Vec<ImportedKey>> = const { RefCell::new(Vec::new()) };
}

/// The `CryptoKey` imported earlier for `key` and `alg`, if any: no promise, no import. Each entry is tried by
/// pointer first, then by value; a match adopts `key`, so that the next lookup of the same parsed key is a
/// pointer comparison.
pub(crate) fn cached_crypto_key(alg: RsaAlgorithm, key: &Rc<RsaPublicKey>) -> Option<CryptoKey> {
    KEYS.with(|cell| {
        let mut keys = cell.borrow_mut();
        let k = keys
            .iter_mut()
            .find(|k| k.alg == alg && (Rc::ptr_eq(&k.key, key) || *k.key == **key))?;
        k.key = key.clone();
        Some(k.crypto_key.clone())
    })
}

fn cached_by_value(alg: RsaAlgorithm, key: &RsaPublicKey) -> Option<CryptoKey> {
    KEYS.with(|cell| {
        cell.borrow()
            .iter()
            .find(|k| k.alg == alg && *k.key == *key)
            .map(|k| k.crypto_key.clone())
    })
}

fn remember(alg: RsaAlgorithm, key: &RsaPublicKey, crypto_key: CryptoKey) {
    KEYS.with(|cell| {
        let mut keys = cell.borrow_mut();
        if keys.len() >= MAX_CACHED_KEYS {
            keys.clear();
        }
        keys.push(ImportedKey {
            key: Rc::new(key.clone()),
            alg,
            crypto_key,
        });
    });
}

/// `crypto.subtle` of the global scope, by shape (`globalThis.crypto` in every runtime; no `Window`).
fn subtle() -> Result<SubtleCrypto, String> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into())
        .map_err(|_| "crypto is not available".to_owned())?;
    let subtle = Reflect::get(&crypto, &"subtle".into())
        .map_err(|_| "crypto.subtle is not available".to_owned())?;
    if subtle.is_undefined() || subtle.is_null() {
        return Err("crypto.subtle is not available in this runtime (browsers expose it only in secure contexts)".to_owned());
    }
    Ok(subtle.unchecked_into())
}

pub(crate) fn js_message(e: &JsValue) -> String {
    // "<name>: <message>", like String(error) in JS, which is what the reference embeds in E10.
    let get = |k: &str| Reflect::get(e, &k.into()).ok().and_then(|v| v.as_string());
    match (get("name"), get("message")) {
        (Some(name), Some(message)) => [name, message].join(": "),
        (_, Some(message)) => message,
        _ => e.as_string().unwrap_or_else(|| "unknown error".to_owned()),
    }
}

async fn crypto_key(
    subtle: &SubtleCrypto,
    alg: RsaAlgorithm,
    key: &RsaPublicKey,
) -> Result<CryptoKey, String> {
    if let Some(found) = cached_by_value(alg, key) {
        return Ok(found);
    }
    let jwk = Object::new();
    let set = |o: &Object, k: &str, v: &JsValue| {
        let _ = Reflect::set(o, &k.into(), v);
    };
    set(&jwk, "kty", &"RSA".into());
    set(&jwk, "n", &clerk_m2m_core::base64url::encode(&key.n).into());
    set(&jwk, "e", &clerk_m2m_core::base64url::encode(&key.e).into());
    let algorithm = Object::new();
    set(&algorithm, "name", &"RSASSA-PKCS1-v1_5".into());
    set(&algorithm, "hash", &alg.hash_name().into());
    let usages = Array::of1(&"verify".into());
    let promise = subtle
        .import_key_with_object("jwk", &jwk, &algorithm, false, &usages)
        .map_err(|e| js_message(&e))?;
    let imported: CryptoKey = JsFuture::from(promise)
        .await
        .map_err(|e| js_message(&e))?
        .unchecked_into();
    remember(alg, key, imported.clone());
    Ok(imported)
}

/// Imports `key` for `alg` into the cache of imported keys, unless it is there already: whether it is now.
pub(crate) async fn import(alg: RsaAlgorithm, key: &RsaPublicKey) -> bool {
    match subtle() {
        Ok(subtle) => crypto_key(&subtle, alg, key).await.is_ok(),
        Err(_) => false,
    }
}

impl SignatureVerifier for WebPlatform {
    async fn verify_rsa(
        &self,
        alg: RsaAlgorithm,
        key: &RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        let subtle = subtle()?;
        let crypto_key = crypto_key(&subtle, alg, key).await?;
        let promise = subtle
            .verify_with_str_and_u8_array_and_u8_array(
                "RSASSA-PKCS1-v1_5",
                &crypto_key,
                signature,
                message,
            )
            .map_err(|e| js_message(&e))?;
        let verdict = JsFuture::from(promise).await.map_err(|e| js_message(&e))?;
        Ok(verdict.as_bool() == Some(true))
    }
}

#[cfg(test)]
mod tests {
    //! WebCrypto against the pure-Rust verifier on every Wycheproof RSASSA-PKCS1-v1_5 vector (SHA-256/384/512):
    //! both must give the expected answer, and the same answer as each other.
    use clerk_m2m_core::ports::SignatureVerifier;
    use clerk_m2m_core::rust_crypto::RustCryptoVerifier;
    use wasm_bindgen_test::wasm_bindgen_test;

    use crate::platform::WebPlatform;
    use crate::wycheproof_vectors;

    #[wasm_bindgen_test]
    async fn wycheproof_rsa_pkcs1_webcrypto_agrees_with_rust() {
        use clerk_m2m_core::ports::Timer;
        let web = WebPlatform::plain(None);
        let vectors = wycheproof_vectors::rsa_pkcs1_vectors();
        assert!(vectors.len() > 3000, "the vector sets are all there");
        let mut disagreements = Vec::new();
        for (i, v) in vectors.iter().enumerate() {
            let key = clerk_m2m_core::ports::RsaPublicKey {
                n: v.n.clone(),
                e: v.e.clone(),
            };
            let web_verdict = web
                .verify_rsa(v.alg, &key, &v.msg, &v.sig)
                .await
                .unwrap_or(false);
            if !v.expected.allows(web_verdict) {
                disagreements.push(format!(
                    "{} ({}): web {web_verdict}, expected {:?}",
                    v.id, v.comment, v.expected
                ));
            }
            // Where Wycheproof accepts either answer, the two verifiers must still give the same one; elsewhere
            // both matching the expected answer is agreement (the native suite checks the Rust side on all).
            if v.expected == wycheproof_vectors::Expected::Acceptable {
                let rust_verdict = RustCryptoVerifier
                    .verify_rsa(v.alg, &key, &v.msg, &v.sig)
                    .await
                    .unwrap_or(false);
                if rust_verdict != web_verdict {
                    disagreements.push(format!(
                        "{} ({}): web {web_verdict}, rust {rust_verdict}",
                        v.id, v.comment
                    ));
                }
            }
            if i % 200 == 0 {
                // Let the test runner's driver talk to the page between batches.
                web.sleep(0).await;
            }
        }
        assert!(
            disagreements.is_empty(),
            "{} disagreements:\n{}",
            disagreements.len(),
            disagreements.join("\n")
        );
    }
}
