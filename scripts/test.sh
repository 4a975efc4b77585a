#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (the pinned Rust
# toolchain and its wasm32-wasip2 target, PostgreSQL and Chromium from Debian, aiosmtpd and
# playwright-core), starts a throw-away
# PostgreSQL cluster on a free port, builds everything and runs every test.
#
#   scripts/test.sh            # everything
#   scripts/test.sh admin_api  # extra arguments go to the test runner (e.g. a name filter)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

ensure_toolchain
start_postgres
start_slapd
ensure_test_python
ensure_browser
scripts/build-guests.sh >/dev/null
scripts/build-python-plugin.sh >/dev/null   # a plugin from another language (componentize-py)
export CORRAL_REQUIRE_PYTHON_PLUGIN=1
export CORRAL_SKIP_GUEST_BUILD=1  # the runtime's tests would otherwise build them again

# The vendor plugins' own unit tests (pure rules such as the AMAPI enrolment requirements) run
# natively, in the plugins' workspace.
(cd plugins && cargo test --locked -q -p corral-google -p corral-amapi-plugin -p corral-zero-touch-plugin -p corral-knox-plugin -p corral-exchange-plugin)
cargo build --workspace --all-targets --locked
# nextest ends with one summary line counting every test (cargo test ends with the last crate's
# doc-tests); fall back to cargo test where nextest is not installed.
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast "$@"
else
  cargo test --workspace --locked --no-fail-fast "$@"
fi
