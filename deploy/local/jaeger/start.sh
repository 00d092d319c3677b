#!/usr/bin/env bash
# Start a local Jaeger v2 (in-memory) on 127.0.0.1 in the background.
# Idempotent: if it is already running and answering, says so and exits 0.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"

export JAEGER_OTLP_GRPC_PORT="${JAEGER_OTLP_GRPC_PORT:-4317}"
export JAEGER_OTLP_HTTP_PORT="${JAEGER_OTLP_HTTP_PORT:-4318}"
export JAEGER_QUERY_PORT="${JAEGER_QUERY_PORT:-16686}"
export JAEGER_QUERY_GRPC_PORT="${JAEGER_QUERY_GRPC_PORT:-16685}"
export JAEGER_HEALTH_PORT="${JAEGER_HEALTH_PORT:-13133}"
export JAEGER_MAX_TRACES="${JAEGER_MAX_TRACES:-100000}"
START_TIMEOUT="${JAEGER_START_TIMEOUT:-60}"

RUN_DIR="${PIPELINE_RUN_DIR:-$REPO_ROOT/.run}/jaeger"
LOG_FILE="$RUN_DIR/jaeger.log"
PID_FILE="$RUN_DIR/jaeger.pid"
CONFIG="${JAEGER_CONFIG:-$SCRIPT_DIR/config.yaml}"
QUERY_URL="http://127.0.0.1:${JAEGER_QUERY_PORT}"

log() { printf '[jaeger/start] %s\n' "$*"; }
die() { printf '[jaeger/start] ERROR: %s\n' "$*" >&2; exit 1; }

command -v curl >/dev/null 2>&1 || die "curl is required"

# 1. Make sure the binary exists (cached; builds on first use).
"$SCRIPT_DIR/install.sh"
JAEGER_BIN="$("$SCRIPT_DIR/install.sh" --print-bin-path)"
[[ -x "$JAEGER_BIN" ]] || die "jaeger binary missing after install: $JAEGER_BIN"
[[ -f "$CONFIG" ]] || die "config not found: $CONFIG"

mkdir -p "$RUN_DIR"

query_ok() { curl -sf -o /dev/null --max-time 2 "$QUERY_URL/api/v3/services"; }
# Any HTTP answer (even 404/405) means the OTLP/HTTP listener accepts connections.
otlp_http_ok() {
  local code
  code="$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:${JAEGER_OTLP_HTTP_PORT}/v1/traces" || true)"
  [[ -n "$code" && "$code" != "000" ]]
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Only trust a pid that is alive *and* is a jaeger process (guards against pid reuse).
pid_is_jaeger() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -e "/proc/$pid/exe" ]]; then
    [[ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)" 2>/dev/null)" == jaeger* ]] || return 1
  fi
}

wait_ready() {
  local pid="$1" deadline=$(( $(date +%s) + START_TIMEOUT ))
  while (( $(date +%s) < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      return 2
    fi
    if query_ok && otlp_http_ok; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

fail_with_log() {
  printf '[jaeger/start] ERROR: %s\n' "$1" >&2
  printf '[jaeger/start] --- last 40 lines of %s ---\n' "$LOG_FILE" >&2
  tail -n 40 "$LOG_FILE" >&2 2>/dev/null || true
  exit 1
}

# 2. Already running?
if [[ -f "$PID_FILE" ]]; then
  old_pid="$(tr -d '[:space:]' <"$PID_FILE" 2>/dev/null || true)"
  if pid_is_jaeger "$old_pid"; then
    if query_ok; then
      log "jaeger already running (pid $old_pid, query $QUERY_URL)"
      exit 0
    fi
    # Alive but not answering yet (e.g. a concurrent start): wait for it.
    log "jaeger (pid $old_pid) is alive but not answering yet; waiting up to ${START_TIMEOUT}s"
    if wait_ready "$old_pid"; then
      log "jaeger already running (pid $old_pid, query $QUERY_URL)"
      exit 0
    fi
    fail_with_log "jaeger pid $old_pid is running but not answering on $QUERY_URL; run stop.sh and retry"
  fi
  rm -f "$PID_FILE"   # stale
fi

# 3. Refuse to start if something else holds our ports.
for p in "$JAEGER_OTLP_GRPC_PORT" "$JAEGER_OTLP_HTTP_PORT" "$JAEGER_QUERY_PORT" \
         "$JAEGER_QUERY_GRPC_PORT" "$JAEGER_HEALTH_PORT"; do
  if port_in_use "$p"; then
    die "port 127.0.0.1:$p is already in use by another process (not our pid file); free it or override the JAEGER_*_PORT env vars"
  fi
done

# 4. Start in the background, detached from this shell's session.
log "starting jaeger (otlp grpc :$JAEGER_OTLP_GRPC_PORT, otlp http :$JAEGER_OTLP_HTTP_PORT, query :$JAEGER_QUERY_PORT); log: $LOG_FILE"
{ printf '\n=== %s starting %s --config %s ===\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$JAEGER_BIN" "$CONFIG"; } >>"$LOG_FILE"
if command -v setsid >/dev/null 2>&1; then
  nohup setsid "$JAEGER_BIN" --config "$CONFIG" </dev/null >>"$LOG_FILE" 2>&1 &
else
  nohup "$JAEGER_BIN" --config "$CONFIG" </dev/null >>"$LOG_FILE" 2>&1 &
fi
pid=$!
echo "$pid" >"$PID_FILE"

# 5. Wait (bounded) for the query API and the OTLP/HTTP port.
if wait_ready "$pid"; then
  log "jaeger ready (pid $pid): query $QUERY_URL , OTLP http://127.0.0.1:$JAEGER_OTLP_HTTP_PORT , OTLP gRPC 127.0.0.1:$JAEGER_OTLP_GRPC_PORT"
  exit 0
else
  rc=$?
fi
if (( rc == 2 )); then
  rm -f "$PID_FILE"
  fail_with_log "jaeger exited during startup"
fi
kill -TERM "$pid" 2>/dev/null || true
sleep 1
kill -KILL "$pid" 2>/dev/null || true
rm -f "$PID_FILE"
fail_with_log "jaeger did not become ready within ${START_TIMEOUT}s (stopped it)"
