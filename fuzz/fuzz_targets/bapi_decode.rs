//! `cargo fuzz run bapi_decode`: the harness is `clerk_m2m_fuzz_support::bapi_decode`, also replayed over
//! `fuzz/corpus/bapi_decode/` and `fuzz/regressions/bapi_decode/` by
//! `crates/fuzz-support/tests/corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_m2m_fuzz_support::bapi_decode(data));
