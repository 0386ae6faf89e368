//! `cargo fuzz run jwt_verify`: the harness is `clerk_m2m_fuzz_support::jwt_verify`, also replayed over
//! `fuzz/corpus/jwt_verify/` and `fuzz/regressions/jwt_verify/` by
//! `crates/fuzz-support/tests/corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_m2m_fuzz_support::jwt_verify(data));
