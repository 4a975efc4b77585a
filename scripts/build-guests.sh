#!/usr/bin/env bash
# Build every Rust guest component (example, hostile test plugins, other world), plus a second
# version of the example plugin (0.2.0) for the upload / roll-back tests.
# Output: plugins/target/wasm32-wasip2/release/*.wasm
set -euo pipefail
cd "$(dirname "$0")/../plugins"
rustup target add wasm32-wasip2 --toolchain "$(sed -n 's/^channel *= *"\(.*\)"/\1/p' ../rust-toolchain.toml)" >/dev/null
out=target/wasm32-wasip2/release
CORRAL_EXAMPLE_VERSION=0.2.0 cargo build --locked -q --target wasm32-wasip2 --release -p corral-example-plugin
cp "$out/corral_example_plugin.wasm" "$out/corral_example_plugin_v2.wasm"
cargo build --locked -q --target wasm32-wasip2 --release
ls "$out"/*.wasm
