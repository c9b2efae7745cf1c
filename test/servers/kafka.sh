#!/usr/bin/env bash
# A real single-node Kafka broker (KRaft) on the JRE for the tests.
# Usage: test/servers/kafka.sh start|stop|bootstrap|reset  (reset = stop and delete the data)
# Env: KAFKA_TEST_PORT (59092), KAFKA_TEST_CONTROLLER_PORT (59093),
#      KAFKA_TEST_DIR (state, log, pidfile; default $CI_CACHE/kafka-test-<port>)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CI_CACHE="${CI_CACHE:-$HOME/.cache/shipay-ci}"
port="${KAFKA_TEST_PORT:-59092}"
cport="${KAFKA_TEST_CONTROLLER_PORT:-59093}"
dir="${KAFKA_TEST_DIR:-$CI_CACHE/kafka-test-$port}"
pidfile="$dir/kafka.pid"
logfile="$dir/kafka.log"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

start() {
  if running; then echo "kafka: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return 0; fi
  local libs
  libs="$("$here/kafka-jars.sh")"
  mkdir -p "$dir"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  cat >"$dir/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$logfile
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
PROPS
  local java_opts=(-Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
    -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$libs/*")
  # Format once: a restart (the "Kafka was down" tests) keeps topics and committed offsets.
  if [ ! -f "$dir/data/meta.properties" ]; then
    java "${java_opts[@]}" kafka.tools.StorageTool format -t "$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid)" \
      -c "$dir/server.properties" >>"$logfile" 2>&1
  fi
  # The JIT tier cap keeps start-up cheap on 2 shared cores; the broker stays fast enough for tests.
  nohup java "${java_opts[@]}" kafka.Kafka "$dir/server.properties" >>"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if answers && grep -q "started (kafka.server" "$logfile" 2>/dev/null; then
      echo "kafka: started on 127.0.0.1:$port (log $logfile)"
      return 0
    fi
    running || { echo "kafka: broker exited; see $logfile" >&2; tail -20 "$logfile" >&2; return 1; }
    sleep 0.5
  done
  echo "kafka: broker did not answer on 127.0.0.1:$port within 60 s; see $logfile" >&2
  return 1
}

stop() {
  if ! running; then echo "kafka: not running"; rm -f "$pidfile"; return 0; fi
  local pid
  pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "kafka: stopped"; return 0; }
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "kafka: killed after 30 s"
}

case "${1:-}" in
  start) start ;;
  reset) stop; rm -rf "$dir"; echo "kafka: state removed" ;;
  stop) stop ;;
  bootstrap) echo "127.0.0.1:$port" ;;
  *) echo "usage: $0 start|stop|bootstrap|reset" >&2; exit 2 ;;
esac
