//! `cargo fuzz run token_parse`: the harness is `clerk_m2m_fuzz_support::token_parse`, also replayed over
//! `fuzz/corpus/token_parse/` and `fuzz/regressions/token_parse/` by
//! `crates/fuzz-support/tests/corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clerk_m2m_fuzz_support::token_parse(data));
