#!/usr/bin/env bash
# jemalloc for local runs of batch-poller (the image installs Debian's libjemalloc2 with apt and
# preloads it the same way; see apps/batch-poller/Dockerfile and bench/results/batch.md).
# Without root: `apt-get download` fetches Debian's package, `dpkg-deb -x` unpacks it into the
# cache, nothing is installed system-wide.
#
#   install.sh                  fetch if missing, else print one line
#   install.sh --print-lib-path only print where the library lives (no fetch)
#
# Cache: ${PIPELINE_CACHE_DIR:-$HOME/.cache/claude-pipeline}/jemalloc/libjemalloc.so.2
set -euo pipefail

CACHE_ROOT="${PIPELINE_CACHE_DIR:-$HOME/.cache/claude-pipeline}"
INSTALL_DIR="${CACHE_ROOT}/jemalloc"
LIB="${INSTALL_DIR}/libjemalloc.so.2"

log() { printf '[jemalloc/install] %s\n' "$*"; }
die() { printf '[jemalloc/install] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ "${1:-}" == "--print-lib-path" ]]; then
  printf '%s\n' "$LIB"
  exit 0
fi

if [[ -f "$LIB" ]]; then
  log "jemalloc already fetched: ${LIB} ($(cat "${INSTALL_DIR}/VERSION" 2>/dev/null || echo '?'))"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "'apt-get' not found (a Debian or Ubuntu machine is needed)"
command -v dpkg-deb >/dev/null 2>&1 || die "'dpkg-deb' not found"

mkdir -p "$INSTALL_DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"${INSTALL_DIR}/.install.lock"
  flock 9
  if [[ -f "$LIB" ]]; then
    log "jemalloc fetched concurrently: ${LIB}"
    exit 0
  fi
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
chmod 777 "$WORK" # apt's sandbox user may write the download there
(cd "$WORK" && apt-get download libjemalloc2 >/dev/null 2>&1) ||
  die "apt-get download libjemalloc2 failed (is a Debian mirror reachable?)"
DEB="$(ls "$WORK"/libjemalloc2_*.deb)"
dpkg-deb -x "$DEB" "$WORK/root"
FOUND="$(find "$WORK/root" -name 'libjemalloc.so.2' | head -n 1)"
[[ -n "$FOUND" ]] || die "libjemalloc.so.2 not found in ${DEB}"
cp "$FOUND" "$LIB.tmp"
mv "$LIB.tmp" "$LIB"
basename "$DEB" .deb >"${INSTALL_DIR}/VERSION"
log "jemalloc fetched: ${LIB} ($(cat "${INSTALL_DIR}/VERSION"))"
