#!/usr/bin/env bash
# The zero-touch import's speed and memory (docs/zero-touch-import-bench.md): a generated file
# of a million rows (about 46 MB, every kind of bad row mixed in) read, checked by the plugin and
# given its per-row statuses by the release server, on SQLite and on PostgreSQL, against
# `sqlite3 :memory: '.import --csv FILE t'` of the same file in the same run. Exits 1 above 3x
# the sqlite3 import or 200 MiB of peak resident memory.
#
#   scripts/bench-zero-touch-import.sh
#   BENCH_ROWS=100000 BENCH_DBS=sqlite scripts/bench-zero-touch-import.sh   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
ensure_toolchain
start_postgres
command -v sqlite3 >/dev/null || apt-get install -y -q sqlite3 >/dev/null
scripts/build-guests.sh >/dev/null
cargo bench --locked -p corral-host --bench zero_touch_import
