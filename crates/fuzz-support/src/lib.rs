//! The fuzzing harnesses of `clerk-m2m-core`: one function per cargo-fuzz target of `fuzz/fuzz_targets/`,
//! used by those targets and by `tests/corpus_replay.rs`, which runs the same functions over the kept
//! corpus (`fuzz/corpus/<target>/`) and the fixed crash inputs (`fuzz/regressions/<target>/`), so the logic
//! exists once. Every harness takes raw bytes, drives the core through its public API with in-process
//! fakes (clock, timer, HTTP, signature verifier), and panics only when the core panics or one of the
//! invariants asserted here breaks. See `docs/reliability-fuzzing.md`.
//!
//! Test support only (`publish = false`): never a dependency of the shipped crates.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod bapi_decode;
mod checks;
mod executor;
mod fake;
mod json_text;
mod jwks_parse;
mod jwt_verify;
mod params;
mod token_parse;

pub use bapi_decode::bapi_decode;
pub use executor::block_on;
pub use jwks_parse::jwks_parse;
pub use jwt_verify::jwt_verify;
pub use params::params;
pub use token_parse::token_parse;

/// A harness: runs the core on one input; panics only on a bug.
pub type Harness = fn(&[u8]);

/// The fuzz targets: `(name, harness)`. The names are the directories of `fuzz/corpus/` and
/// `fuzz/regressions/` and the binaries of `fuzz/fuzz_targets/`.
pub const TARGETS: [(&str, Harness); 5] = [
    ("token_parse", token_parse),
    ("jwt_verify", jwt_verify),
    ("jwks_parse", jwks_parse),
    ("bapi_decode", bapi_decode),
    ("params", params),
];

/// The fixed `jwtKey` of [`jwt_verify`]: the core's 2048-bit test key (`crates/core/tests/fixtures/`).
pub const FIXTURE_PUBLIC_PEM: &str = include_str!("../../core/tests/fixtures/rsa2048.pub.pem");

/// The `kid` of the fixture key in the JWKS forms of [`jwt_verify`].
pub const FIXTURE_KID: &str = "ins_fuzz";

/// The reference's example time (`2022-10-24T21:50:50Z`), the default fake clock.
pub const REFERENCE_NOW_MS: u64 = 1_666_648_250_000;
