# Sourced by the scripts: one place for the paths and tool versions they share.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"   # binaryen 132's wasm-opt before Debian's broken 108
export WRANGLER_SEND_METRICS=false
export WASM_PACK_VERSION=0.15.1
CRATE_NAME=clerk_m2m_edge
# wasm-opt's level for the shipped .wasm: -O3 verifies ≈ 6 % faster than -Oz for +5 KB raw, +0.4 KB gzip
# (docs/benchmarks.md, issue 19's seventh session). benches/lib/build-flags.mjs reads it from here.
export WASM_OPT_LEVEL=-O3
wasm_bindgen_version() { awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' "$ROOT/Cargo.lock"; }
