#!/usr/bin/env bash
# Worker throughput end to end (produce N events, time until the worker processed N) beside Kafka's
# own consumer ceiling (ConsumerPerformance, i.e. kafka-consumer-perf-test) on the same broker.
# Needs the test servers: run as `task bench:worker` (or test/servers/with-servers.sh bench/worker.sh).
# Env: BENCH_EVENTS (100000).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${TEST_DATABASE_URL:?run through task bench:worker (it starts PostgreSQL and Kafka)}"
: "${TEST_KAFKA_BOOTSTRAP:?run through task bench:worker (it starts PostgreSQL and Kafka)}"
n="${BENCH_EVENTS:-100000}" port=18001
out="$root/bench/results"; mkdir -p "$out"
py="$root/apps/async_worker/.venv/bin/python"
pid=""
cleanup() { [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

DATABASE_URL="$TEST_DATABASE_URL" KAFKA_BOOTSTRAP_SERVERS="$TEST_KAFKA_BOOTSTRAP" WORKER_HTTP_PORT="$port" \
  KAFKA_CONSUMER_GROUP="bench-$(date +%s)" "$root/apps/async_worker/.venv/bin/async-worker" >"$out/worker.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { echo "bench: the worker did not get ready; see $out/worker.log" >&2; exit 1; }
sleep 2  # let the consumer join its group before the clock starts

echo "worker end to end ($n events, produced and processed concurrently):"
"$py" "$root/bench/worker_e2e.py" "$TEST_KAFKA_BOOTSTRAP" "http://127.0.0.1:$port" "$n" | tee "$out/worker-e2e.json"
kill -TERM "$pid"; wait "$pid" || true; pid=""

libs="$("$root/test/servers/kafka-jars.sh")"
echo "Kafka's own consumer (ConsumerPerformance) reading $n messages of the same topic:"
java -Xmx512m -cp "$libs/*" -Dlog4j.configuration=file:/dev/null org.apache.kafka.tools.ConsumerPerformance \
  --bootstrap-server "$TEST_KAFKA_BOOTSTRAP" --topic comments.created --messages "$n" \
  --group "perf-$(date +%s)" --timeout 60000 2>/dev/null | tee "$out/consumer-perf.txt"
