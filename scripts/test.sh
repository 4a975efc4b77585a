#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (the pinned Rust
# toolchain and its wasm32-wasip2 target, PostgreSQL from Debian), starts a throw-away
# PostgreSQL cluster on a free port, builds everything and runs every test.
#
#   scripts/test.sh            # everything
#   scripts/test.sh admin_api  # extra arguments go to `cargo test` (e.g. a test name filter)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

ensure_toolchain
start_postgres

cargo build --workspace --all-targets --locked
cargo test --workspace --locked "$@"
