//! A pure-Rust [`SignatureVerifier`] (feature `rust-crypto`), for native Rust users and native tests: the
//! RSASSA-PKCS1-v1_5 check of jwt-compact's [`Rsa`] algorithms. Never part of the npm build, where the
//! runtime's WebCrypto is much faster (docs/compat.md, "jwt-compact: the native paths, not the WASM build").

use jwt_compact::alg::{Rsa, RsaSignature};
use jwt_compact::{Algorithm, AlgorithmSignature};
use rsa::BigUint;

use crate::jwks::key::MAX_RSA_BITS;
use crate::ports::{RsaAlgorithm, RsaPublicKey, SignatureVerifier};

/// RSASSA-PKCS1-v1_5 with SHA-256/384/512 through jwt-compact's `Rsa::rs256()`/`rs384()`/`rs512()`.
///
/// ```
/// # use clerk_m2m_core::{ports::{RsaAlgorithm, RsaPublicKey, SignatureVerifier}, rust_crypto::RustCryptoVerifier};
/// let key = RsaPublicKey { n: vec![0xC5; 256], e: vec![1, 0, 1] };
/// let ok = futures::executor::block_on(RustCryptoVerifier.verify_rsa(RsaAlgorithm::Rs256, &key, b"m", &[0; 256]));
/// assert_eq!(ok, Ok(false));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCryptoVerifier;

impl RustCryptoVerifier {
    /// The synchronous check behind [`SignatureVerifier::verify_rsa`]: `Ok(false)` for a signature that
    /// does not verify, `Err` for a key the `rsa` crate refuses (the `Err` of the port: E10).
    pub fn verify_sync(
        alg: RsaAlgorithm,
        key: &RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        // jwt-compact's verifying key is `rsa::RsaPublicKey`. Built here rather than from a JWK: the key
        // policy allows moduli up to MAX_RSA_BITS, where the `rsa` crate's default limit is 4096 bits.
        let public = rsa::RsaPublicKey::new_with_max_size(
            BigUint::from_bytes_be(&key.n),
            BigUint::from_bytes_be(&key.e),
            MAX_RSA_BITS,
        )
        .map_err(|e| e.to_string())?;
        let algorithm = match alg {
            RsaAlgorithm::Rs256 => Rsa::rs256(),
            RsaAlgorithm::Rs384 => Rsa::rs384(),
            RsaAlgorithm::Rs512 => Rsa::rs512(),
        };
        let signature = RsaSignature::try_from_slice(signature).map_err(|e| e.to_string())?;
        Ok(algorithm.verify_signature(&signature, &public, message))
    }
}

impl SignatureVerifier for RustCryptoVerifier {
    async fn verify_rsa(
        &self,
        alg: RsaAlgorithm,
        key: &RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        Self::verify_sync(alg, key, message, signature)
    }
}
