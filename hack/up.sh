#!/usr/bin/env bash
# Starts Flotilla locally on the embedded store (state in ./.flotilla), building it first.
# Everything after the script name is passed to `flotilla apiserver`.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/deps.sh
ensure_deps build
cargo build --bin flotilla
exec target/debug/flotilla apiserver --data-dir "${FLOTILLA_DATA_DIR:-.flotilla}" "$@"
