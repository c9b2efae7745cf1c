#!/bin/sh
# Entrypoint with apache/kafka's environment contract: every KAFKA_FOO_BAR (except the JVM
# options) becomes foo.bar in server.properties (`___` -> `-`, `__` -> `_`), the storage is
# formatted once with CLUSTER_ID, then the broker replaces this shell (PID 1 gets SIGTERM).
set -eu
config=/opt/kafka/config/server.properties
: "${CLUSTER_ID:=5L6g3nShT-eMCtK--X86sw}"
: "${KAFKA_LOG_DIRS:=/tmp/kraft-combined-logs}"
export KAFKA_LOG_DIRS
: > "$config"
env | grep '^KAFKA_' | sort | while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JMX_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_VERSION) continue ;;
  esac
  key="$(printf '%s' "${name#KAFKA_}" | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g' | tr '[:upper:]' '[:lower:]')"
  printf '%s=%s\n' "$key" "$value" >> "$config"
done
log_dir="$(printf '%s' "$KAFKA_LOG_DIRS" | cut -d, -f1)"
if [ ! -f "$log_dir/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format --ignore-formatted -t "$CLUSTER_ID" -c "$config"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$config"
