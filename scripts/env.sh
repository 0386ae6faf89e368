# Sourced by the scripts: one place for the paths and tool versions they share.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"   # binaryen 132's wasm-opt before Debian's broken 108
export WRANGLER_SEND_METRICS=false
export WASM_PACK_VERSION=0.15.1
CRATE_NAME=clerk_m2m_edge
# wasm-opt's optimisation flags for the shipped .wasm. Against -Oz, a stubbed verification in Node: -O3 ≈ 6 % faster
# for +5 KB raw (+0.4 KB gzip); inlining functions of up to 10 instructions (rustc's opt-level z leaves std's small
# allocation and slice helpers out of line) ≈ 7 % more for +13 KB raw (+2.5 KB gzip); 20 gained no more for +35 KB
# raw (docs/benchmarks.md, issue 19's seventh session). benches/lib/build-flags.mjs reads them from here.
export WASM_OPT_FLAGS="-O3 --always-inline-max-function-size=10"
wasm_bindgen_version() { awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' "$ROOT/Cargo.lock"; }
