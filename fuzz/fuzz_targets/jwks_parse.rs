//! `cargo fuzz run jwks_parse`: the harness is `clerk_m2m_fuzz_support::jwks_parse`, also replayed over
//! `fuzz/corpus/jwks_parse/` and `fuzz/regressions/jwks_parse/` by
//! `crates/fuzz-support/tests/corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_m2m_fuzz_support::jwks_parse(data));
