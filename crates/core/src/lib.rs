//! Runtime-agnostic core of `clerk-m2m-edge`.
//!
//! Everything that decides something lives here: wire types, request building, response decoding, error
//! mapping, the retry policy, JWT checks and the JWKS cache. I/O, time and signature checks come in through
//! the small traits of [`ports`], so the same code runs natively (tests, workers-rs users) and in WASM.
//!
//! ## Layers
//!
//! Each module uses only modules of the layers below it (and, inside a directory module, siblings of its
//! own layer); `tests/module_layers.rs` reads this list and fails on an import that breaks it, or on a
//! cycle. Bottom to top:
//!
//! 1. `error`, `bytes`, `base64url`, `js`, `json_object`, `ports`: errors, byte and JS-text helpers, JWT objects
//!    as `JSON.parse` builds them, the platform traits.
//! 2. `validate`, `url`, `machine`, `token`: option values, the `apiUrl` grammar, token classification,
//!    the M2M token type.
//! 3. `retry`, `flight`: the retry policy, the single flight (one request, bounded waiters).
//! 4. `config`: the client configuration.
//! 5. `http`, `params`: request building, the four calls' params.
//! 6. `wire`: the Backend API wire format.
//! 7. `m2m`: the Backend API calls.
//! 8. `machines`, `opaque_cache`, `rate_limit`: the calls of `clerkClient.machines` (they send and retry as `m2m` does),
//!    the opaque-token single flight and caches, the `machineTokenRateLimiter` buckets.
//! 9. `jwt::errors`, `jwt::header`, `jwt::claims`, `jwt::verified`, `jwt::cache`, `jwt::options`: the JWT
//!    checks, the verified-token cache and the JWT options.
//! 10. `jwks`: key resolution (`jwtKey`, the JWKS cache).
//! 11. `jwt::pipeline`, `jwt`, `rust_crypto`: the verification pipeline (it resolves keys), the `jwt`
//!     facade, the pure-Rust signature verifier.
//! 12. `verify`: `m2m.verify` routing (local JWT or Backend API).
//! 13. `authenticate`: `authenticateRequest`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod authenticate;
pub mod base64url;
mod bytes;
pub mod config;
pub mod error;
mod flight;
pub mod http;
mod js;
pub mod json_object;
pub mod jwks;
pub mod jwt;
pub mod m2m;
pub mod machine;
pub mod machines;
pub mod opaque_cache;
pub mod params;
pub mod ports;
pub mod rate_limit;
pub mod retry;
#[cfg(feature = "rust-crypto")]
pub mod rust_crypto;
pub mod token;
mod url;
mod validate;
pub mod verify;
pub mod wire;

pub use config::{ClientConfig, Secret};
pub use error::{
    ApiError, ApiErrorMeta, ApiResponseError, Error, VerificationError, VerificationErrorCode,
};
pub use js::{JsInteger, JsJson, JsJsonObject};
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

/// Internals that the fuzzing harnesses (`crates/fuzz-support`) call directly to check that they never panic
/// on any input. Not an API: hidden from the docs, with no stability promise.
#[doc(hidden)]
pub mod __private {
    /// `Number.prototype.toString()` of a double (the numbers in the reference's messages).
    pub use crate::js::number;
    /// `new Date(ms).toUTCString()` (the dates in the claim messages).
    pub use crate::js::utc_string;
    /// A parameter name as the messages quote it.
    pub use crate::validate::quote_key;
}
