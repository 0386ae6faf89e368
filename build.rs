//! `wasm-pack test --headless --chrome` (and `--firefox`, `--safari`) sets `WASM_BINDGEN_TEST_ONLY_WEB` for the
//! whole `cargo test` run. The wasm-bindgen test runner skips, with exit 0 and no test run, every test binary not
//! configured with `run_in_browser`, and it skips one that is when `--node` asks for Node. This cfg lets both
//! plain commands run the same suites: the binaries ask for the browser exactly when wasm-pack does.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(wasm_bindgen_browser_tests)");
    println!("cargo::rerun-if-env-changed=WASM_BINDGEN_TEST_ONLY_WEB");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("WASM_BINDGEN_TEST_ONLY_WEB").is_some() {
        println!("cargo::rustc-cfg=wasm_bindgen_browser_tests");
    }
}
