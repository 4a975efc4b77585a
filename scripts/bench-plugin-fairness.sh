#!/usr/bin/env bash
# Tenant B's plugin calls, portal pages and check-ins while tenant A keeps 0, 32 and 200 looping
# plugin calls in flight (docs/plugin-fairness-bench.md): builds the test plugins, then runs the
# bench on the release build.
#
#   scripts/bench-plugin-fairness.sh                       # phases of 20 s
#   BENCH_PHASE_SECS=5 scripts/bench-plugin-fairness.sh    # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
ensure_toolchain
scripts/build-guests.sh
cargo bench --locked -p corral-host --bench plugin_fairness
