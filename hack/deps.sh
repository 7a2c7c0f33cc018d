#!/usr/bin/env bash
# Installs what building and testing Flotilla needs on a Debian machine, or says exactly what to
# run. Sourced by the other hack/ scripts: `ensure_deps build` or `ensure_deps test`.
ensure_deps() {
  local mode=$1 missing=()
  command -v cargo >/dev/null || { echo "error: cargo not found; install Rust (https://rustup.rs) first" >&2; return 1; }
  command -v protoc >/dev/null || missing+=(protobuf-compiler)
  if [ "$mode" = test ]; then
    [ -x /usr/bin/etcd ] || command -v etcd >/dev/null || missing+=(etcd-server)
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "==> installing ${missing[*]} with apt-get" >&2
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
      echo "error: missing ${missing[*]}; run: sudo apt-get install -y ${missing[*]}" >&2
      return 1
    fi
  fi
  if [ "$mode" = test ] && ! command -v kubectl >/dev/null; then
    echo "error: kubectl not found on PATH; the end-to-end tests drive the real kubectl. Install it (e.g. sudo apt-get install -y kubectl from the Kubernetes apt repository) and re-run." >&2
    return 1
  fi
}
