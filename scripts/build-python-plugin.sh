#!/usr/bin/env bash
# Build the Python plugin component with componentize-py (PyPI) into
# plugins/python/python_plugin.wasm. Creates .venv-py on first use.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-py"
[ -x "$venv/bin/componentize-py" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q "componentize-py==0.25.1"; }
cd "$root/plugins/python"
"$venv/bin/componentize-py" -d wit -w python-plugin componentize app -o python_plugin.wasm
ls -l python_plugin.wasm >&2
