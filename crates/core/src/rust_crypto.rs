//! A pure-Rust [`SignatureVerifier`] (feature `rust-crypto`), for native Rust users and native tests.
//! Never part of the npm build: in WASM it is 7–11× slower than the runtime's WebCrypto.

use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::BigUint;
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::jwks::key::MAX_RSA_BITS;
use crate::ports::{RsaAlgorithm, RsaPublicKey, SignatureVerifier};

/// RSASSA-PKCS1-v1_5 with SHA-256/384/512 through the `rsa` and `sha2` crates.
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
    /// The synchronous check behind [`SignatureVerifier::verify_rsa`].
    pub fn verify_sync(
        alg: RsaAlgorithm,
        key: &RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String> {
        let public = rsa::RsaPublicKey::new_with_max_size(
            BigUint::from_bytes_be(&key.n),
            BigUint::from_bytes_be(&key.e),
            MAX_RSA_BITS,
        )
        .map_err(|e| e.to_string())?;
        let (scheme, digest) = match alg {
            RsaAlgorithm::Rs256 => (
                Pkcs1v15Sign::new::<Sha256>(),
                Sha256::digest(message).to_vec(),
            ),
            RsaAlgorithm::Rs384 => (
                Pkcs1v15Sign::new::<Sha384>(),
                Sha384::digest(message).to_vec(),
            ),
            RsaAlgorithm::Rs512 => (
                Pkcs1v15Sign::new::<Sha512>(),
                Sha512::digest(message).to_vec(),
            ),
        };
        Ok(public.verify(scheme, &digest, signature).is_ok())
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
