#!/usr/bin/env bash
# Other tenants' writes during a 5,000-user import with invitations (docs/bulk-import-bench.md):
# installs the SMTP sink the bench delivers to, then runs the bench on the release build.
#
#   scripts/bench-bulk-import.sh                     # 5,000 users, 20 s references
#   BENCH_USERS=500 scripts/bench-bulk-import.sh     # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
ensure_toolchain
ensure_test_python
cargo bench --locked -p corral-host --bench bulk_import
