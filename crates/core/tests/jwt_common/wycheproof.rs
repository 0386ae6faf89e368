//! The Wycheproof RSASSA-PKCS1-v1_5 signature vectors for SHA-256, SHA-384 and SHA-512 (2048 to 8192-bit
//! keys), as plain data, so that the same vectors run through any `SignatureVerifier`: the native
//! `RustCryptoVerifier` in `tests/jwt_wycheproof.rs`, and WebCrypto in the edge crate's wasm tests, which
//! can include this file with `#[path = "../crates/core/tests/jwt_common/wycheproof.rs"] mod wycheproof;`
//! (it needs only the `wycheproof` crate, with feature `rsa_sig`, and `clerk_m2m_core::ports`).
#![allow(dead_code)]

use clerk_m2m_core::ports::RsaAlgorithm;
use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
use wycheproof::{HashFunction, TestResult};

/// What a vector's verification must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// Must verify.
    Valid,
    /// Must not verify.
    Invalid,
    /// Either answer is acceptable (legacy encodings and the like).
    Acceptable,
}

impl Expected {
    /// Whether `verified` is an acceptable answer.
    pub fn allows(self, verified: bool) -> bool {
        match self {
            Expected::Valid => verified,
            Expected::Invalid => !verified,
            Expected::Acceptable => true,
        }
    }
}

/// One signature check.
#[derive(Debug, Clone)]
pub struct RsaVector {
    /// e.g. `rsa_signature_2048_sha256#17`.
    pub id: String,
    /// The test's comment.
    pub comment: String,
    /// The hash, as a JOSE algorithm.
    pub alg: RsaAlgorithm,
    /// Modulus, big-endian, no leading zero byte.
    pub n: Vec<u8>,
    /// Public exponent, big-endian, no leading zero byte.
    pub e: Vec<u8>,
    /// The signed message.
    pub msg: Vec<u8>,
    /// The signature.
    pub sig: Vec<u8>,
    /// The expected outcome.
    pub expected: Expected,
}

/// One test group's public key, in every encoding Wycheproof ships.
#[derive(Debug, Clone)]
pub struct RsaGroupKey {
    /// The test set name.
    pub set: String,
    /// SPKI PEM.
    pub pem: String,
    /// SPKI DER.
    pub der: Vec<u8>,
    /// Modulus, no leading zero byte.
    pub n: Vec<u8>,
    /// Public exponent, no leading zero byte.
    pub e: Vec<u8>,
}

fn strip(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b[start..].to_vec()
}

fn algorithm(hash: &HashFunction) -> Option<RsaAlgorithm> {
    match hash {
        HashFunction::Sha2_256 => Some(RsaAlgorithm::Rs256),
        HashFunction::Sha2_384 => Some(RsaAlgorithm::Rs384),
        HashFunction::Sha2_512 => Some(RsaAlgorithm::Rs512),
        _ => None,
    }
}

fn sets() -> Vec<(String, TestSet)> {
    TestName::all()
        .into_iter()
        .map(|name| {
            let label = format!("{name:?}");
            (label, TestSet::load(name).expect("wycheproof data loads"))
        })
        .collect()
}

/// Every SHA-256/384/512 vector.
pub fn rsa_pkcs1_vectors() -> Vec<RsaVector> {
    let mut out = Vec::new();
    for (set, tests) in sets() {
        for group in &tests.test_groups {
            let Some(alg) = algorithm(&group.hash) else {
                continue;
            };
            for t in &group.tests {
                out.push(RsaVector {
                    id: format!("{set}#{}", t.tc_id),
                    comment: t.comment.clone(),
                    alg,
                    n: strip(&group.key.n),
                    e: strip(&group.key.e),
                    msg: t.msg.to_vec(),
                    sig: t.sig.to_vec(),
                    expected: match t.result {
                        TestResult::Valid => Expected::Valid,
                        TestResult::Invalid => Expected::Invalid,
                        TestResult::Acceptable => Expected::Acceptable,
                    },
                });
            }
        }
    }
    out
}

/// The public key of every SHA-256/384/512 test group.
pub fn rsa_pkcs1_group_keys() -> Vec<RsaGroupKey> {
    let mut out = Vec::new();
    for (set, tests) in sets() {
        for group in &tests.test_groups {
            if algorithm(&group.hash).is_none() {
                continue;
            }
            out.push(RsaGroupKey {
                set: set.clone(),
                pem: group.pem.clone(),
                der: group.der.to_vec(),
                n: strip(&group.key.n),
                e: strip(&group.key.e),
            });
        }
    }
    out
}
