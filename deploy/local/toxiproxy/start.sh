#!/usr/bin/env bash
# Start a local toxiproxy-server on 127.0.0.1 in the background (builds it on first use).
#   start.sh [--name NAME] [--port P]
# Defaults: name "main", API port 8474 (env TOXIPROXY_PORT; flags win). The proxies themselves are
# created over the HTTP API (POST /proxies); see README.md.
# Idempotent: if that instance already runs and answers GET /version, says so and exits 0.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"

log() { printf '[toxiproxy/start] %s\n' "$*"; }
die() { printf '[toxiproxy/start] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,5s/^# \{0,1\}//p' "$0"; exit "${1:-0}"; }

name="main"
port="${TOXIPROXY_PORT:-8474}"
while (( $# )); do
  case "$1" in
    --name) name="${2:?--name needs a value}"; shift 2 ;;
    --name=*) name="${1#*=}"; shift ;;
    --port) port="${2:?--port needs a value}"; shift 2 ;;
    --port=*) port="${1#*=}"; shift ;;
    -h|--help) usage 0 ;;
    *) echo "toxiproxy: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "invalid name '$name'"
if [[ ! "$port" =~ ^[0-9]{1,5}$ ]] || (( 10#$port < 1 || 10#$port > 65535 )); then
  die "invalid port '$port'"
fi
START_TIMEOUT="${TOXIPROXY_START_TIMEOUT:-20}"

RUN_DIR="${PIPELINE_RUN_DIR:-$REPO_ROOT/.run}/toxiproxy-$name"
PID_FILE="$RUN_DIR/toxiproxy.pid"
LOG_FILE="$RUN_DIR/toxiproxy.log"
API="http://127.0.0.1:$port"

"$HERE/install.sh" >/dev/null
BIN="$("$HERE/install.sh" --print-bin-path)"
[[ -x "$BIN" ]] || die "toxiproxy-server missing after install: $BIN"
mkdir -p "$RUN_DIR"

api_ok() { curl -sf -o /dev/null --max-time 2 "$API/version"; }
pid_is_ours() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$BIN" ]]
}

if [[ -f "$PID_FILE" ]]; then
  old="$(tr -d '[:space:]' <"$PID_FILE" 2>/dev/null || true)"
  if pid_is_ours "$old" && api_ok; then
    log "toxiproxy ($name) already running (pid $old, API $API)"
    exit 0
  fi
  rm -f "$PID_FILE"
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  die "127.0.0.1:$port is already in use by another process; choose another with --port"
fi

printf '\n=== %s starting %s -host 127.0.0.1 -port %s ===\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$BIN" "$port" >>"$LOG_FILE"
setsid nohup "$BIN" -host 127.0.0.1 -port "$port" </dev/null >>"$LOG_FILE" 2>&1 &
pid=$!
echo "$pid" >"$PID_FILE"
deadline=$(( $(date +%s) + START_TIMEOUT ))
until api_ok; do
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 20 "$LOG_FILE" >&2 || true
    rm -f "$PID_FILE"
    die "toxiproxy ($name) exited during start-up"
  fi
  if (( $(date +%s) >= deadline )); then
    kill "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    die "toxiproxy ($name) did not answer on $API within ${START_TIMEOUT}s (stopped it)"
  fi
  sleep 0.2
done
log "toxiproxy ($name) ready (pid $pid): API $API, log $LOG_FILE"
