//! wasm-bindgen tests of the WASM boundary, run in Node (`wasm-pack test --node`) and headless Chromium
//! (`WASM_BINDGEN_USE_BROWSER=1 wasm-pack test --headless --chrome`).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(clerk_m2m_edge::version(), env!("CARGO_PKG_VERSION"));
}
