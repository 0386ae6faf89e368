//! Runtime-agnostic core of `clerk-m2m-edge`.
//!
//! Everything that decides something lives here: wire types, request building, response decoding, error
//! mapping, the retry policy, JWT checks and the JWKS cache. I/O, time and signature checks come in through
//! the small traits of [`ports`], so the same code runs natively (tests, workers-rs users) and in WASM.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod authenticate;
pub mod base64url;
mod bytes;
pub mod config;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
mod js;
pub mod jwks;
pub mod jwt;
pub mod m2m;
pub mod machine;
pub mod params;
pub mod ports;
pub mod retry;
#[cfg(feature = "rust-crypto")]
pub mod rust_crypto;
pub mod token;
pub mod verify;
pub mod wire;

pub use config::{ClientConfig, Secret};
pub use error::{
    ApiError, ApiErrorMeta, ApiResponseError, Error, VerificationError, VerificationErrorCode,
};
pub use token::{M2mToken, M2mTokenPage};

/// The version of this package, as published to npm and crates.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `Clerk-API-Version` header value this client speaks (reference Appendix A).
pub const SUPPORTED_BAPI_VERSION: &str = "2026-05-12";

/// Default Backend API base URL.
pub const DEFAULT_API_URL: &str = "https://api.clerk.com";

/// Default API version path segment (used for `/v1/jwks`; M2M paths have none).
pub const DEFAULT_API_VERSION: &str = "v1";

/// The default `User-Agent` sent to the Backend API.
pub fn default_user_agent() -> String {
    format!("clerk-m2m-edge@{VERSION}")
}
