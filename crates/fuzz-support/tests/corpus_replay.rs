//! Replays the kept fuzz corpus (`fuzz/corpus/<target>/`) and the fixed crash inputs
//! (`fuzz/regressions/<target>/`) through the same harnesses cargo-fuzz runs (this crate's [`TARGETS`]),
//! natively, asserting that no input panics: `cargo test -p clerk-m2m-fuzz-support --test corpus_replay`.
//! See docs/reliability-fuzzing.md.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use clerk_m2m_fuzz_support::TARGETS;

fn fuzz_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    dir.canonicalize().unwrap_or(dir)
}

/// The files of `fuzz/<kind>/<target>/`, sorted (a missing directory has none).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Runs `target`'s harness on every kept input; returns how many ran. Panics listing every input that
/// panicked.
fn replay(target: &str) -> usize {
    let harness = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, h)| *h)
        .unwrap_or_else(|| panic!("no harness named {target}"));
    let mut ran = 0;
    let mut failures = Vec::new();
    for kind in ["corpus", "regressions"] {
        for path in inputs(kind, target) {
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            ran += 1;
            if catch_unwind(AssertUnwindSafe(|| harness(&data))).is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} of {ran} inputs panic (reproduce with `cargo fuzz run {target} <file>`):\n{}",
        failures.len(),
        failures.join("\n")
    );
    ran
}

fn replay_nonempty(target: &str) {
    let ran = replay(target);
    assert!(
        !inputs("corpus", target).is_empty(),
        "fuzz/corpus/{target}/ is empty: the corpus must stay in the repository"
    );
    eprintln!("{target}: replayed {ran} inputs");
}

#[test]
fn token_parse_corpus() {
    replay_nonempty("token_parse");
}

#[test]
fn jwt_verify_corpus() {
    replay_nonempty("jwt_verify");
}

#[test]
fn jwks_parse_corpus() {
    replay_nonempty("jwks_parse");
}

#[test]
fn bapi_decode_corpus() {
    replay_nonempty("bapi_decode");
}

#[test]
fn params_corpus() {
    replay_nonempty("params");
}

/// Every corpus or regressions directory belongs to a harness, and every harness has a test above.
#[test]
fn corpus_directories_match_the_harnesses() {
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind)) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name),
                "fuzz/{kind}/{name} has no harness in clerk_m2m_fuzz_support::TARGETS"
            );
        }
    }
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "token_parse",
            "jwt_verify",
            "jwks_parse",
            "bapi_decode",
            "params"
        ]
    );
}
