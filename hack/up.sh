#!/usr/bin/env bash
# Builds Flotilla and starts a whole local fleet: the control plane on the embedded store plus
# simulated member clusters, joined (state in ./.flotilla). Everything after the script name is
# passed to `flotilla up` (e.g. `hack/up.sh --members 5`).
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/deps.sh
ensure_deps build
cargo build --bin flotilla
exec target/debug/flotilla up "$@"
