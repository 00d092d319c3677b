#!/usr/bin/env bash
# Build the Jaeger v2 all-in-one binary (`jaeger`, OpenTelemetry Collector based)
# from source with the Go toolchain and cache it per pinned version.
#
#   install.sh                   build if missing, else print one line
#   install.sh --print-bin-path  only print where the binary lives (no build)
#
# Cache: ${PIPELINE_CACHE_DIR:-$HOME/.cache/claude-pipeline}/jaeger/<version>/bin/jaeger
# See README.md for why this particular version is pinned.
set -euo pipefail

# ---- pin ---------------------------------------------------------------------
# Go module version of github.com/jaegertracing/jaeger. Tag v1.76.0 is the same
# commit as the v2.13.0 release (the v2.x tags are not valid Go module versions
# because the module path has no /v2 suffix).
JAEGER_MODULE="github.com/jaegertracing/jaeger"
JAEGER_MODULE_VERSION="v1.76.0"
JAEGER_RELEASE="v2.13.0"
JAEGER_PKG="${JAEGER_MODULE}/cmd/jaeger"

CACHE_ROOT="${PIPELINE_CACHE_DIR:-$HOME/.cache/claude-pipeline}"
INSTALL_DIR="${CACHE_ROOT}/jaeger/${JAEGER_MODULE_VERSION}"
BIN_DIR="${INSTALL_DIR}/bin"
BIN="${BIN_DIR}/jaeger"

log() { printf '[jaeger/install] %s\n' "$*"; }
die() { printf '[jaeger/install] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ "${1:-}" == "--print-bin-path" ]]; then
  printf '%s\n' "$BIN"
  exit 0
fi

if [[ -x "$BIN" ]]; then
  log "jaeger ${JAEGER_RELEASE} (module ${JAEGER_MODULE_VERSION}) already installed: ${BIN}"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "'go' not found on PATH (need Go >= 1.24)"

mkdir -p "$BIN_DIR"
# Serialise concurrent installs; whoever waited re-checks the cache afterwards.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${INSTALL_DIR}/.install.lock"
  flock 9
  if [[ -x "$BIN" ]]; then
    log "jaeger ${JAEGER_RELEASE} (module ${JAEGER_MODULE_VERSION}) installed concurrently: ${BIN}"
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

LDFLAGS="-s -w"
LDFLAGS+=" -X ${JAEGER_MODULE}/internal/version.latestVersion=${JAEGER_RELEASE}"
LDFLAGS+=" -X ${JAEGER_MODULE}/internal/version.commitSHA=${JAEGER_MODULE_VERSION}"
LDFLAGS+=" -X ${JAEGER_MODULE}/internal/version.date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

log "building jaeger ${JAEGER_RELEASE} (${JAEGER_PKG}@${JAEGER_MODULE_VERSION}) from source;"
log "first build downloads ~300 Go modules (>1 GB) and takes 5-15 min. Log: ${BUILD_LOG}"
start_ts=$(date +%s)

# Fetch the module source (verified against the Go checksum database).
if ! mod_json="$(go mod download -json "${JAEGER_MODULE}@${JAEGER_MODULE_VERSION}" 2>>"$BUILD_LOG")"; then
  { printf '%s\n' "${mod_json:-}"; tail -n 20 "$BUILD_LOG"; } >&2 || true
  die "could not download ${JAEGER_MODULE}@${JAEGER_MODULE_VERSION} (module proxy: ${GOPROXY:-$(go env GOPROXY)})"
fi
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" <<<"$mod_json" | head -n1; }
MOD_DIR="$(json_field Dir)"
MOD_GOMOD="$(json_field GoMod)"
[[ -n "$MOD_DIR" && -d "$MOD_DIR" ]] || die "unexpected 'go mod download' output: ${mod_json}"

build_ok=0
if [[ -n "$MOD_GOMOD" ]] && ! grep -Eq '^[[:space:]]*replace([[:space:]]|\()' "$MOD_GOMOD"; then
  # Clean module (no replace directives): the canonical way.
  log "go install ${JAEGER_PKG}@${JAEGER_MODULE_VERSION}"
  GOBIN="$BIN_DIR" go install -trimpath -ldflags "$LDFLAGS" \
    "${JAEGER_PKG}@${JAEGER_MODULE_VERSION}" >>"$BUILD_LOG" 2>&1 && build_ok=1
else
  # v1.76.0's go.mod has `replace github.com/Shopify/sarama => ... v1.33.0`, which
  # `go install pkg@version` refuses. Build the same package from the downloaded
  # (read-only, checksum-verified) module source as the main module instead, so
  # the replace directive and the project's own go.sum are honoured.
  log "go.mod of ${JAEGER_MODULE_VERSION} has replace directives; running 'go install ./cmd/jaeger' inside the module source"
  (cd "$MOD_DIR" && GOBIN="$BIN_DIR" go install -mod=readonly -trimpath -ldflags "$LDFLAGS" ./cmd/jaeger) \
    >>"$BUILD_LOG" 2>&1 && build_ok=1
fi

if [[ "$build_ok" != 1 || ! -x "$BIN" ]]; then
  tail -n 30 "$BUILD_LOG" >&2 || true
  rm -f "$BIN"
  die "build of jaeger ${JAEGER_MODULE_VERSION} failed (full log: ${BUILD_LOG})"
fi

log "built ${BIN} in $(( $(date +%s) - start_ts ))s ($(du -h "$BIN" | cut -f1))"
