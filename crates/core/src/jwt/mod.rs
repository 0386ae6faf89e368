//! Local verification of JWT-format M2M tokens (reference §4.2–§4.6).
//!
//! The pipeline ([`verify_m2m_jwt`]) runs the reference's steps in its order: `cat` (before any key work),
//! key resolution, `typ`, `alg`, signature, claims, result mapping. Only after the signature check does a
//! [`VerifiedToken`] exist, and only the claim checks and the result mapping accept it.

pub mod cache;
pub mod claims;
pub(crate) mod errors;
mod header;
pub mod options;
mod pipeline;
pub mod verified;

pub use cache::VerifiedTokenCache;
pub use claims::DEFAULT_CLOCK_SKEW_MS;
pub use options::{JwtOptions, VerifyCallOptions, NON_FINITE_MEANS_UNSET};
pub(crate) use pipeline::{complete, prepare_m2m_jwt, DecodedParts};
pub use pipeline::{verify_m2m_jwt, PendingKey, PendingSignature, Prepared};
pub use verified::{Verification, VerifiedToken};
