#!/usr/bin/env bash
# Start a local single-node KRaft Kafka broker (combined broker + controller) from the Maven jars.
#   start.sh [--name NAME] [--port P] [--controller-port C] [--advertised-port A]
# Defaults: name "main", ports 9092 / 9093 (env KAFKA_PORT / KAFKA_CONTROLLER_PORT; flags win), A = P.
# Idempotent: exits 0 if that broker is already up. Waits (<= KAFKA_START_TIMEOUT, 90 s) until the
# broker answers a real Kafka Metadata request listing itself as a live, unfenced broker (then
# also waits, best effort <= 10 s, for the group coordinator to answer FindCoordinator).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

usage() { sed -n '2,4s/^# \{0,1\}//p' "$0"; exit "${1:-0}"; }

name="main"
port="${KAFKA_PORT:-9092}"
cport="${KAFKA_CONTROLLER_PORT:-9093}"
aport=""
while (( $# )); do
  case "$1" in
    --name) name="${2:?--name needs a value}"; shift 2 ;;
    --name=*) name="${1#*=}"; shift ;;
    --port) port="${2:?--port needs a value}"; shift 2 ;;
    --port=*) port="${1#*=}"; shift ;;
    --controller-port) cport="${2:?--controller-port needs a value}"; shift 2 ;;
    --controller-port=*) cport="${1#*=}"; shift ;;
    --advertised-port) aport="${2:?--advertised-port needs a value}"; shift 2 ;;
    --advertised-port=*) aport="${1#*=}"; shift ;;
    -h|--help) usage 0 ;;
    *) echo "kafka: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
validate_name "$name"
validate_port "port" "$port"
validate_port "controller port" "$cport"
port=$(( 10#$port )); cport=$(( 10#$cport ))
[[ "$port" != "$cport" ]] || die "--port and --controller-port must differ"
# The listener binds P and tells clients to come back at A (e.g. a fault-injecting proxy in front
# of the broker: after bootstrap, clients connect to the advertised address only).
[[ -n "$aport" ]] || aport="$port"
validate_port "advertised port" "$aport"
aport=$(( 10#$aport ))
[[ "$aport" != "$cport" ]] || die "--advertised-port and --controller-port must differ"
timeout_s="${KAFKA_START_TIMEOUT:-90}"
heap_opts="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"

"$HERE/install.sh"

dir="$(broker_dir "$name")"
props="$dir/server.properties"
logs="$dir/logs"

# Readiness = kafka_metadata_probe (common.sh): a real Metadata request over /dev/tcp, sent to the
# bound port P directly (a proxy at A need not be up yet), that must list this broker as node 1 at
# 127.0.0.1:A (the advertised port) as live and unfenced.
probe() {
  local seen
  seen="$(kafka_metadata_probe "$port" 3 || true)"
  grep -qx "id=1 127.0.0.1:$aport" <<< "$seen"
}

tail_logs() {
  local f
  for f in "$logs/stdout.log" "$logs/server.log"; do
    [[ -s "$f" ]] || continue
    echo "----- last lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

# wait_ready PID START_EPOCH: poll until probe() succeeds; on failure stop the broker and exit 1.
wait_ready() {
  local pid="$1" t0="$2" deadline=$(( $2 + timeout_s ))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "kafka: ERROR: kafka ($name) exited during start-up" >&2
      tail_logs; rm -f "$dir/kafka.pid"; exit 1
    fi
    if probe; then
      # Best effort: have the group coordinator (and __consumer_offsets) ready too, so a test's
      # first consumer group does not hit COORDINATOR_NOT_AVAILABLE / LOAD_IN_PROGRESS retries.
      local w=0
      until kafka_group_coordinator_ready "$port" || (( w >= 40 )); do sleep 0.25; w=$(( w + 1 )); done
      echo "kafka ($name) ready on 127.0.0.1:$port$( (( aport != port )) && echo " (advertised 127.0.0.1:$aport)") (controller 127.0.0.1:$cport, pid $pid, $(( $(date +%s) - t0 ))s, logs: $logs)"
      return 0
    fi
    if (( $(date +%s) >= deadline )); then
      echo "kafka: ERROR: kafka ($name) did not answer on 127.0.0.1:$port within ${timeout_s}s; stopping it" >&2
      tail_logs
      "$HERE/stop.sh" --name "$name" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

# --- already running? ---------------------------------------------------------------------
pid="$(broker_pid "$dir")"
if [[ -n "$pid" ]]; then
  running_port="$(sed -n 's/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$props" 2>/dev/null)"
  running_aport="$(sed -n 's/^advertised\.listeners=PLAINTEXT:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$props" 2>/dev/null)"
  if [[ -n "$running_port" && "$running_port" != "$port" ]]; then
    die "kafka ($name) is already running on 127.0.0.1:$running_port (pid $pid), not on $port; stop it first: $HERE/stop.sh --name $name"
  fi
  if [[ -n "$running_aport" && "$running_aport" != "$aport" ]]; then
    die "kafka ($name) is already running advertised at 127.0.0.1:$running_aport (pid $pid), not at $aport; stop it first: $HERE/stop.sh --name $name"
  fi
  echo "$pid" > "$dir/kafka.pid"
  if probe; then
    echo "kafka ($name) already running on 127.0.0.1:$port"
    exit 0
  fi
  echo "kafka ($name) is starting (pid $pid); waiting for it ..."
  wait_ready "$pid" "$(date +%s)"
  exit 0
fi
rm -f "$dir/kafka.pid"

# --- ports must be free -------------------------------------------------------------------
for p in "$port" "$cport"; do
  if port_open "$p"; then
    owner="$(ss -Hltnp "sport = :$p" 2>/dev/null | grep -o 'users:(.*)' | head -n1 || true)"
    die "127.0.0.1:$p is already in use by another process${owner:+ ($owner)}, not by kafka ($name); stop it or choose other ports with --port/--controller-port"
  fi
done

# --- render config ------------------------------------------------------------------------
mkdir -p "$dir/data" "$logs"
tpl="$(cat "$HERE/server.properties")"
tpl="${tpl//@PORT@/$port}"
tpl="${tpl//advertised.listeners=PLAINTEXT:\/\/127.0.0.1:$port/advertised.listeners=PLAINTEXT://127.0.0.1:$aport}"
tpl="${tpl//@CONTROLLER_PORT@/$cport}"
tpl="${tpl//@DATA_DIR@/$dir/data}"
printf '# GENERATED by %s from %s -- edits are overwritten on every start\n%s\n' \
  "$HERE/start.sh" "$HERE/server.properties" "$tpl" > "$props.tmp"
mv "$props.tmp" "$props"

# --- format storage on first run ----------------------------------------------------------
if [[ ! -f "$dir/data/meta.properties" ]]; then
  cluster_id=""
  [[ -f "$dir/cluster.id" ]] && cluster_id="$(cat "$dir/cluster.id")"
  if [[ ! "$cluster_id" =~ ^[A-Za-z0-9_][A-Za-z0-9_-]{21}$ ]]; then
    # Random 16-byte UUID, base64url without padding (what `StorageTool random-uuid` prints);
    # never starting with '-' so the CLI parser cannot mistake it for a flag.
    cluster_id="-"
    while [[ "$cluster_id" == -* ]]; do
      cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    echo "$cluster_id" > "$dir/cluster.id"
  fi
  if ! kafka_tool kafka.tools.StorageTool format -t "$cluster_id" -c "$props" > "$logs/format.log" 2>&1; then
    cat "$logs/format.log" >&2
    die "formatting the storage of kafka ($name) in $dir/data failed"
  fi
fi

# --- launch -------------------------------------------------------------------------------
[[ -f "$logs/stdout.log" ]] && mv -f "$logs/stdout.log" "$logs/stdout.log.1"
# shellcheck disable=SC2206
java_cmd=("$JAVA" $heap_opts -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
          -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
          -Djava.awt.headless=true -Dlog4j2.shutdownHookEnabled=false
          "-Dlog4j2.configurationFile=$HERE/log4j2.yaml" "-Dkafka.logs.dir=$logs"
          ${KAFKA_OPTS:-}
          -cp "$KAFKA_LIBS/*" kafka.Kafka "$props")
t0=$(date +%s)
# setsid + nohup: the broker outlives this script, its terminal and its process group.
# The inner shell writes its own pid, then exec()s java under that same pid.
# shellcheck disable=SC2016  # $$ / $0 / $@ belong to the inner shell
setsid nohup bash -c 'echo $$ > "$0"; exec "$@"' "$dir/kafka.pid" "${java_cmd[@]}" \
  > "$logs/stdout.log" 2>&1 < /dev/null &
for _ in $(seq 50); do [[ -s "$dir/kafka.pid" ]] && break; sleep 0.1; done
pid="$(cat "$dir/kafka.pid" 2>/dev/null || true)"
[[ -n "$pid" ]] || die "could not launch kafka ($name); see $logs/stdout.log"
echo "kafka ($name) starting on 127.0.0.1:$port (pid $pid) ..."
wait_ready "$pid" "$t0"
