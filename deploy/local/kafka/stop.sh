#!/usr/bin/env bash
# Stop a local Kafka broker started by start.sh.
#   stop.sh [--name NAME] [--purge]
# SIGTERM (controlled shutdown), wait up to KAFKA_STOP_TIMEOUT (30 s), then SIGKILL; removes the
# pid file. Idempotent: stopping a broker that is not running is fine.
# --purge also deletes the broker's whole run folder (config, data, logs): for throwaway brokers.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

name="main"
purge=0
while (( $# )); do
  case "$1" in
    --name) name="${2:?--name needs a value}"; shift 2 ;;
    --name=*) name="${1#*=}"; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,6s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "kafka: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
validate_name "$name"
timeout_s="${KAFKA_STOP_TIMEOUT:-30}"
dir="$(broker_dir "$name")"

pid="$(broker_pid "$dir")"
if [[ -z "$pid" ]]; then
  echo "kafka ($name) not running"
else
  t0=$(date +%s)
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && (( $(date +%s) - t0 < timeout_s )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "kafka ($name) did not stop within ${timeout_s}s after SIGTERM; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  echo "kafka ($name) stopped (pid $pid, $(( $(date +%s) - t0 ))s)"
fi
rm -f "$dir/kafka.pid"

if (( purge )); then
  # Only ever delete a folder that looks like ours.
  if [[ -d "$dir" && "$(basename "$dir")" == "kafka-$name" ]]; then
    rm -rf -- "$dir"
    echo "kafka ($name) purged $dir"
  fi
fi
