#!/usr/bin/env bash
# Resolve the Kafka broker + CLI tools jars (and a log4j2 binding) from Maven Central into
#   ${PIPELINE_CACHE_DIR:-~/.cache/claude-pipeline}/kafka/<version>/libs
# Idempotent and cached: libs/.complete (written last) means the folder is complete -> nothing to do.
# Env: KAFKA_VERSION, PIPELINE_CACHE_DIR, MAVEN_REPO_LOCAL (optional -Dmaven.repo.local).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=common.sh
. "$HERE/common.sh"

[[ -f "$KAFKA_LIBS_MARKER" ]] && exit 0

command -v "$JAVA" >/dev/null || die "java not found (need Java 17+)"
command -v mvn     >/dev/null || die "mvn not found on PATH (need Maven 3.6+)"

version_dir="$(dirname "$KAFKA_LIBS")"
mkdir -p "$version_dir"
# Serialise concurrent installs (e.g. two start.sh at once) of the same version.
exec 9>"$version_dir/.install.lock"
flock -w 900 9 || die "timed out waiting for another install of kafka $KAFKA_VERSION"
[[ -f "$KAFKA_LIBS_MARKER" ]] && exit 0

printf 'kafka: installing Apache Kafka %s jars from Maven Central into %s ... ' "$KAFKA_VERSION" "$KAFKA_LIBS"
start=$(date +%s)
# Start from an empty folder so a half-finished earlier run never mixes in.
rm -rf "$KAFKA_LIBS"
mkdir -p "$KAFKA_LIBS"
mvn_args=(-q -B -U -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies
          "-Dkafka.version=$KAFKA_VERSION" "-DoutputDirectory=$KAFKA_LIBS")
[[ -n "${MAVEN_REPO_LOCAL:-}" ]] && mvn_args+=("-Dmaven.repo.local=$MAVEN_REPO_LOCAL")
mvn_log="$version_dir/install.log"
if ! mvn "${mvn_args[@]}" > "$mvn_log" 2>&1; then
  echo "FAILED" >&2
  grep -o '\[ERROR\] [^ ].*' "$mvn_log" | head -n 1 >&2 || tail -n 20 "$mvn_log" >&2
  rm -rf "$KAFKA_LIBS"
  die "maven could not resolve org.apache.kafka:kafka_2.13 + kafka-tools $KAFKA_VERSION (full log: $mvn_log)"
fi
# Sanity: what start.sh needs must be there before the folder is declared complete.
for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-tools-$KAFKA_VERSION.jar" "kafka-clients-$KAFKA_VERSION.jar"; do
  [[ -f "$KAFKA_LIBS/$jar" ]] || die "expected $jar in $KAFKA_LIBS after the maven run"
done
compgen -G "$KAFKA_LIBS/log4j-core-*.jar" >/dev/null || die "log4j-core missing in $KAFKA_LIBS"
date -u +%Y-%m-%dT%H:%M:%SZ > "$KAFKA_LIBS_MARKER"
echo "done: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars, $(du -sh "$KAFKA_LIBS" | cut -f1), $(( $(date +%s) - start ))s"
