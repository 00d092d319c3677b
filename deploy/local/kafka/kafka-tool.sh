#!/usr/bin/env bash
# Run a Kafka CLI tool class from the cached jars (installs them first if needed), quiet logging.
#   kafka-tool.sh CLASS [ARGS...]
# CLASS is a full class name or a short org.apache.kafka.tools one, e.g.
#   kafka-tool.sh TopicCommand --bootstrap-server 127.0.0.1:9092 --create --topic t1 --partitions 3
#   kafka-tool.sh TopicCommand --bootstrap-server 127.0.0.1:9092 --describe --topic t1
#   kafka-tool.sh ConsoleProducer --bootstrap-server 127.0.0.1:9092 --topic t1   (package .consumer: ConsoleConsumer)
#   kafka-tool.sh kafka.tools.StorageTool random-uuid
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"
(( $# )) || { sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 2; }
cls="$1"; shift
case "$cls" in
  *.*) ;;
  ConsoleConsumer|ConsoleShareConsumer) cls="org.apache.kafka.tools.consumer.$cls" ;;
  *) cls="org.apache.kafka.tools.$cls" ;;
esac
"$HERE/install.sh" >&2
exec "$JAVA" -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
  "-Dlog4j2.configurationFile=$TOOLS_LOG4J" -cp "$KAFKA_LIBS/*" "$cls" "$@"
