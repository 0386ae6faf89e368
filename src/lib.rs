//! `clerk-m2m-edge`: the WebAssembly boundary. Converts JS values to core types, calls the core, and
//! converts results and errors back. No business rule lives here.

use wasm_bindgen::prelude::*;

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    clerk_m2m_core::VERSION.to_owned()
}
