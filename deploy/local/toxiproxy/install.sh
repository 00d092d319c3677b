#!/usr/bin/env bash
# Build toxiproxy-server (Shopify/toxiproxy, a TCP proxy with fault injection driven over HTTP)
# from source with the Go toolchain and cache it per pinned version.
#
#   install.sh                   build if missing, else print one line
#   install.sh --print-bin-path  only print where the binary lives (no build)
#
# Cache: ${PIPELINE_CACHE_DIR:-$HOME/.cache/claude-pipeline}/toxiproxy/<version>/bin/toxiproxy-server
# Same approach as deploy/local/jaeger/install.sh: idempotent, flock against parallel installs.
set -euo pipefail

# ---- pin ---------------------------------------------------------------------
# Newest version the Go module proxy serves (`go list -m github.com/Shopify/toxiproxy/v2@latest`
# answers v2.5.0 because the proxy's version list is incomplete; v2.12.0 resolves by name).
TOXIPROXY_MODULE="github.com/Shopify/toxiproxy/v2"
TOXIPROXY_VERSION="${TOXIPROXY_VERSION:-v2.12.0}"
TOXIPROXY_PKG="${TOXIPROXY_MODULE}/cmd/server"

CACHE_ROOT="${PIPELINE_CACHE_DIR:-$HOME/.cache/claude-pipeline}"
INSTALL_DIR="${CACHE_ROOT}/toxiproxy/${TOXIPROXY_VERSION}"
BIN_DIR="${INSTALL_DIR}/bin"
BIN="${BIN_DIR}/toxiproxy-server"

log() { printf '[toxiproxy/install] %s\n' "$*"; }
die() { printf '[toxiproxy/install] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ "${1:-}" == "--print-bin-path" ]]; then
  printf '%s\n' "$BIN"
  exit 0
fi

if [[ -x "$BIN" ]]; then
  log "toxiproxy ${TOXIPROXY_VERSION} already installed: ${BIN}"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "'go' not found on PATH (need Go >= 1.22)"

mkdir -p "$BIN_DIR"
# Serialise concurrent installs; whoever waited re-checks the cache afterwards.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${INSTALL_DIR}/.install.lock"
  flock 9
  if [[ -x "$BIN" ]]; then
    log "toxiproxy ${TOXIPROXY_VERSION} installed concurrently: ${BIN}"
    exit 0
  fi
fi
BUILD_LOG="${INSTALL_DIR}/build.log"
: >"$BUILD_LOG"

# Run the Go commands outside of any surrounding module / workspace.
WORK_TMP="$(mktemp -d)"
trap 'rm -rf "$WORK_TMP"' EXIT
cd "$WORK_TMP"
export GOWORK=off
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

log "building toxiproxy-server ${TOXIPROXY_VERSION} (go install ${TOXIPROXY_PKG}@${TOXIPROXY_VERSION}); log: ${BUILD_LOG}"
start_ts=$(date +%s)
# `cmd/server` builds a binary named `server`; install into a scratch GOBIN and rename.
if ! GOBIN="$WORK_TMP/bin" go install -trimpath \
  -ldflags "-s -w -X github.com/Shopify/toxiproxy/v2.Version=${TOXIPROXY_VERSION}" \
  "${TOXIPROXY_PKG}@${TOXIPROXY_VERSION}" >>"$BUILD_LOG" 2>&1; then
  tail -n 30 "$BUILD_LOG" >&2 || true
  die "build of toxiproxy ${TOXIPROXY_VERSION} failed (full log: ${BUILD_LOG})"
fi
built="$(find "$WORK_TMP/bin" -maxdepth 1 -type f -perm -u+x | head -n1)"
[[ -n "$built" ]] || die "go install produced no binary (full log: ${BUILD_LOG})"
mv -f "$built" "$BIN.tmp"
mv -f "$BIN.tmp" "$BIN"

log "built ${BIN} in $(( $(date +%s) - start_ts ))s ($(du -h "$BIN" | cut -f1))"
