#!/usr/bin/env bash
# Build every Rust guest component (example, hostile test plugins, other world), plus a second
# version of the example plugin (0.2.0) and a tenant's own build of the AMAPI plugin
# (0.1.0-acme) for the upload / roll-back tests.
# Output: plugins/target/wasm32-wasip2/release/*.wasm, and the example plugin built without
# WASI (plugins/.cargo/config.toml) in plugins/target/wasm32-unknown-unknown/release/.
set -euo pipefail
cd "$(dirname "$0")/../plugins"
rustup target add wasm32-wasip2 wasm32-unknown-unknown --toolchain "$(sed -n 's/^channel *= *"\(.*\)"/\1/p' ../rust-toolchain.toml)" >/dev/null
out=target/wasm32-wasip2/release
CORRAL_EXAMPLE_VERSION=0.2.0 cargo build --locked -q --target wasm32-wasip2 --release -p corral-example-plugin
cp "$out/corral_example_plugin.wasm" "$out/corral_example_plugin_v2.wasm"
# A tenant's own build of the AMAPI plugin (replace and roll back). Its own target directory,
# so the two builds do not undo each other's artifacts on every run.
CORRAL_AMAPI_VERSION=0.1.0-acme cargo build --locked -q --target wasm32-wasip2 --release \
    -p corral-amapi-plugin --target-dir target/tenant-build
cp target/tenant-build/wasm32-wasip2/release/corral_amapi_plugin.wasm "$out/corral_amapi_plugin_acme.wasm"
cargo build --locked -q --target wasm32-wasip2 --release
cargo build --locked -q --target wasm32-unknown-unknown --release -p corral-example-plugin
ls "$out"/*.wasm
