#!/usr/bin/env bash
# Runs every Flotilla test: unit tests, the storage conformance suite against the embedded store
# and a real etcd, and the end-to-end suites that start the real `flotilla` binary and drive the
# real kubectl and kube-rs. Installs what it needs first (as root), or says what to run.
set -euo pipefail
cd "$(dirname "$0")/.."
. hack/deps.sh
ensure_deps test
# Tests that need etcd or kubectl fail, rather than skip, when CI=true.
export CI="${CI:-true}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
echo "==> cargo fmt --check" >&2
cargo fmt --all -- --check
echo "==> building" >&2
cargo build --workspace --all-targets
echo "==> tests" >&2
if command -v cargo-nextest >/dev/null; then
  cargo nextest run --workspace --lib --bins --tests --no-fail-fast --test-threads 4
else
  cargo test --workspace --lib --bins --tests --no-fail-fast -- --test-threads 4
fi
