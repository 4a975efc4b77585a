#!/usr/bin/env bash
# The release server's resident memory before, during and after ten versions of the 18 MB
# Python component are uploaded, activated and called, then deleted
# (docs/plugin-memory-bench.md): builds the test plugins and the Python component, then runs the
# bench on the release build. Exits 1 if the memory does not come back within 20 %.
#
#   scripts/bench-plugin-memory.sh
#   BENCH_SETTLE_SECS=30 scripts/bench-plugin-memory.sh   # read the memory longer after the delete
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
ensure_toolchain
scripts/build-guests.sh
scripts/build-python-plugin.sh
cargo bench --locked -p corral-host --bench plugin_memory
