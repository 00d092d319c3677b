#!/usr/bin/env bash
# Stop a toxiproxy-server started by start.sh.   stop.sh [--name NAME]
# Fine if it is not running.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
name="main"
while (( $# )); do
  case "$1" in
    --name) name="${2:?--name needs a value}"; shift 2 ;;
    --name=*) name="${1#*=}"; shift ;;
    *) echo "toxiproxy: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
RUN_DIR="${PIPELINE_RUN_DIR:-$REPO_ROOT/.run}/toxiproxy-$name"
PID_FILE="$RUN_DIR/toxiproxy.pid"
BIN="$("$HERE/install.sh" --print-bin-path)"
if [[ -f "$PID_FILE" ]]; then
  pid="$(tr -d '[:space:]' <"$PID_FILE" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$BIN" ]]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    echo "[toxiproxy/stop] toxiproxy ($name) stopped (pid $pid)"
  fi
  rm -f "$PID_FILE"
else
  echo "[toxiproxy/stop] toxiproxy ($name) not running"
fi
