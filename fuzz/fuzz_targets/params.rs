//! `cargo fuzz run params`: the harness is `clerk_m2m_fuzz_support::params`, also replayed over
//! `fuzz/corpus/params/` and `fuzz/regressions/params/` by
//! `crates/fuzz-support/tests/corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_m2m_fuzz_support::params(data));
