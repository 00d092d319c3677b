# Shared settings for install.sh / start.sh / stop.sh. Sourced, not executed.
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KAFKA_DIR/../../.." && pwd)"

# Newest 4.x whose full dependency tree (broker + kafka-tools) resolves from Maven Central.
KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
PIPELINE_CACHE_DIR="${PIPELINE_CACHE_DIR:-$HOME/.cache/claude-pipeline}"
PIPELINE_RUN_DIR="${PIPELINE_RUN_DIR:-$REPO_ROOT/.run}"
KAFKA_LIBS="$PIPELINE_CACHE_DIR/kafka/$KAFKA_VERSION/libs"
KAFKA_LIBS_MARKER="$KAFKA_LIBS/.complete"   # written last by install.sh

if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA="java"
fi

die() { echo "kafka: ERROR: $*" >&2; exit 1; }

validate_name() {
  [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "invalid broker name '$1' (use letters, digits, . _ -)"
}

validate_port() {
  if [[ ! "$2" =~ ^[0-9]{1,5}$ ]] || (( 10#$2 < 1 || 10#$2 > 65535 )); then
    die "invalid $1 '$2'"
  fi
}

# broker_dir NAME -> run folder of that broker
broker_dir() { echo "$PIPELINE_RUN_DIR/kafka-$1"; }

# True if something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# is_our_broker PID DIR: PID is alive and is the kafka.Kafka JVM started with DIR/server.properties
# (guards against a stale pid file whose pid was reused by another process).
is_our_broker() {
  local pid="$1" dir="$2" cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmd="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *" kafka.Kafka $dir/server.properties"* ]]
}

# broker_pid DIR -> pid of the running broker for DIR (pid file first, then a /proc scan
# for the exact server.properties path in case the pid file was lost); empty if not running.
broker_pid() {
  local dir="$1" pid p
  if [[ -f "$dir/kafka.pid" ]]; then
    pid="$(cat "$dir/kafka.pid" 2>/dev/null || true)"
    if is_our_broker "$pid" "$dir"; then echo "$pid"; return 0; fi
  fi
  for p in /proc/[0-9]*; do
    pid="${p#/proc/}"
    if is_our_broker "$pid" "$dir"; then echo "$pid"; return 0; fi
  done
  return 0
}

# Quiet log4j2 config for short-lived CLI tools (StorageTool, BrokerApiVersionsCommand, TopicCommand).
TOOLS_LOG4J="$KAFKA_DIR/tools-log4j2.yaml"
kafka_tool() {
  "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$TOOLS_LOG4J" -cp "$KAFKA_LIBS/*" "$@"
}

# kafka_request PORT API_KEY API_VERSION BODY_HEX [TIMEOUT_S]: one raw Kafka protocol round-trip
# from bash over /dev/tcp (no JVM), non-flexible request header v1 (client id "probe").
# Prints the response after the length prefix as hex, without the correlation id.
kafka_request() {
  local port="$1" key="$2" ver="$3" body="$4" t="${5:-3}"
  # shellcheck disable=SC2016  # the script is expanded by the inner bash
  timeout "$t" bash -c '
    set -e
    port="$1" key="$2" ver="$3" body="$4"
    req=$(printf "%04x%04x%08x%04x%s%s" "$key" "$ver" 42 5 "$(printf probe | od -An -tx1 -v | tr -d " \n")" "$body")
    req=$(printf "%08x%s" $(( ${#req} / 2 )) "$req")
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf "%b" "$(sed "s/../\\\\x&/g" <<< "$req")" >&3
    len=$(( 16#$(head -c 4 <&3 | od -An -tx1 -v | tr -d " \n") ))
    (( len >= 4 && len < 1048576 ))
    hex=$(head -c "$len" <&3 | od -An -tx1 -v | tr -d " \n")
    (( ${#hex} == 2 * len ))
    [[ "${hex:0:8}" == 0000002a ]]     # our correlation id
    echo "${hex:8}"
  ' _ "$port" "$key" "$ver" "$body" 2>/dev/null
}

# kafka_metadata_probe PORT [TIMEOUT_S]: sends a Metadata v1 request (no topics) and prints the
# live brokers of the response as "id=<node> <host>:<port>" lines. Succeeds only if node 1 at
# 127.0.0.1:PORT is listed. A KRaft broker lists only registered, unfenced brokers and answers
# requests only after catching up with the metadata log, so success means ready for clients.
kafka_metadata_probe() {
  local port="$1" hex n i=8 b id hl host p rl found=1
  hex="$(kafka_request "$port" 3 1 00000000 "${2:-3}")" || return 1
  n=$(( 16#${hex:0:8} ))
  for (( b = 0; b < n; b++ )); do
    id=$(( 16#${hex:i:8} )); i=$(( i + 8 ))
    hl=$(( 16#${hex:i:4} )); i=$(( i + 4 ))
    # shellcheck disable=SC2001
    host="$(printf '%b' "$(sed 's/../\\x&/g' <<< "${hex:i:2*hl}")")"; i=$(( i + 2 * hl ))
    p=$(( 16#${hex:i:8} )); i=$(( i + 8 ))
    rl="${hex:i:4}"; i=$(( i + 4 ))
    [[ "$rl" == ffff ]] || i=$(( i + 2 * 16#$rl ))      # rack: nullable string
    echo "id=$id $host:$p"
    [[ "$id" == 1 && "$p" == "$port" ]] && found=0
  done
  return "$found"
}

# kafka_group_coordinator_ready PORT: FindCoordinator v0 for a dummy group; succeeds when the
# broker returns error code 0. The first call on a fresh broker creates __consumer_offsets.
kafka_group_coordinator_ready() {
  local hex
  hex="$(kafka_request "$1" 10 0 "0006$(printf warmup | od -An -tx1 -v | tr -d ' \n')")" || return 1
  [[ "${hex:0:4}" == 0000 ]]
}
