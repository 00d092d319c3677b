#!/usr/bin/env bash
# Stop the local Jaeger started by start.sh: SIGTERM, wait up to 10 s, then SIGKILL.
# Idempotent: "not running" exits 0.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
RUN_DIR="${PIPELINE_RUN_DIR:-$REPO_ROOT/.run}/jaeger"
PID_FILE="$RUN_DIR/jaeger.pid"
STOP_TIMEOUT="${JAEGER_STOP_TIMEOUT:-10}"

log() { printf '[jaeger/stop] %s\n' "$*"; }

if [[ ! -f "$PID_FILE" ]]; then
  log "jaeger not running (no pid file)"
  exit 0
fi

pid="$(tr -d '[:space:]' <"$PID_FILE" 2>/dev/null || true)"
if [[ ! "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then
  rm -f "$PID_FILE"
  log "jaeger not running (removed stale pid file)"
  exit 0
fi
# Guard against pid reuse: only signal a process that really is jaeger.
if [[ -e "/proc/$pid/exe" ]] && [[ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)" 2>/dev/null)" != jaeger* ]]; then
  rm -f "$PID_FILE"
  log "jaeger not running (pid $pid belongs to another program; removed stale pid file)"
  exit 0
fi

log "stopping jaeger (pid $pid)"
kill -TERM "$pid" 2>/dev/null || true
deadline=$(( $(date +%s) + STOP_TIMEOUT ))
while kill -0 "$pid" 2>/dev/null && (( $(date +%s) < deadline )); do
  sleep 0.2
done
if kill -0 "$pid" 2>/dev/null; then
  log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
fi
rm -f "$PID_FILE"
log "jaeger stopped"
